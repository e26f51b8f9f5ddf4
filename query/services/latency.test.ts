/** Latency by operation against real DuckDB, checked with figures worked out by hand. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { latency, type LatencyQuery } from './latency.js';

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
