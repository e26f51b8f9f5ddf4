/**
 * Jaeger's metrics API (what Jaeger UI's Monitor tab reads) against the real server, filled through the
 * OpenTelemetry SDK and its OTLP/HTTP exporter. Some spans arrive sampled upstream (`ot=th:` in their
 * tracestate), so they stand for 2 or 4 requests each; every expected figure is worked out here from
 * the spans sent, weights included, and the answers are read as Jaeger's proto and as the UI reads them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type Context, type HrTime } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { weightedPercentile } from '../fixtures/generatedTraces.js';
import { jaegerProtoRoot, readProto3Json } from '../fixtures/jaeger/protos.js';
import { uiMetricSeries } from '../fixtures/jaeger/uiClient.js';
import { getJson, makeProvider, removeTempDirs, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';

const MINUTE_MS = 60_000;
/** A whole minute in the past: every span starts before it, in the minutes just before. */
const END_MS = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS;
const MINUTES = 6;

interface Sent {
  service: string;
  name: string;
  kind: SpanKind;
  startMs: number;
  durationMs: number;
  weight: number;
  error: boolean;
}
const sent: Sent[] = [];

/** Upstream thresholds with explicit randomness, so the head sampler takes the weight as sent: th:8 is p = 1/2, th:c is p = 1/4. */
const TRACESTATE_OF_WEIGHT: Record<number, string> = { 2: 'ot=th:8;rv:ffffffffffffff', 4: 'ot=th:c;rv:ffffffffffffff' };

let server: ServerHandle;

function parentContext(weight: number, i: number): Context {
  if (weight === 1) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: (0xabc000 + i).toString(16).padStart(32, '0'),
    spanId: (0xdef000 + i).toString(16).padStart(16, '0'),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState(TRACESTATE_OF_WEIGHT[weight]!),
  });
}

/**
 * Per minute m back from END (m = 1..6): shop's server spans GET /cart (three, of weight 1, 2 and 4, the
 * weight-2 one an error in even minutes), POST /pay in odd minutes (an error in minute 3), two client
 * spans `charge` (one an error in minute 2) and an internal `render`; and a server span of `other`.
 */
function plan(): Sent[] {
  const spans: Sent[] = [];
  for (let m = 1; m <= MINUTES; m++) {
    const at = (s: number) => END_MS - m * MINUTE_MS + s * 1000;
    [1, 2, 4].forEach((weight, j) => spans.push({ service: 'shop', name: 'GET /cart', kind: SpanKind.SERVER, startMs: at(5 + j * 10), durationMs: m * 10 + j * 7, weight, error: j === 1 && m % 2 === 0 }));
    if (m % 2 === 1) spans.push({ service: 'shop', name: 'POST /pay', kind: SpanKind.SERVER, startMs: at(40), durationMs: 100 + m, weight: 1, error: m === 3 });
    for (const j of [0, 1]) spans.push({ service: 'shop', name: 'charge', kind: SpanKind.CLIENT, startMs: at(45 + j), durationMs: 5 + j, weight: 1, error: m === 2 && j === 0 });
    spans.push({ service: 'shop', name: 'render', kind: SpanKind.INTERNAL, startMs: at(50), durationMs: 2, weight: 1, error: false });
    spans.push({ service: 'other', name: 'GET /', kind: SpanKind.SERVER, startMs: at(30), durationMs: 1, weight: 1, error: false });
  }
  return spans;
}

before(async () => {
  server = await startServer();
  const exporter = () => new OTLPTraceExporter({ url: `${server.otlpHttpUrl}/v1/traces` });
  const providers = { shop: makeProvider({ 'service.name': 'shop' }, exporter()), other: makeProvider({ 'service.name': 'other' }, exporter()) };
  const hr = (ms: number): HrTime => [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
  plan().forEach((s, i) => {
    const span = providers[s.service as keyof typeof providers].provider
      .getTracer('metrics-e2e')
      .startSpan(s.name, { kind: s.kind, startTime: hr(s.startMs) }, parentContext(s.weight, i));
    if (s.error) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(hr(s.startMs + s.durationMs));
    sent.push(s);
  });
  for (const p of Object.values(providers)) {
    await p.flush();
    p.exporter.assertAllSucceeded();
    await p.shutdown();
  }
  await waitForStored(server.queryUrl);
  await waitFor(async () => ((await getJson<{ data: string[] }>(`${server.queryUrl}/api/services`)).body.data.length === 2 ? true : undefined), 'both services');
});

after(async () => {
  await server?.stop();
  removeTempDirs();
});

interface Family {
  name: string;
  type: string;
  help: string;
  metrics: Array<{ labels: Array<{ name: string; value: string }>; metricPoints: Array<{ gaugeValue: { doubleValue: number | 'NaN' }; timestamp: string }> }>;
}

const PROTO = jaegerProtoRoot();

/** GETs a metrics answer and checks it reads as Jaeger's MetricFamily (jaeger.api_v2.metrics). */
async function metrics(path: string): Promise<Family> {
  const response = await getJson<Family>(`${server.queryUrl}${path}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  readProto3Json(PROTO, 'jaeger.api_v2.metrics.MetricFamily', response.body);
  return response.body;
}

/** Point times of a grid that ends at END_MS. */
const pointTimes = (lookbackMs: number, stepMs: number) => Array.from({ length: Math.floor(lookbackMs / stepMs) + 1 }, (_, i) => END_MS - lookbackMs + i * stepMs);

function spansBefore(t: number, windowMs: number, pick: (s: Sent) => boolean): Sent[] {
  return sent.filter((s) => pick(s) && s.startMs >= t - windowMs && s.startMs < t);
}

const shopServer = (s: Sent) => s.service === 'shop' && s.kind === SpanKind.SERVER;
const weightOf = (spans: Sent[]) => spans.reduce((sum, s) => sum + s.weight, 0);

function expectedCalls(t: number, windowMs: number, pick: (s: Sent) => boolean): number {
  return weightOf(spansBefore(t, windowMs, pick)) / (windowMs / 1000);
}
function expectedErrors(t: number, windowMs: number, pick: (s: Sent) => boolean): number | 'NaN' {
  const spans = spansBefore(t, windowMs, pick);
  return spans.length === 0 ? 'NaN' : weightOf(spans.filter((s) => s.error)) / weightOf(spans);
}
function expectedLatencyMs(t: number, stepMs: number, q: number, pick: (s: Sent) => boolean): number | 'NaN' {
  const spans = spansBefore(t, stepMs, pick);
  if (spans.length === 0) return 'NaN';
  return Number(weightedPercentile(spans.map((s) => ({ d: BigInt(s.durationMs) * 1_000_000n, w: s.weight })), q)) / 1e6;
}

function assertPoints(family: Family, index: number, times: number[], expected: (t: number) => number | 'NaN'): void {
  const points = family.metrics[index]!.metricPoints;
  assert.deepEqual(
    points.map((p) => new Date(p.timestamp).getTime()),
    times,
  );
  points.forEach((p, i) => {
    const want = expected(times[i]!);
    const got = p.gaugeValue.doubleValue;
    if (want === 'NaN' || got === 'NaN') assert.equal(got, want, `point ${i} at ${p.timestamp}`);
    else assert.ok(Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want)), `point ${i} at ${p.timestamp}: ${got}, expected ${want}`);
  });
}

describe("Jaeger's metrics API", () => {
  // What Jaeger UI's Monitor tab sends (packages/jaeger-ui/src/components/Monitor/ServicesView/index.tsx).
  const ui = (type: string, extra = '') => `/api/metrics/${type}?service=shop&quantile=0.95&endTs=${END_MS}&lookback=600000&step=60000&ratePer=600000&spanKind=server${extra}`;
  const times = pointTimes(600_000, 60_000);

  test('calls: weighted server spans per second over the ratePer before each point', async () => {
    const family = await metrics(ui('calls'));
    assert.equal(family.name, 'service_call_rate');
    assert.equal(family.type, 'GAUGE');
    assert.equal(family.help, 'calls/sec, grouped by service');
    assert.deepEqual(family.metrics.map((m) => m.labels), [[{ name: 'service_name', value: 'shop' }]]);
    assertPoints(family, 0, times, (t) => expectedCalls(t, 600_000, shopServer));
    // The sampled spans count for what they stand for (GET /cart: 7 requests a minute from 3 spans), not once each.
    const unweighted = spansBefore(END_MS, 600_000, shopServer).length / 600;
    assert.ok((family.metrics[0]!.metricPoints.at(-1)!.gaugeValue.doubleValue as number) > 2 * unweighted);
  });

  test('errors: the weighted fraction of server spans with status ERROR, NaN where there were none', async () => {
    const family = await metrics(`/api/metrics/errors?service=shop&endTs=${END_MS}&lookback=600000&step=60000&ratePer=120000`);
    assert.equal(family.name, 'service_error_rate');
    assertPoints(family, 0, times, (t) => expectedErrors(t, 120_000, shopServer));
    assert.ok(family.metrics[0]!.metricPoints.some((p) => p.gaugeValue.doubleValue === 'NaN'), 'the first minutes have no spans');
  });

  test('latencies: the weighted quantile of the last step, in milliseconds', async () => {
    for (const q of [0.5, 0.75, 0.95]) {
      const family = await metrics(ui('latencies').replace('quantile=0.95', `quantile=${q}`));
      assert.equal(family.name, 'service_latencies');
      assert.equal(family.help, `${q.toFixed(2)}th quantile latency, grouped by service`);
      assertPoints(family, 0, times, (t) => expectedLatencyMs(t, 60_000, q, shopServer));
    }
  });

  test('spanKind picks the spans: client, or several kinds at once', async () => {
    const client = await metrics(`/api/metrics/calls?service=shop&endTs=${END_MS}&lookback=600000&step=60000&ratePer=60000&spanKind=client`);
    assertPoints(client, 0, times, (t) => expectedCalls(t, 60_000, (s) => s.service === 'shop' && s.kind === SpanKind.CLIENT));
    const both = await metrics(`/api/metrics/calls?service=shop&endTs=${END_MS}&lookback=600000&step=60000&ratePer=60000&spanKind=client&spanKind=internal`);
    assertPoints(both, 0, times, (t) => expectedCalls(t, 60_000, (s) => s.service === 'shop' && (s.kind === SpanKind.CLIENT || s.kind === SpanKind.INTERNAL)));
    const none = await metrics(`/api/metrics/calls?service=shop&endTs=${END_MS}&spanKind=producer`);
    assert.deepEqual(none.metrics, [], 'no producer spans: no series, as Jaeger answers');
  });

  test('groupByOperation: one series per operation, labelled as the Monitor tab reads them', async () => {
    const family = await metrics(ui('latencies', '&groupByOperation=true'));
    assert.equal(family.name, 'service_operation_latencies');
    assert.equal(family.help, '0.95th quantile latency, grouped by service & operation');
    assert.deepEqual(
      family.metrics.map((m) => m.labels),
      ['GET /cart', 'POST /pay'].map((operation) => [
        { name: 'service_name', value: 'shop' },
        { name: 'operation', value: operation },
      ]),
    );
    ['GET /cart', 'POST /pay'].forEach((operation, i) => assertPoints(family, i, times, (t) => expectedLatencyMs(t, 60_000, 0.95, (s) => shopServer(s) && s.name === operation)));
    const calls = await metrics(ui('calls', '&groupByOperation=true'));
    assert.equal(calls.name, 'service_operation_call_rate');
    ['GET /cart', 'POST /pay'].forEach((operation, i) => assertPoints(calls, i, times, (t) => expectedCalls(t, 600_000, (s) => shopServer(s) && s.name === operation)));
    const errors = await metrics(ui('errors', '&groupByOperation=true'));
    assert.equal(errors.name, 'service_operation_error_rate');
    ['GET /cart', 'POST /pay'].forEach((operation, i) => assertPoints(errors, i, times, (t) => expectedErrors(t, 600_000, (s) => shopServer(s) && s.name === operation)));
    // As the Monitor tab's operations table reads it: by the label named "operation".
    assert.deepEqual(
      uiMetricSeries(errors).series.map((s) => s.operation),
      ['GET /cart', 'POST /pay'],
    );
  });

  test('several services: one series each; a service with no spans has none', async () => {
    const family = await metrics(`/api/metrics/calls?service=shop&service=other&service=nobody&endTs=${END_MS}&lookback=600000&step=60000&ratePer=60000`);
    assert.deepEqual(
      family.metrics.map((m) => m.labels[0]!.value),
      ['shop', 'other'],
    );
    assertPoints(family, 1, times, (t) => expectedCalls(t, 60_000, (s) => s.service === 'other'));
  });

  test('the Monitor tab plots the service charts from it', async () => {
    const family = await metrics(ui('calls'));
    const { series } = uiMetricSeries(family);
    assert.equal(series[0]!.service, 'shop');
    assert.deepEqual(
      series[0]!.points.map((p) => p.x),
      times,
    );
    assert.deepEqual(
      series[0]!.points.map((p) => p.y),
      times.map((t) => parseFloat(expectedCalls(t, 600_000, shopServer).toFixed(2))),
    );
  });

  test('bad parameters: 400 in the classic envelope, naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/metrics/calls', /"service": please provide at least one service name/],
      ['/api/metrics/latencies?service=shop', /"quantile": is required/],
      ['/api/metrics/latencies?service=shop&quantile=2', /"quantile"/],
      ['/api/metrics/errors?service=shop&spanKind=sideways', /"spanKind"/],
      ['/api/metrics/calls?service=shop&step=0', /"step"/],
      ['/api/metrics/calls?service=shop&lookback=soon', /"lookback"/],
      ['/api/metrics/calls?service=shop&endTs=yesterday', /"endTs"/],
      ['/api/metrics/calls?service=shop&groupByOperation=maybe', /"groupByOperation"/],
      ['/api/metrics/calls?service=shop&lookback=86400000&step=1', /"step": gives more than 11000 points/],
    ];
    for (const [path, message] of cases) {
      const response = await getJson<{ data: null; errors: Array<{ code: number; msg: string }> }>(`${server.queryUrl}${path}`);
      assert.equal(response.status, 400, path);
      assert.deepEqual(Object.keys(response.body), ['data', 'total', 'limit', 'offset', 'errors'], path);
      assert.equal(response.body.data, null, path);
      assert.equal(response.body.errors[0]!.code, 400, path);
      assert.match(response.body.errors[0]!.msg, message, path);
    }
  });

  test('minstep: the finest step in milliseconds, in the envelope older Jaeger answered it in', async () => {
    const response = await getJson(`${server.queryUrl}/api/metrics/minstep`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { data: 1, total: 0, limit: 0, offset: 0, errors: null });
  });
});
