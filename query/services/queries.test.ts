/** The query services against real DuckDB, checked with answers computed independently from the same rows. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import type { SpanRow } from '../../core/model/span.js';
import { attributes, generateTraces, spanRow, weightedPercentile } from '../../test/fixtures/generatedTraces.js';
import { parseAttributeFilters } from './attributeFilter.js';
import { listOperations, listServices } from './catalog.js';
import type { CallBucket } from '../../core/storage/serviceCalls.js';
import { dependencies } from './dependencies.js';
import { latency, percentileLabel } from './latency.js';
import { searchSql, searchTraces, type TraceSearch } from './search.js';

const START = 1_800_000_000_000_000_000n;
const SECOND = 1_000_000_000n;
const range = { startNs: START, endNs: START + 1000n * SECOND };
let db: Database;
let executor: DuckDBQueryExecutor;
let rows: SpanRow[];

before(async () => {
  rows = generateTraces(600, START, SECOND);
  // A trace whose root has not arrived: its api span names a parent that is not there.
  rows.push(spanRow({ traceId: 'f'.repeat(32), spanId: 'e'.repeat(16), parentSpanId: 'd'.repeat(16), serviceName: 'api', name: 'late', startTimeUnixNano: START + 5n * SECOND, durationNs: 10n }));
  db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(rows);
  await writer.close();
  executor = new DuckDBQueryExecutor(db, 10_000);
});
after(() => {
  executor.close();
  db.close();
});

const search = (fields: Partial<TraceSearch>) => searchTraces(executor, { range, attributes: [], limit: 1000, ...fields });

/** A database of its own, written by `write`, for `run` to query. */
async function withOwnDatabase(write: (writer: DuckDBTraceWriter) => Promise<void>, run: (executor: DuckDBQueryExecutor) => Promise<void>): Promise<void> {
  const ownDb = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(ownDb, { connections: 2 });
  await write(writer);
  await writer.close();
  const ownExecutor = new DuckDBQueryExecutor(ownDb, 10_000);
  try {
    await run(ownExecutor);
  } finally {
    ownExecutor.close();
    ownDb.close();
  }
}
const traceIdsOf = (predicate: (r: SpanRow) => boolean) => new Set(rows.filter(predicate).map((r) => r.traceId));

describe('search', () => {
  test('span filters all apply to one span; results newest first', async () => {
    const result = await search({ service: 'api', attributes: parseAttributeFilters(['http.response.status_code>=500']) });
    const expected = traceIdsOf((r) => r.serviceName === 'api' && r.statusCode === 2);
    assert.deepEqual(new Set(result.traces.map((t) => t.traceId)), expected);
    const starts = result.traces.map((t) => BigInt(t.startTimeUnixNano));
    assert.deepEqual(starts, [...starts].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });

  test('trace duration and span duration are different filters', async () => {
    const traceDuration = new Map<string, bigint>();
    for (const r of rows.filter((r) => r.name === 'GET /orders' && r.serviceName === 'gateway')) traceDuration.set(r.traceId, r.durationNs);
    const byTrace = await search({ minDurationNs: 100_000n });
    assert.deepEqual(new Set(byTrace.traces.map((t) => t.traceId)), new Set([...traceDuration].filter(([, d]) => d >= 100_000n).map(([id]) => id)));
    const bySpan = await search({ operation: 'SELECT orders', spanMinDurationNs: 40_000n });
    assert.deepEqual(new Set(bySpan.traces.map((t) => t.traceId)), traceIdsOf((r) => r.name === 'SELECT orders' && r.durationNs >= 40_000n));
  });

  test('regex, inequality, existence and absence filters', async () => {
    const regex = await search({ attributes: parseAttributeFilters(['db.system.name=~post.*']) });
    assert.equal(regex.traces.length, 600);
    const absent = await search({ service: 'gateway', attributes: parseAttributeFilters(['http.response.status_code!=200']) });
    assert.deepEqual(new Set(absent.traces.map((t) => t.traceId)), traceIdsOf((r) => r.serviceName === 'gateway' && r.statusCode === 2));
    const missing = await search({ service: 'auth', attributes: parseAttributeFilters(['!http.route']) });
    assert.equal(missing.traces.length, 200);
  });

  test('span kind and span status hold on the matching span', async () => {
    const clientErrors = await search({ spanKind: 3, spanStatusCodes: [2] });
    assert.equal(clientErrors.traces.length, 0, 'the failing spans are servers, not the database clients');
    const serverErrors = await search({ service: 'api', spanKind: 2, spanStatusCodes: [2] });
    assert.deepEqual(new Set(serverErrors.traces.map((t) => t.traceId)), traceIdsOf((r) => r.serviceName === 'api' && r.statusCode === 2));
    assert.equal((await search({ spanStatusCodes: [] })).traces.length, 0);
  });

  test('status filters on the trace; summaries count spans, errors, services and orphans', async () => {
    const errors = await search({ status: 'error' });
    assert.deepEqual(new Set(errors.traces.map((t) => t.traceId)), traceIdsOf((r) => r.statusCode === 2));
    const summary = (await search({ traceIds: ['0'.repeat(31) + '1'] })).traces[0]!;
    assert.deepEqual(
      { root: [summary.rootService, summary.rootOperation, summary.hasRoot], spans: summary.spanCount, services: summary.services.map((s) => s.service) },
      { root: ['gateway', 'GET /orders', true], spans: 4, services: ['api', 'auth', 'gateway'] },
    );
  });

  test('a trace whose root has not arrived is still found, as an orphan', async () => {
    const result = await search({ operation: 'late' });
    assert.equal(result.traces.length, 1);
    assert.deepEqual([result.traces[0]!.hasRoot, result.traces[0]!.orphanCount, result.traces[0]!.rootOperation], [false, 1, 'late']);
  });

  test('the cursor walks every trace once, in order', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const result = await search({ service: 'auth', limit: 37, cursor });
      seen.push(...result.traces.map((t) => t.traceId));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    assert.equal(seen.length, 200);
    assert.equal(new Set(seen).size, 200);
  });
});

test('search: traces written across batches are summarized whole; one longer than the range is found only with a span in it', async () => {
  const at = (seconds: bigint) => START + seconds * SECOND;
  const [split, straddling, around] = ['a', 'b', 'c'].map((c) => c.repeat(32));
  // One trace over three batches; one batch holding a span before, in and after the range; one with spans only around it.
  const write = async (writer: DuckDBTraceWriter) => {
    await writer.append([spanRow({ traceId: split!, spanId: '1'.repeat(16), serviceName: 'gateway', name: 'GET /', startTimeUnixNano: at(0n), durationNs: 305n * SECOND })]);
    await Promise.all([
      writer.append([spanRow({ traceId: split!, spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), serviceName: 'api', name: 'call', startTimeUnixNano: at(100n), durationNs: SECOND, statusCode: 2 })]),
      writer.append([
        spanRow({ traceId: split!, spanId: '3'.repeat(16), parentSpanId: '1'.repeat(16), serviceName: 'api', name: 'call', startTimeUnixNano: at(300n), durationNs: 5n * SECOND }),
        ...[0n, 100n, 300n].map((s, i) => spanRow({ traceId: straddling!, spanId: String(i + 1).repeat(16), parentSpanId: i === 0 ? '' : '1'.repeat(16), serviceName: 'api', name: 'long', startTimeUnixNano: at(s), durationNs: SECOND })),
        ...[0n, 300n].map((s, i) => spanRow({ traceId: around!, spanId: String(i + 1).repeat(16), parentSpanId: i === 0 ? '' : '9'.repeat(16), serviceName: 'api', name: 'around', startTimeUnixNano: at(s), durationNs: SECOND })),
      ]),
    ]);
  };
  await withOwnDatabase(write, async (batchedExecutor) => {
    const result = await searchTraces(batchedExecutor, { range: { startNs: at(50n), endNs: at(200n) }, attributes: [], limit: 10 });
    assert.deepEqual(result.traces.map((t) => t.traceId).sort(), [split, straddling]);
    const trace = result.traces.find((t) => t.traceId === split)!;
    assert.deepEqual(trace, {
      traceId: split,
      rootService: 'gateway',
      rootOperation: 'GET /',
      hasRoot: true,
      startTimeUnixNano: String(at(0n)),
      durationNs: String(305n * SECOND),
      spanCount: 3,
      errorCount: 1,
      orphanCount: 0,
      services: [
        { service: 'api', spanCount: 2, errorCount: 1 },
        { service: 'gateway', spanCount: 1, errorCount: 0 },
      ],
    });
    const orphaned = await searchTraces(batchedExecutor, { range: { startNs: at(0n), endNs: at(400n) }, operation: 'around', attributes: [], limit: 10 });
    assert.deepEqual(orphaned.traces.map((t) => [t.traceId, t.spanCount, t.orphanCount]), [[around, 2, 1]]);
  });
});

test('search: a filter on a well-known attribute, read from its own column, matches as one on the maps does: the span attribute, else the resource one', async () => {
  // Each span carries the same values under a well-known key and under a key of its own (app.*).
  const both = (entries: Record<string, string | number>) =>
    attributes(Object.fromEntries(Object.entries(entries).flatMap(([key, value]) => [[key, value], [key.replace(/^http\./, 'app.'), value]])));
  const spans: Array<{ span: Record<string, string | number>; resource: Record<string, string | number> }> = [
    { span: { 'http.route': '/a', 'http.response.status_code': 200 }, resource: {} },
    { span: {}, resource: { 'http.route': '/b', 'http.response.status_code': 503 } },
    { span: { 'http.route': '/c', 'http.response.status_code': 500 }, resource: { 'http.route': '/x', 'http.response.status_code': 200 } },
    { span: {}, resource: {} },
  ];
  const traceIds = spans.map((_, i) => String(i + 1).repeat(32));
  const write = (writer: DuckDBTraceWriter) =>
    writer.append(
      spans.map((s, i) =>
        spanRow({ traceId: traceIds[i]!, spanId: '1'.repeat(16), serviceName: 'api', name: 'GET', startTimeUnixNano: START + BigInt(i) * SECOND, durationNs: 10n, attributes: both(s.span), resourceAttributes: both({ 'service.name': 'api', ...s.resource }) }),
      ),
    );
  await withOwnDatabase(write, async (searchExecutor) => {
    const found = async (filter: string) =>
      (await searchTraces(searchExecutor, { range, attributes: parseAttributeFilters([filter]), limit: 10 })).traces.map((t) => traceIds.indexOf(t.traceId) + 1).sort();
    // Each filter over the route and the status code, written for a key prefix.
    const cases: Array<[(p: string) => string, number[]]> = [
      [(p) => `${p}route=/a`, [1]],
      [(p) => `${p}route=/b`, [2]],
      [(p) => `${p}route=/x`, []],
      [(p) => `${p}route!=/c`, [1, 2, 4]],
      [(p) => `${p}route`, [1, 2, 3]],
      [(p) => `!${p}route`, [4]],
      [(p) => `${p}route=~/[ab]`, [1, 2]],
      [(p) => `${p}route!~/a`, [2, 3, 4]],
      [(p) => `${p}response.status_code>=500`, [2, 3]],
      [(p) => `${p}response.status_code<300`, [1]],
    ];
    for (const [filter, expected] of cases) {
      for (const text of [filter('http.'), filter('app.')]) assert.deepEqual(await found(text), expected, text);
    }
  });
});

test('search: scanning the newest part of the range first gives the pages that one scan of the whole range gives', async () => {
  const at = (seconds: bigint) => START + seconds * SECOND;
  // Two long traces start early and have a failing api span late: found by the first, newest scan,
  // they must not take the place of traces that start after them and only a wider scan finds.
  const longTraces = ['e', 'd'].flatMap((c, i) => [
    spanRow({ traceId: c.repeat(32), spanId: '1'.repeat(16), serviceName: 'gateway', name: 'GET /slow', startTimeUnixNano: at(10n * BigInt(i + 1)), durationNs: 570n * SECOND }),
    spanRow({ traceId: c.repeat(32), spanId: '2'.repeat(16), parentSpanId: '1'.repeat(16), serviceName: 'api', name: 'GET /orders', startTimeUnixNano: at(570n), durationNs: SECOND, statusCode: 2, attributes: attributes({ 'http.response.status_code': 500 }) }),
  ]);
  await withOwnDatabase(
    (writer) => writer.append([...generateTraces(600, START, SECOND), ...longTraces]),
    async (ownExecutor) => {
      // The first scan reads the last sixteenth of the range: 540 s to 576 s, 37 traces and the long ones.
      const ownRange = { startNs: at(0n), endNs: at(576n) };
      const searches: Array<[string, Partial<TraceSearch>]> = [
        ['service api', { service: 'api' }],
        ['service auth', { service: 'auth' }],
        ['status code >= 500', { attributes: parseAttributeFilters(['http.response.status_code>=500']) }],
      ];
      for (const [name, fields] of searches) {
        const whole = searchSql({ range: ownRange, attributes: [], ...fields, limit: 10_000 });
        const expected = (await ownExecutor.all(whole.sql, whole.params)).map((row) => String(row.trace_id));
        for (const limit of [5, 36, 37, 38, 39, 150, 1000]) {
          const paged: string[] = [];
          let cursor: string | undefined;
          do {
            const page = await searchTraces(ownExecutor, { range: ownRange, attributes: [], ...fields, limit, cursor });
            paged.push(...page.traces.map((t) => t.traceId));
            cursor = page.nextCursor ?? undefined;
          } while (cursor !== undefined);
          assert.deepEqual(paged, expected, `${name}, limit ${limit}`);
        }
      }
    },
  );
});

describe('latency', () => {
  const percentiles = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];

  test('weighted percentiles, rates and error rate match an independent computation', async () => {
    const result = await latency(executor, { range, service: 'api', operation: 'GET /orders', attributes: [], percentiles, stepNs: 100n * SECOND });
    const spans = rows.filter((r) => r.serviceName === 'api' && r.name === 'GET /orders');
    const weight = spans.reduce((s, r) => s + r.sampleWeight, 0);
    const errorWeight = spans.filter((r) => r.statusCode === 2).reduce((s, r) => s + r.sampleWeight, 0);
    assert.equal(result.summary.requests, weight);
    assert.equal(result.summary.requestRate, weight / 1000);
    assert.equal(result.summary.errorRate, errorWeight / weight);
    for (const q of percentiles) {
      const expected = weightedPercentile(spans.map((r) => ({ d: r.durationNs, w: r.sampleWeight })), q);
      assert.equal(result.summary.percentiles[percentileLabel(q)], expected.toString(), `p${q * 100}`);
    }
    assert.equal(result.series.length, 6, 'traces span 600 of the 1000 seconds: empty buckets are left out');
    const bucket = spans.filter((r) => r.startTimeUnixNano >= START + 300n * SECOND && r.startTimeUnixNano < START + 400n * SECOND);
    const third = result.series.find((s) => s.timeUnixNano === (START + 300n * SECOND).toString())!;
    assert.equal(third.requests, bucket.reduce((s, r) => s + r.sampleWeight, 0));
    assert.equal(third.percentiles.p99, weightedPercentile(bucket.map((r) => ({ d: r.durationNs, w: r.sampleWeight })), 0.99).toString());
  });

  test('root latency grouped by the depth of the trace', async () => {
    const result = await latency(executor, { range, service: 'gateway', attributes: [], percentiles: [0.5], stepNs: 1000n * SECOND, byDepth: true });
    // Every trace is gateway → api → db (3 layers); the auth call is also on layer 3. Traces are counted
    // by their roots' sampling weights, as every other count is.
    const roots = rows.filter((r) => r.serviceName === 'gateway');
    const weight = roots.reduce((s, r) => s + r.sampleWeight, 0);
    assert.notEqual(weight, roots.length, 'the fixture has sampled traces');
    assert.deepEqual(result.byDepth?.map((d) => [d.depth, d.traces]), [[3, weight]]);
    assert.equal(result.byDepth![0]!.percentiles.p50, weightedPercentile(roots.map((r) => ({ d: r.durationNs, w: r.sampleWeight })), 0.5).toString());
  });
});

describe('dependencies and catalog', () => {
  test('edges of the known topology, with weighted calls and error rates', async () => {
    const edges = await dependencies(executor, range);
    assert.deepEqual(
      edges.map((e) => [e.caller, e.callee, e.calleeIsPeer]),
      [
        ['api', 'auth', false],
        ['api', 'postgresql', true],
        ['gateway', 'api', false],
      ],
    );
    const gatewayApi = edges.find((e) => e.caller === 'gateway')!;
    const apiSpans = rows.filter((r) => r.serviceName === 'api' && r.name === 'GET /orders');
    const weight = apiSpans.reduce((s, r) => s + r.sampleWeight, 0);
    assert.equal(gatewayApi.callCount, weight);
    assert.equal(gatewayApi.errorRate, apiSpans.filter((r) => r.statusCode === 2).reduce((s, r) => s + r.sampleWeight, 0) / weight);
    // Read from duration buckets 5% wide: within 5% of the exact weighted percentile.
    for (const [q, reported] of [[0.5, gatewayApi.p50Ns], [0.99, gatewayApi.p99Ns]] as const) {
      const exact = Number(weightedPercentile(apiSpans.map((r) => ({ d: r.durationNs, w: r.sampleWeight })), q));
      assert.ok(Math.abs(Number(reported) - exact) <= 0.05 * exact, `p${q * 100} ${reported} within 5% of ${exact}`);
    }
  });

  test('dependencies count every minute the range touches, and add the calls not yet written to storage', async () => {
    const minute = 60n * SECOND;
    const edgesIn = async (startNs: bigint, endNs: bigint) => (await dependencies(executor, { startNs, endNs })).map((e) => `${e.caller}>${e.callee}`);
    // The traces start one per second from START; the last minute holding any is minute 9 (traces 540-599).
    assert.deepEqual(await edgesIn(START + 9n * minute + 59n * SECOND, START + 20n * minute), ['api>auth', 'api>postgresql', 'gateway>api']);
    assert.deepEqual(await edgesIn(START + 10n * minute, START + 20n * minute), []);
    const unflushed = { read: <T>(read: (rows: CallBucket[]) => Promise<T>) => read([{ minuteNs: START + 15n * minute, caller: 'web', callee: 'gateway', calleeIsPeer: false, durationBucket: 400, calls: 3, errors: 1, durationSum: 3 * 2900 }]) };
    assert.deepEqual(await dependencies(executor, { startNs: START + 10n * minute, endNs: START + 20n * minute }, unflushed), [
      { caller: 'web', callee: 'gateway', calleeIsPeer: false, callCount: 3, errorRate: 1 / 3, p50Ns: '2900', p99Ns: '2900' },
    ]);
  });

  test('services and operations in the range, with span kinds', async () => {
    assert.deepEqual(await listServices(executor, range), ['api', 'auth', 'gateway']);
    assert.deepEqual(await listOperations(executor, 'api', range), [
      { name: 'GET /orders', spanKind: 'SERVER' },
      { name: 'SELECT orders', spanKind: 'CLIENT' },
      { name: 'late', spanKind: 'SERVER' },
    ]);
    assert.deepEqual(await listServices(executor, { startNs: START - 10n * SECOND, endNs: START - SECOND }), []);
  });
});

test('a search for an attribute value no span in the range has is answered from attribute_values without reading spans; values that are there, or past what it lists, are still found', async () => {
  const MINUTE = 60n * SECOND;
  const host = attributes({ 'service.name': 'api', 'host.name': 'h1' });
  let n = 0;
  const at = (startNs: bigint, entries: Record<string, string | number>) =>
    spanRow({ traceId: String(++n).padStart(32, '0'), spanId: String(n).padStart(16, '0'), serviceName: 'api', name: 'op', startTimeUnixNano: startNs, durationNs: 1n, attributes: attributes(entries), resourceAttributes: host });
  const spans = [
    at(START + SECOND, { 'app.color': 'red' }),
    at(START + MINUTE + SECOND, { 'app.color': 'blue' }),
    // More distinct user ids in a minute than attribute_values lists.
    ...Array.from({ length: 1100 }, (_, i) => at(START + 2n * SECOND, { 'user.id': `u${i}` })),
  ];
  const ownDb = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(ownDb);
  await writer.append(spans);
  await writer.close();
  const executor = new DuckDBQueryExecutor(ownDb, 10_000);
  const statements: string[] = [];
  const counting = { all: (sql: string, params?: Parameters<typeof executor.all>[1]) => (statements.push(sql), executor.all(sql, params)) };
  const twoMinutes = { startNs: START, endNs: START + 2n * MINUTE - 1n };
  const found = async (filter: string, searchRange = twoMinutes) => {
    statements.length = 0;
    const result = await searchTraces(counting, { range: searchRange, attributes: parseAttributeFilters([filter]), limit: 10 });
    return result.traces.length;
  };
  const readSpans = () => statements.some((sql) => /FROM spans/.test(sql));
  try {
    assert.equal(await found('app.color=red'), 1);
    assert.equal(await found('host.name=h1'), 10, 'a resource attribute');
    assert.equal(await found('user.id=u1099'), 1, 'a value past what the table lists');
    assert.equal(await found('app.color=green'), 0);
    assert.equal(readSpans(), false, 'a value no span has is answered without reading spans');
    assert.equal(await found('app.color=blue', { startNs: START, endNs: START + MINUTE - 1n }), 0, 'blue is in the next minute only');
    assert.equal(readSpans(), false);
    assert.equal(await found('user.id=nobody'), 0);
    assert.equal(readSpans(), true, 'any value may be among more user ids than are listed: the spans are read');
    // Spans stored before the table existed are not in it: as an upgraded database has them.
    const connection = await ownDb.connect();
    await connection.run(`DELETE FROM attribute_values; UPDATE attribute_values_from SET from_ns = ${START + 2n * MINUTE}`);
    connection.closeSync();
    assert.equal(await found('app.color=red'), 1, 'spans from before the table are found by reading them');
    assert.equal(await found('app.color=green'), 0);
    assert.equal(readSpans(), true);
  } finally {
    executor.close();
    ownDb.close();
  }
});
