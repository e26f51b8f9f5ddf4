/**
 * The native query API over HTTP against the real server, filled through OTLP: search, services and
 * operations, latency, dependencies, the trace formats, and 400s that name the bad parameter.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { makeSpan, postOtlp, protobufRequest, PROTOBUF, randomSpanId, randomTraceId } from '../helpers/otlp.js';
import { getJson, removeTempDirs, startServer, waitForStored, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle;
const now = Math.floor(Date.now() / 1000);
const at = (secondsAgo: number, ns = 0): HrTime => [now - secondsAgo, ns];

interface Sent {
  traceId: string;
  rootMs: number;
  error: boolean;
}
const sent: Sent[] = [];

/** web → shop (SERVER) → postgres (CLIENT with db.system.name); every fifth trace fails; root latency i ms. */
function shopTrace(i: number): ReadableSpan[] {
  const traceId = randomTraceId();
  const rootId = randomSpanId();
  const shopId = randomSpanId();
  const error = i % 5 === 0;
  const rootMs = 10 + i;
  sent.push({ traceId, rootMs, error });
  const start = at(600 - i);
  return [
    makeSpan({ traceId, spanId: rootId, name: 'GET /shop', service: 'web', kind: SpanKind.SERVER, startTime: start, durationNs: rootMs * 1e6, attributes: { 'http.response.status_code': error ? 500 : 200, 'http.route': '/shop' }, status: error ? { code: SpanStatusCode.ERROR, message: 'boom' } : undefined }),
    makeSpan({ traceId, spanId: shopId, parentSpanId: rootId, name: 'list items', service: 'shop', kind: SpanKind.SERVER, startTime: [start[0], 1_000_000], durationNs: 5e6 }),
    makeSpan({ traceId, parentSpanId: shopId, name: 'SELECT items', service: 'shop', kind: SpanKind.CLIENT, startTime: [start[0], 2_000_000], durationNs: 1e6 + i, attributes: { 'db.system.name': 'postgresql' } }),
  ];
}

before(async () => {
  server = await startServer({ env: { DUCKTRACE_MAX_QUERY_RANGE_HOURS: '48', DUCKTRACE_MAX_SEARCH_LIMIT: '50' } });
  const spans = Array.from({ length: 40 }, (_, i) => shopTrace(i)).flat();
  const result = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
  assert.equal(result.status, 200);
  await waitForStored(server.queryUrl);
});
after(async () => {
  await server.stop();
  removeTempDirs();
});

const api = <T>(path: string) => getJson<T>(`${server.queryUrl}${path}`);
interface Summary { traceId: string; durationNs: string; errorCount: number; spanCount: number; rootService: string }
interface Search { traces: Summary[]; nextCursor: string | null }

describe('search', () => {
  test('finds traces by attribute, newest first, and pages with the cursor', async () => {
    const first = await api<Search>(`/api/v1/traces?service=web&attr=${encodeURIComponent('http.response.status_code>=500')}&limit=3`);
    assert.equal(first.status, 200);
    const failing = sent.filter((s) => s.error).reverse();
    assert.deepEqual(first.body.traces.map((t) => t.traceId), failing.slice(0, 3).map((s) => s.traceId));
    const second = await api<Search>(`/api/v1/traces?service=web&attr=${encodeURIComponent('http.response.status_code>=500')}&limit=3&cursor=${first.body.nextCursor}`);
    assert.deepEqual(second.body.traces.map((t) => t.traceId), failing.slice(3, 6).map((s) => s.traceId));
  });

  test('minDuration is the trace duration, spanMinDuration the matching span duration', async () => {
    const slow = await api<Search>('/api/v1/traces?minDuration=40ms&limit=50');
    assert.deepEqual(new Set(slow.body.traces.map((t) => t.traceId)), new Set(sent.filter((s) => s.rootMs >= 40).map((s) => s.traceId)));
    const slowQuery = await api<Search>('/api/v1/traces?operation=SELECT%20items&spanMinDuration=1000030ns&limit=50');
    assert.equal(slowQuery.body.traces.length, 10);
    assert.ok(slowQuery.body.traces.every((t) => t.spanCount === 3 && t.rootService === 'web'));
  });

  test('status=error finds exactly the failed traces', async () => {
    const errors = await api<Search>('/api/v1/traces?status=error&limit=50');
    assert.deepEqual(new Set(errors.body.traces.map((t) => t.traceId)), new Set(sent.filter((s) => s.error).map((s) => s.traceId)));
  });
});

test('services, and operations with their span kinds', async () => {
  assert.deepEqual((await api<{ services: string[] }>('/api/v1/services')).body.services, ['shop', 'web']);
  assert.deepEqual((await api<{ operations: unknown[] }>('/api/v1/services/shop/operations')).body.operations, [
    { name: 'SELECT items', spanKind: 'CLIENT' },
    { name: 'list items', spanKind: 'SERVER' },
  ]);
  assert.deepEqual((await api<{ operations: unknown[] }>('/api/v1/services/shop/operations?kind=client')).body.operations, [{ name: 'SELECT items', spanKind: 'CLIENT' }]);
});

test('latency: counts, error rate and nearest-rank percentiles of what was sent', async () => {
  const result = await api<{ summary: { requests: number; errorRate: number; percentiles: Record<string, string> }; byDepth: Array<{ depth: number; traces: number }> }>(
    '/api/v1/latency?service=web&percentiles=0.5,0.9,p99&byDepth=true',
  );
  assert.equal(result.status, 200);
  assert.equal(result.body.summary.requests, 40);
  assert.equal(result.body.summary.errorRate, 8 / 40);
  const sorted = sent.map((s) => s.rootMs).sort((a, b) => a - b);
  assert.deepEqual(result.body.summary.percentiles, {
    p50: String(sorted[19]! * 1e6),
    p90: String(sorted[35]! * 1e6),
    p99: String(sorted[39]! * 1e6),
  });
  assert.deepEqual(result.body.byDepth.map((d) => [d.depth, d.traces]), [[3, 40]]);
});

test('latency counts a service\'s entry spans unless asked for other kinds, and says which it counted', async () => {
  interface Latency { summary: { requests: number }; byOperation: Array<{ operation: string }>; spanKinds: string[]; rootSpans: boolean }
  const shop = async (kind?: string) => (await api<Latency>(`/api/v1/latency?service=shop&byOperation=true${kind === undefined ? '' : `&kind=${kind}`}`)).body;
  // shop serves "list items" (SERVER) once per trace and calls the database (CLIENT) from it.
  const entry = await shop();
  assert.equal(entry.summary.requests, 40);
  assert.deepEqual(entry.byOperation.map((o) => o.operation), ['list items']);
  assert.deepEqual([entry.spanKinds, entry.rootSpans], [['server', 'consumer'], true]);
  assert.deepEqual((await shop('entry')).summary, entry.summary);
  const client = await shop('client');
  assert.deepEqual([client.summary.requests, client.byOperation.map((o) => o.operation), client.spanKinds, client.rootSpans], [40, ['SELECT items'], ['client'], false]);
  assert.equal((await shop('all')).summary.requests, 80);
  assert.equal((await shop('server,client')).summary.requests, 80);
});

test('dependencies: the known edges, with the uninstrumented database as a peer', async () => {
  const result = await api<{ edges: Array<{ caller: string; callee: string; callCount: number; calleeIsPeer: boolean }> }>('/api/v1/dependencies');
  assert.deepEqual(result.body.edges.map((e) => [e.caller, e.callee, e.callCount, e.calleeIsPeer]), [
    ['shop', 'postgresql', 40, true],
    ['web', 'shop', 40, false],
  ]);
});

test('a trace as OTLP/JSON, and unadjusted with raw=true', async () => {
  const { traceId } = sent[3]!;
  const otlp = await api<{ resourceSpans: Array<{ scopeSpans: Array<{ spans: unknown[] }> }> }>(`/api/v1/traces/${traceId}?format=otlp`);
  assert.equal(otlp.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)).length, 3);
  const tree = await api<{ spans: Array<{ onCriticalPath: boolean; name: string }> }>(`/api/v1/traces/${traceId}?raw=true`);
  assert.equal(tree.body.spans[0]!.name, 'GET /shop');
  assert.equal(tree.body.spans[0]!.onCriticalPath, true);
});

test('bad parameters get 400 with a message that names the parameter, and the server keeps serving', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/api/v1/traces?start=yesterday', /"start"/],
    ['/api/v1/traces?minDuration=fast', /"minDuration"/],
    ['/api/v1/traces?limit=51', /"limit".*1 to 50/],
    ['/api/v1/traces?limit=0', /"limit"/],
    ['/api/v1/traces?status=broken', /"status"/],
    ['/api/v1/traces?attr=%3D5', /"attr"/],
    ['/api/v1/traces?attr=http.status%3Efast', /"attr"/],
    ['/api/v1/traces?attr=k%3D~(unclosed', /missing \)/],
    ['/api/v1/traces?cursor=abc', /"cursor"/],
    ['/api/v1/traces?servce=web', /unknown parameter "servce"/],
    [`/api/v1/traces?start=${(BigInt(Date.now()) - 72n * 3_600_000n) * 1_000_000n}`, /limit of 48 hours/],
    ['/api/v1/traces?start=2030-01-02T00:00:00Z&end=2030-01-01T00:00:00Z', /"start": must be before end/],
    ['/api/v1/latency', /"service": is required/],
    ['/api/v1/latency?service=web&percentiles=p200', /"percentiles"/],
    ['/api/v1/latency?service=web&step=1ms', /"step"/],
    ['/api/v1/latency?service=web&byDepth=yes', /"byDepth": must be true or false/],
    ['/api/v1/latency?service=web&kind=servers', /"kind": must be entry/],
    ['/api/v1/services/web/operations?kind=sideways', /"kind"/],
    ['/api/v1/traces/xyz', /traceId/],
    ['/api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736?format=xml', /"format"/],
  ];
  for (const [path, message] of cases) {
    const response = await api<{ error: { code: string; message: string } }>(path);
    assert.equal(response.status, 400, path);
    assert.match(response.body.error.message, message, path);
  }
  assert.equal((await api<Search>('/api/v1/traces?service=web&limit=1')).status, 200);
});
