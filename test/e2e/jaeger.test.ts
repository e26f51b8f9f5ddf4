/**
 * The Jaeger-compatible APIs against the real server, filled through the OpenTelemetry SDK and its
 * OTLP/HTTP exporter: requests shaped as Jaeger UI and Grafana's Jaeger data source send them (empty
 * parameters, microsecond times, tags as JSON), the classic JSON model field by field, api_v3 in
 * both parameter spellings, and 400s in each API's own error shape.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { jaegerProtoRoot, readProto3Json } from '../fixtures/jaeger/protos.js';
import { uiTraceSummaries } from '../fixtures/jaeger/uiClient.js';
import { getJson, hrAdd, hrTimeToNs, makeProvider, removeTempDirs, startServer, waitFor, type ServerHandle, type TestProvider } from '../helpers/server.js';

let server: ServerHandle;
const TRACES = 6;
const nowS = Math.floor(Date.now() / 1000);
const LINKED_TRACE = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const LINKED_SPAN = 'bbbbbbbbbbbbbbbb';

interface Sent {
  traceId: string;
  error: boolean;
  rootMs: number;
  spans: ReadableSpan[];
}
const sent: Sent[] = [];

/**
 * checkout: POST /checkout (SERVER; even i: 500 and ERROR) → charge (CLIENT, 2 ms) → payments:
 * process payment (SERVER, 1 ms, an event; trace 0 also links another trace). Root latency 10 + 10i ms.
 */
function buildTraces(checkout: TestProvider, payments: TestProvider): void {
  const checkoutTracer = checkout.provider.getTracer('shop-instrumentation', '2.0.1');
  const paymentsTracer = payments.provider.getTracer('payments-instrumentation');
  for (let i = 0; i < TRACES; i++) {
    const base: HrTime = [nowS - 600 + i * 60, 123_456_789];
    const at = (ns: number): HrTime => hrAdd(base, ns);
    const error = i % 2 === 0;
    const rootMs = 10 + 10 * i;
    const root = checkoutTracer.startSpan(
      'POST /checkout',
      { kind: SpanKind.SERVER, startTime: at(0), attributes: { 'http.status_code': error ? 500 : 200, 'cart.items': ['a', 'b'], 'cart.ratio': 0.5 } },
      ROOT_CONTEXT,
    );
    if (error) root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment declined' });
    const rootContext = trace.setSpan(ROOT_CONTEXT, root);
    const charge = checkoutTracer.startSpan('charge', { kind: SpanKind.CLIENT, startTime: at(1_000_000) }, rootContext);
    const process = paymentsTracer.startSpan(
      'process payment',
      {
        kind: SpanKind.SERVER,
        startTime: at(1_500_000),
        links: i === 0 ? [{ context: { traceId: LINKED_TRACE, spanId: LINKED_SPAN, traceFlags: TraceFlags.SAMPLED } }] : [],
      },
      trace.setSpan(ROOT_CONTEXT, charge),
    );
    process.addEvent('ledger.write', { 'ledger.rows': 2 }, at(1_700_000));
    process.end(at(2_500_000));
    charge.end(at(3_000_000));
    root.end(at(rootMs * 1_000_000));
    sent.push({ traceId: root.spanContext().traceId, error, rootMs, spans: [] });
  }
}

before(async () => {
  server = await startServer({ env: { DUCKTRACE_MAX_QUERY_RANGE_HOURS: '48', DUCKTRACE_MAX_SEARCH_LIMIT: '50' } });
  const exporter = () => new OTLPTraceExporter({ url: `${server.otlpHttpUrl}/v1/traces` });
  const checkout = makeProvider({ 'service.name': 'checkout', 'host.name': 'checkout-1', 'host.cpu.count': 4 }, exporter());
  const payments = makeProvider({ 'service.name': 'payments' }, exporter());
  buildTraces(checkout, payments);
  const spans = [...(await checkout.flush()), ...(await payments.flush())];
  checkout.exporter.assertAllSucceeded();
  payments.exporter.assertAllSucceeded();
  for (const s of sent) s.spans = spans.filter((span) => span.spanContext().traceId === s.traceId);
  await checkout.shutdown();
  await payments.shutdown();
  await waitFor(async () => {
    const response = await getJson<{ data: unknown[] }>(`${server.queryUrl}/api/traces?service=payments&limit=50&lookback=1h`);
    return response.body.data?.length === TRACES ? true : undefined;
  }, 'all traces to be searchable');
});

after(async () => {
  await server?.stop();
  removeTempDirs();
});

const api = <T>(path: string) => getJson<T>(`${server.queryUrl}${path}`);
const micros = (time: HrTime) => Number(hrTimeToNs(time) / 1000n);
const nowUs = () => Date.now() * 1000;

interface Tag {
  key: string;
  type: string;
  value: unknown;
}
interface JSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: Array<{ refType: string; traceID: string; spanID: string }>;
  startTime: number;
  duration: number;
  tags: Tag[];
  logs: Array<{ timestamp: number; fields: Tag[] }>;
  processID: string;
  warnings: string[] | null;
  flags: number;
}
interface JTrace {
  traceID: string;
  spans: JSpan[];
  processes: Record<string, { serviceName: string; tags: Tag[] }>;
  warnings: null;
}
interface Envelope<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: Array<{ code: number; msg: string; traceID?: string }> | null;
}

const traceIdsOf = (body: Envelope<JTrace[]>) => new Set(body.data.map((t) => t.traceID));
const idsWhere = (pick: (s: Sent) => boolean) => new Set(sent.filter(pick).map((s) => s.traceId));

/** The Jaeger span the SDK span must become, worked out from the span itself. */
function expectedSpan(span: ReadableSpan, processID: string): JSpan {
  const kinds = ['internal', 'server', 'client', 'producer', 'consumer'];
  const attributeTags: Tag[] = Object.entries(span.attributes).map(([key, value]) => {
    if (Array.isArray(value)) return { key, type: 'string', value: JSON.stringify(value) };
    if (typeof value === 'number') return { key, type: Number.isInteger(value) ? 'int64' : 'float64', value };
    return { key, type: typeof value === 'boolean' ? 'bool' : 'string', value };
  });
  const scope = span.instrumentationScope;
  const error = span.status.code === SpanStatusCode.ERROR;
  return {
    traceID: span.spanContext().traceId,
    spanID: span.spanContext().spanId,
    operationName: span.name,
    references: [
      ...(span.parentSpanContext ? [{ refType: 'CHILD_OF', traceID: span.spanContext().traceId, spanID: span.parentSpanContext.spanId }] : []),
      ...span.links.map((l) => ({ refType: 'FOLLOWS_FROM', traceID: l.context.traceId, spanID: l.context.spanId })),
    ],
    startTime: micros(span.startTime),
    duration: Number((hrTimeToNs(span.endTime) - hrTimeToNs(span.startTime)) / 1000n),
    tags: [
      { key: 'otel.scope.name', type: 'string', value: scope.name },
      ...(scope.version ? [{ key: 'otel.scope.version', type: 'string', value: scope.version }] : []),
      ...attributeTags,
      { key: 'span.kind', type: 'string', value: kinds[span.kind]! },
      ...(error ? [{ key: 'otel.status_code', type: 'string', value: 'ERROR' }, { key: 'error', type: 'bool', value: true }] : []),
      ...(span.status.message ? [{ key: 'otel.status_description', type: 'string', value: span.status.message }] : []),
    ],
    logs: span.events.map((e) => ({
      timestamp: micros(e.time),
      fields: [{ key: 'event', type: 'string', value: e.name }, ...Object.entries(e.attributes ?? {}).map(([key, value]) => ({ key, type: 'int64', value }))],
    })),
    processID,
    warnings: null,
    flags: 1,
  };
}

function expectedTrace(s: Sent): JTrace {
  const byName = (name: string) => s.spans.find((span) => span.name === name)!;
  return {
    traceID: s.traceId,
    spans: [expectedSpan(byName('POST /checkout'), 'p1'), expectedSpan(byName('charge'), 'p1'), expectedSpan(byName('process payment'), 'p2')],
    processes: {
      p1: {
        serviceName: 'checkout',
        tags: [
          { key: 'host.name', type: 'string', value: 'checkout-1' },
          { key: 'host.cpu.count', type: 'int64', value: 4 },
        ],
      },
      p2: { serviceName: 'payments', tags: [] },
    },
    warnings: null,
  };
}

/** The SDK also adds telemetry.sdk.* resource attributes: keep the ones the test set. */
function withoutSdkTags(t: JTrace): JTrace {
  const processes = Object.fromEntries(
    Object.entries(t.processes).map(([id, p]) => [id, { ...p, tags: p.tags.filter((tag) => !tag.key.startsWith('telemetry.sdk.')) }]),
  );
  return { ...t, processes };
}

describe('classic API', () => {
  test('services and operations, in the envelope', async () => {
    const services = await api<Envelope<string[]>>('/api/services');
    assert.equal(services.status, 200);
    assert.deepEqual(services.body, { data: ['checkout', 'payments'], total: 2, limit: 0, offset: 0, errors: null });
    assert.deepEqual((await api<Envelope<string[]>>('/api/services/checkout/operations')).body.data, ['POST /checkout', 'charge']);
    assert.deepEqual((await api<Envelope<unknown>>('/api/operations?service=checkout')).body.data, [
      { name: 'POST /checkout', spanKind: 'server' },
      { name: 'charge', spanKind: 'client' },
    ]);
    assert.deepEqual((await api<Envelope<unknown>>('/api/operations?service=checkout&spanKind=client')).body.data, [{ name: 'charge', spanKind: 'client' }]);
  });

  test("Jaeger UI's search: bare maxDuration/minDuration, lookback, start/end in µs; every trace exactly as the SDK made it", async () => {
    const start = nowUs() - 3_600_000_000;
    const response = await api<Envelope<JTrace[]>>(`/api/traces?end=${nowUs()}&limit=20&lookback=1h&maxDuration&minDuration&service=checkout&start=${start}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.errors, null);
    assert.equal(response.body.data.length, TRACES);
    // Newest first, as the native search orders them.
    assert.deepEqual(response.body.data.map((t) => t.traceID), [...sent].reverse().map((s) => s.traceId));
    for (const t of response.body.data) assert.deepEqual(withoutSdkTags(t), expectedTrace(sent.find((s) => s.traceId === t.traceID)!));
    const linked = response.body.data.find((t) => t.traceID === sent[0]!.traceId)!;
    assert.deepEqual(linked.spans[2]!.references.map((r) => r.refType), ['CHILD_OF', 'FOLLOWS_FROM']);
  });

  test("Grafana's search: operation and tags as a JSON map, with empty durations", async () => {
    const tags = encodeURIComponent(JSON.stringify({ 'http.status_code': '500' }));
    const response = await api<Envelope<JTrace[]>>(
      `/api/traces?service=checkout&operation=POST%20%2Fcheckout&limit=20&lookback=1h&maxDuration=&minDuration=&start=${nowUs() - 3_600_000_000}&end=${nowUs()}&tags=${tags}`,
    );
    assert.equal(response.status, 200);
    assert.deepEqual(traceIdsOf(response.body), idsWhere((s) => s.error));
  });

  test('error=true is a span with status ERROR on the searched service; span.kind is the span kind', async () => {
    const errors = await api<Envelope<JTrace[]>>(`/api/traces?service=checkout&tags=${encodeURIComponent('{"error":"true"}')}&lookback=1h`);
    assert.deepEqual(traceIdsOf(errors.body), idsWhere((s) => s.error));
    // The errors are on checkout spans only: searching payments for them finds nothing.
    const paymentErrors = await api<Envelope<JTrace[]>>('/api/traces?service=payments&tag=error:true&lookback=1h');
    assert.equal(paymentErrors.body.data.length, 0);
    const ok = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&operation=POST%20%2Fcheckout&tag=error:false&lookback=1h');
    assert.deepEqual(traceIdsOf(ok.body), idsWhere((s) => !s.error));
    const clients = await api<Envelope<JTrace[]>>('/api/traces?service=payments&tag=span.kind:client&lookback=1h');
    assert.equal(clients.body.data.length, 0);
    const servers = await api<Envelope<JTrace[]>>('/api/traces?service=payments&tag=span.kind:server&tag=ledger.rows:2&lookback=1h');
    assert.equal(servers.body.data.length, 0, 'ledger.rows is an event attribute, not a span attribute');
    const serverSpans = await api<Envelope<JTrace[]>>('/api/traces?service=payments&tag=span.kind:server&lookback=1h');
    assert.equal(serverSpans.body.data.length, TRACES);
  });

  test('minDuration and maxDuration are on the matching span, not the trace', async () => {
    const slowRoots = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&operation=POST%20%2Fcheckout&minDuration=35ms&lookback=1h');
    assert.deepEqual(traceIdsOf(slowRoots.body), idsWhere((s) => s.rootMs >= 35));
    const slowCharges = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&operation=charge&minDuration=35ms&lookback=1h');
    assert.equal(slowCharges.body.data.length, 0, 'charge takes 2 ms in every trace, however long its trace');
    const band = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&operation=POST%20%2Fcheckout&minDuration=0.02s&maxDuration=40ms&lookback=1h');
    assert.deepEqual(traceIdsOf(band.body), idsWhere((s) => s.rootMs >= 20 && s.rootMs <= 40));
  });

  test('limit and the time range', async () => {
    const two = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&limit=2&lookback=1h');
    assert.deepEqual(two.body.data.map((t) => t.traceID), [sent[5]!.traceId, sent[4]!.traceId]);
    const capped = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&limit=1500&lookback=1h');
    assert.equal(capped.body.data.length, TRACES);
    // Traces start at now - 600 s + 60 s × i: only the last one is in the last 330 s.
    const recent = await api<Envelope<JTrace[]>>(`/api/traces?service=checkout&start=${nowUs() - 330_000_000}&end=${nowUs()}`);
    assert.deepEqual(traceIdsOf(recent.body), new Set(sent.slice(5).map((s) => s.traceId)));
    const lookback = await api<Envelope<JTrace[]>>('/api/traces?service=checkout&lookback=5m');
    assert.equal(lookback.body.data.length, 0);
  });

  test('traceID: several at once, missing ones reported in errors', async () => {
    const missing = '0123456789abcdef0123456789abcdef';
    const response = await api<Envelope<JTrace[]>>(`/api/traces?traceID=${sent[1]!.traceId}&traceID=${sent[2]!.traceId.toUpperCase()}&traceID=${missing}`);
    assert.equal(response.status, 200);
    assert.deepEqual(traceIdsOf(response.body), new Set([sent[1]!.traceId, sent[2]!.traceId]));
    assert.deepEqual(response.body.errors, [{ code: 404, msg: 'trace not found', traceID: missing }]);
  });

  test('one trace: data is a list of one; raw=true; an unknown trace is 404 in the envelope', async () => {
    const s = sent[3]!;
    const response = await api<Envelope<JTrace[]>>(`/api/traces/${s.traceId}`);
    assert.equal(response.status, 200);
    assert.deepEqual({ ...response.body, data: response.body.data.map(withoutSdkTags) }, { data: [expectedTrace(s)], total: 1, limit: 0, offset: 0, errors: null });
    const raw = await api<Envelope<JTrace[]>>(`/api/traces/${s.traceId}?raw=true`);
    assert.deepEqual(raw.body.data.map(withoutSdkTags), [expectedTrace(s)]);
    const unknown = await api<Envelope<null>>('/api/traces/0123456789abcdef0123456789abcdef');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { data: null, total: 0, limit: 0, offset: 0, errors: [{ code: 404, msg: 'trace not found' }] });
  });

  test('dependencies: endTs and lookback in milliseconds', async () => {
    const response = await api<Envelope<unknown>>(`/api/dependencies?endTs=${Date.now()}&lookback=3600000`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.data, [{ parent: 'checkout', child: 'payments', callCount: TRACES }]);
    const before = await api<Envelope<unknown[]>>(`/api/dependencies?endTs=${Date.now() - 3_600_000}&lookback=3600000`);
    assert.deepEqual(before.body.data, []);
  });

  test('bad parameters: 400 in the envelope, naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/traces?service=checkout&minDuration=fast', /"minDuration"/],
      ['/api/traces?service=checkout&minDuration=50ms&maxDuration=10ms', /"maxDuration"/],
      ['/api/traces?service=checkout&start=yesterday', /"start"/],
      ['/api/traces?service=checkout&end=1.5', /"end"/],
      ['/api/traces?service=checkout&lookback=sometime', /"lookback"/],
      ['/api/traces?service=checkout&lookback=3d', /"lookback".*limit of 48 hours/],
      ['/api/traces?service=checkout&limit=many', /"limit"/],
      ['/api/traces?service=checkout&tags=%7Bbroken', /"tags"/],
      ['/api/traces?service=checkout&tag=nocolon', /"tag"/],
      ['/api/traces?service=checkout&tags=%7B%22error%22%3A%22maybe%22%7D', /"tags".*"error"/],
      ['/api/traces?traceID=xyz', /"traceID"/],
      ['/api/traces/nothex', /"traceID"/],
      ['/api/traces/0123456789abcdef0123456789abcdef?raw=yes', /"raw"/],
      ['/api/operations', /"service": is required/],
      ['/api/operations?service=checkout&spanKind=sideways', /"spanKind"/],
      ['/api/dependencies?endTs=now', /"endTs"/],
      ['/api/dependencies?lookback=-5', /"lookback"/],
    ];
    for (const [path, message] of cases) {
      const response = await api<Envelope<null>>(path);
      assert.equal(response.status, 400, path);
      assert.equal(response.body.data, null, path);
      assert.equal(response.body.errors?.length, 1, path);
      assert.equal(response.body.errors![0]!.code, 400, path);
      assert.match(response.body.errors![0]!.msg, message, path);
    }
  });
});

interface OtlpDocument {
  resourceSpans: Array<{
    resource: { attributes: Array<{ key: string; value: unknown }> };
    scopeSpans: Array<{ scope: { name: string }; spans: Array<{ traceId: string; spanId: string; parentSpanId: string; name: string; kind: number; startTimeUnixNano: string; links: Array<{ traceId: string }> }> }>;
  }>;
}
const spansOf = (doc: OtlpDocument) => doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));

describe('api_v3', () => {
  test('services and operations, span_kind in either spelling', async () => {
    assert.deepEqual((await api('/api/v3/services')).body, { services: ['checkout', 'payments'] });
    assert.deepEqual((await api('/api/v3/operations?service=checkout')).body, {
      operations: [
        { name: 'POST /checkout', spanKind: 'server' },
        { name: 'charge', spanKind: 'client' },
      ],
    });
    assert.deepEqual((await api('/api/v3/operations?service=checkout&span_kind=server')).body, { operations: [{ name: 'POST /checkout', spanKind: 'server' }] });
    assert.deepEqual((await api('/api/v3/operations?service=checkout&spanKind=client')).body, { operations: [{ name: 'charge', spanKind: 'client' }] });
  });

  test('one trace as OTLP/JSON under result, ids in hex; a time window that misses it is 404', async () => {
    const s = sent[0]!;
    const response = await api<{ result: OtlpDocument }>(`/api/v3/traces/${s.traceId}`);
    assert.equal(response.status, 200);
    const spans = spansOf(response.body.result);
    assert.deepEqual(
      spans.map((span) => [span.traceId, span.spanId, span.name, span.kind]).sort(),
      s.spans.map((span) => [s.traceId, span.spanContext().spanId, span.name, span.kind + 1]).sort(),
    );
    assert.deepEqual(spans.find((span) => span.name === 'process payment')!.links.map((l) => l.traceId), [LINKED_TRACE]);
    assert.deepEqual(response.body.result.resourceSpans.map((r) => r.resource.attributes.find((a) => a.key === 'service.name')!.value), [
      { stringValue: 'checkout' },
      { stringValue: 'payments' },
    ]);
    const startNs = hrTimeToNs(s.spans.find((span) => span.name === 'POST /checkout')!.startTime);
    const iso = (ns: bigint) => new Date(Number(ns / 1_000_000n)).toISOString();
    const inWindow = await api(`/api/v3/traces/${s.traceId}?start_time=${iso(startNs - 60_000_000_000n)}&end_time=${iso(startNs + 60_000_000_000n)}&raw_traces=true`);
    assert.equal(inWindow.status, 200);
    const outside = await api(`/api/v3/traces/${s.traceId}?startTime=${iso(startNs + 60_000_000_000n)}&endTime=${iso(startNs + 120_000_000_000n)}`);
    assert.equal(outside.status, 404);
    const unknown = await api('/api/v3/traces/0123456789abcdef0123456789abcdef');
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body, { error: { httpCode: 404, message: 'trace 0123456789abcdef0123456789abcdef was not found' } });
  });

  test('search in snake_case and camelCase finds the same traces', async () => {
    const min = new Date(Date.now() - 3_600_000).toISOString();
    const max = new Date().toISOString();
    const attributes = encodeURIComponent(JSON.stringify({ 'http.status_code': '500' }));
    const snake = await api<{ result: OtlpDocument }>(
      `/api/v3/traces?query.service_name=checkout&query.operation_name=POST%20%2Fcheckout&query.attributes=${attributes}&query.start_time_min=${min}&query.start_time_max=${max}&query.duration_min=0.025s&query.search_depth=20&query.raw_traces=false`,
    );
    assert.equal(snake.status, 200);
    const expected = idsWhere((s) => s.error && s.rootMs >= 25);
    assert.equal(expected.size, 2);
    assert.deepEqual(new Set(spansOf(snake.body.result).map((s) => s.traceId)), expected);
    assert.equal(spansOf(snake.body.result).length, 3 * expected.size, 'every span of each matched trace');
    const camel = await api<{ result: OtlpDocument }>(
      `/api/v3/traces?query.serviceName=checkout&query.operationName=POST%20%2Fcheckout&query.attributes=${attributes}&query.startTimeMin=${min}&query.startTimeMax=${max}&query.durationMin=25ms&query.searchDepth=20&query.rawTraces=true`,
    );
    assert.deepEqual(new Set(spansOf(camel.body.result).map((s) => s.traceId)), expected);
    const depth = await api<{ result: OtlpDocument }>(`/api/v3/traces?query.serviceName=payments&query.startTimeMin=${min}&query.startTimeMax=${max}&query.searchDepth=2`);
    assert.deepEqual(new Set(spansOf(depth.body.result).map((s) => s.traceId)), new Set([sent[5]!.traceId, sent[4]!.traceId]));
    const none = await api<{ result: OtlpDocument }>(`/api/v3/traces?query.service_name=nobody&query.start_time_min=${min}&query.start_time_max=${max}`);
    assert.deepEqual(none.body, { result: { resourceSpans: [] } });
  });

  test("trace summaries: Jaeger's FindTraceSummariesResponse, as Jaeger UI v2.19+ searches with it", async () => {
    const min = new Date(Date.now() - 3_600_000).toISOString();
    const max = new Date().toISOString();
    // The request Jaeger UI's v3 client sends for a search (packages/jaeger-ui/src/api/v3/client.ts).
    const response = await api<unknown>(
      `/api/v3/trace-summaries?query.serviceName=checkout&query.startTimeMin=${min}&query.startTimeMax=${max}&query.searchDepth=1&query.attributes=${encodeURIComponent('{"error":"true"}')}`,
    );
    assert.equal(response.status, 200);
    const s = sent[4]!;
    const root = s.spans.find((span) => span.name === 'POST /checkout')!;
    const startNs = hrTimeToNs(root.startTime);
    assert.deepEqual(response.body, {
      summaries: [
        {
          traceId: s.traceId,
          rootServiceName: 'checkout',
          rootOperationName: 'POST /checkout',
          minStartTimeUnixNano: startNs.toString(),
          maxEndTimeUnixNano: hrTimeToNs(root.endTime).toString(),
          spanCount: 3,
          errorSpanCount: 1,
          orphanSpanCount: 0,
          services: [
            { name: 'checkout', spanCount: 2, errorSpanCount: 1 },
            { name: 'payments', spanCount: 1, errorSpanCount: 0 },
          ],
        },
      ],
    });
    const proto = jaegerProtoRoot();
    const message = readProto3Json(proto, 'jaeger.api_v3.FindTraceSummariesResponse', response.body);
    assert.deepEqual(proto.lookupType('jaeger.api_v3.FindTraceSummariesResponse').toObject(message, { longs: String, defaults: true, arrays: true }), response.body);
    const rows = uiTraceSummaries(response.body);
    assert.deepEqual(
      rows.map((r) => [r.traceID, r.traceName, r.startTime, r.duration, r.spanCount, r.errorSpanCount]),
      [[s.traceId, 'checkout: POST /checkout', Number(startNs / 1000n), s.rootMs * 1000, 3, 1]],
    );
    const all = await api<unknown>(`/api/v3/trace-summaries?query.serviceName=payments&query.startTimeMin=${min}&query.startTimeMax=${max}&query.searchDepth=20`);
    assert.deepEqual(new Set(uiTraceSummaries(all.body).map((r) => r.traceID)), idsWhere(() => true));
    const none = await api(`/api/v3/trace-summaries?query.serviceName=nobody&query.startTimeMin=${min}&query.startTimeMax=${max}`);
    assert.deepEqual(none.body, { summaries: [] });
  });

  test('bad parameters: 400 in the grpc-gateway error shape, naming the parameter', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/api/v3/traces?query.duration_min=fast', /"query.duration_min"/],
      ['/api/v3/traces?query.durationMax=soon', /"query.durationMax"/],
      ['/api/v3/traces?query.start_time_min=yesterday', /"query.start_time_min"/],
      ['/api/v3/traces?query.startTimeMin=2030-01-02T00:00:00Z&query.startTimeMax=2030-01-01T00:00:00Z', /"query.startTimeMin": must be before query.startTimeMax/],
      ['/api/v3/traces?query.start_time_min=2020-01-01T00:00:00Z&query.start_time_max=2020-01-05T00:00:00Z', /limit of 48 hours/],
      ['/api/v3/traces?query.attributes=notjson', /"query.attributes"/],
      ['/api/v3/traces?query.search_depth=-1', /"query.search_depth"/],
      ['/api/v3/traces?query.raw_traces=perhaps', /"query.raw_traces"/],
      ['/api/v3/traces?query.service_name=a&query.serviceName=b', /"query.service_name".*query.serviceName/],
      ['/api/v3/trace-summaries?query.searchDepth=x', /"query.searchDepth"/],
      ['/api/v3/traces/nothex', /"trace_id"/],
      ['/api/v3/traces/0123456789abcdef0123456789abcdef?start_time=soon', /"start_time"/],
      ['/api/v3/operations', /"service": is required/],
      ['/api/v3/operations?service=checkout&span_kind=sideways', /"span_kind"/],
    ];
    for (const [path, message] of cases) {
      const response = await api<{ error: { httpCode: number; message: string } }>(path);
      assert.equal(response.status, 400, path);
      assert.equal(response.body.error.httpCode, 400, path);
      assert.match(response.body.error.message, message, path);
      assert.deepEqual(Object.keys(response.body), ['error'], path);
    }
  });
});
