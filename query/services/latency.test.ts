/** Latency by operation against real DuckDB, checked with figures worked out by hand. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import { spanRow, weightedPercentile } from '../../test/fixtures/generatedTraces.js';
import { ALL_SPANS, ENTRY_SPANS, latency, parseSpanKindSelection, percentileLabel, type LatencyQuery, type SpanKindSelection } from './latency.js';

const START = 1_800_000_000_000_000_000n;
const SECOND = 1_000_000_000n;
let db: Database;
let executor: DuckDBQueryExecutor;

before(async () => {
  let n = 0;
  const span = (serviceName: string, name: string, durationNs: bigint, fields: { sampleWeight?: number; statusCode?: number; at?: bigint } = {}) =>
    spanRow({
      traceId: (++n).toString(16).padStart(32, '0'),
      spanId: n.toString(16).padStart(16, '0'),
      serviceName,
      name,
      durationNs,
      startTimeUnixNano: START + (fields.at ?? BigInt(n) * 100_000_000n),
      sampleWeight: fields.sampleWeight ?? 1,
      statusCode: fields.statusCode ?? 0,
    });
  db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append([
    span('api', 'GET /a', 40n, { statusCode: 2 }),
    span('api', 'GET /a', 10n),
    span('api', 'GET /a', 30n),
    span('api', 'GET /a', 20n),
    span('api', 'GET /b', 100n, { sampleWeight: 3 }),
    span('api', 'GET /b', 200n, { statusCode: 2 }),
    // Neither counts: another service, and outside the range.
    span('web', 'GET /a', 5n),
    span('api', 'GET /a', 1n, { at: 20n * SECOND }),
  ]);
  await writer.close();
  executor = new DuckDBQueryExecutor(db, 10_000);
});
after(() => {
  executor.close();
  db.close();
});

const query: LatencyQuery = { range: { startNs: START, endNs: START + 10n * SECOND }, service: 'api', attributes: [], percentiles: [0.5, 0.9], stepNs: 10n * SECOND };

test('byOperation: weighted figures per span name, as the summary computes them', async () => {
  const result = await latency(executor, { ...query, byOperation: true });
  assert.deepEqual(result.byOperation, [
    // 10, 20, 30, 40 ns, weight 1 each: p50 is the 2nd, p90 the 4th; one error in 4 over 10 s.
    { operation: 'GET /a', requests: 4, requestRate: 0.4, errorRate: 0.25, errorRatePerSecond: 0.1, percentiles: { p50: '20', p90: '40' }, spans: 4 },
    // 100 ns weighs 3 of 4: it is the p50 (3 ≥ 2), and 200 ns the p90 (3 < 3.6 ≤ 4).
    { operation: 'GET /b', requests: 4, requestRate: 0.4, errorRate: 0.25, errorRatePerSecond: 0.1, percentiles: { p50: '100', p90: '200' }, spans: 2 },
  ]);
  // The whole service: 10, 20, 30, 40, 100 (×3), 200 over weight 8: p50 at 4 is 40, p90 at 7.2 is 200.
  assert.deepEqual(result.summary.percentiles, { p50: '40', p90: '200' });
  assert.equal(result.summary.requests, 8);
});

test('byOperation is left out unless asked for, and follows the operation filter', async () => {
  assert.equal('byOperation' in (await latency(executor, query)), false);
  const filtered = await latency(executor, { ...query, operation: 'GET /b', byOperation: true });
  assert.deepEqual(filtered.byOperation?.map((o) => [o.operation, o.requests]), [['GET /b', 4]]);
});

test('percentiles found through duration buckets equal the plain sort, for ties, zero, huge durations and uneven weights', async () => {
  const own = await Database.open(null);
  const ownExecutor = new DuckDBQueryExecutor(own, 10_000);
  try {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const rows = Array.from({ length: 4000 }, (_, n) => {
      const r = random();
      // Log-normal-ish durations rounded to whole milliseconds (many ties), plus zero and past the top bucket.
      const durationNs = r < 0.01 ? 0n : r < 0.02 ? 20_000_000_000_000n + BigInt(n) : BigInt(Math.round(Math.exp(random() * 8))) * 1_000_000n;
      return spanRow({
        traceId: (n + 1).toString(16).padStart(32, '0'),
        spanId: (n + 1).toString(16).padStart(16, '0'),
        serviceName: 'api',
        name: `op${n % 3}`,
        durationNs,
        startTimeUnixNano: START + BigInt(Math.floor(random() * 10)) * SECOND,
        sampleWeight: [1, 2, 5, 20][Math.floor(random() * 4)]!,
      });
    });
    const writer = await DuckDBTraceWriter.create(own);
    await writer.append(rows);
    await writer.close();
    const percentiles = [0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1];
    const result = await latency(ownExecutor, { ...query, percentiles, stepNs: 3n * SECOND, byOperation: true });
    const expected = (of: typeof rows) => Object.fromEntries(percentiles.map((q) => [percentileLabel(q), weightedPercentile(of.map((r) => ({ d: r.durationNs, w: r.sampleWeight })), q).toString()]));
    assert.deepEqual(result.summary.percentiles, expected(rows));
    assert.deepEqual(
      result.series.map((s) => s.percentiles),
      [0n, 3n, 6n, 9n].map((at) => expected(rows.filter((r) => r.startTimeUnixNano >= START + at * SECOND && r.startTimeUnixNano < START + (at + 3n) * SECOND))),
    );
    assert.deepEqual(
      result.byOperation?.map((o) => o.percentiles),
      ['op0', 'op1', 'op2'].map((name) => expected(rows.filter((r) => r.name === name))),
    );
  } finally {
    ownExecutor.close();
    own.close();
  }
});

test('a service counts its entry spans by default: server and consumer spans and roots, not its client or internal spans', async () => {
  const own = await Database.open(null);
  const ownExecutor = new DuckDBQueryExecutor(own, 10_000);
  try {
    let n = 0;
    const span = (kind: number, parentSpanId: string, durationNs: bigint, sampleWeight = 1) =>
      spanRow({
        traceId: '0'.repeat(31) + 'a',
        spanId: (++n).toString(16).padStart(16, '0'),
        parentSpanId,
        serviceName: 'shop',
        name: `kind${kind}`,
        kind,
        durationNs,
        startTimeUnixNano: START + BigInt(n) * SECOND,
        sampleWeight,
      });
    const writer = await DuckDBTraceWriter.create(own);
    await writer.append([
      span(2, 'f'.repeat(16), 100n, 4), // SERVER under another service's client span
      span(3, '0000000000000001', 50n, 4), // its CLIENT call
      span(1, '0000000000000001', 10n, 4), // an INTERNAL step
      span(5, 'e'.repeat(16), 200n), // CONSUMER of a message
      span(4, '', 30n), // a PRODUCER root: a root counts whatever its kind
      span(1, '', 20n), // an INTERNAL root (a scheduled job)
    ]);
    await writer.close();
    const figures = async (kinds?: SpanKindSelection) => {
      const result = await latency(ownExecutor, { ...query, service: 'shop', kinds, byOperation: true });
      return { requests: result.summary.requests, operations: result.byOperation!.map((o) => o.operation), spanKinds: result.spanKinds, rootSpans: result.rootSpans };
    };
    assert.deepEqual(await figures(), { requests: 7, operations: ['kind1', 'kind2', 'kind4', 'kind5'], spanKinds: ['server', 'consumer'], rootSpans: true });
    assert.deepEqual(await figures(ENTRY_SPANS), await figures());
    assert.deepEqual(await figures({ kinds: [3], roots: false }), { requests: 4, operations: ['kind3'], spanKinds: ['client'], rootSpans: false });
    assert.equal((await figures(ALL_SPANS)).requests, 4 + 4 + 4 + 1 + 1 + 1);
  } finally {
    ownExecutor.close();
    own.close();
  }
});

test('span kind selections as the API takes them', () => {
  const parse = (text: string | undefined) => parseSpanKindSelection(text, (name) => ({ server: 2, client: 3, internal: 1 })[name.trim()]);
  assert.deepEqual(parse(undefined), ENTRY_SPANS);
  assert.deepEqual(parse('Entry'), ENTRY_SPANS);
  assert.deepEqual(parse('all'), ALL_SPANS);
  assert.deepEqual(parse('server, client,server'), { kinds: [2, 3], roots: false });
  assert.equal(parse('server,nonsense'), undefined);
  assert.equal(parse(''), undefined);
});
