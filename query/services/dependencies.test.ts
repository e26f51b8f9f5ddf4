/** The dependency graph's arithmetic in DuckDB, from sums handed over as not yet written (the table is empty). */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { MINUTE_NS, type CallBucket } from '../../core/storage/serviceCalls.js';
import { dependencies } from './dependencies.js';

const MINUTE = 1_800_000_000_000_000_000n;
let db: Database;
let executor: DuckDBQueryExecutor;
before(async () => {
  db = await Database.open(null);
  executor = new DuckDBQueryExecutor(db, 10_000);
});
after(() => {
  executor.close();
  db.close();
});

const bucket = (callee: string, calleeIsPeer: boolean, durationBucket: number, calls: number, durationNs: number, errors = 0): CallBucket => ({
  minuteNs: MINUTE,
  caller: 'shop',
  callee,
  calleeIsPeer,
  durationBucket,
  calls,
  errors,
  durationSum: calls * durationNs,
});

const graph = (rows: CallBucket[], startNs = MINUTE, endNs = MINUTE + MINUTE_NS) => dependencies(executor, { startNs, endNs }, { read: (read) => read(rows) });

test('rows of one bucket add up; weighted percentiles are the mean duration of the bucket they fall in', async () => {
  const edges = await graph([bucket('db', true, 10, 1, 100), bucket('db', true, 10, 1, 102, 1), bucket('db', true, 20, 98, 500), bucket('db', true, 30, 1, 900)]);
  assert.deepEqual(edges, [{ caller: 'shop', callee: 'db', calleeIsPeer: true, callCount: 101, errorRate: 1 / 101, p50Ns: '500', p99Ns: '500' }]);
  assert.equal((await graph([bucket('db', true, 20, 1, 500), bucket('db', true, 30, 99, 900)]))[0]!.p99Ns, '900');
});

test('withdrawn peer calls cancel: a callee first seen as a peer and then instrumented is not a peer, and nothing left is no edge', async () => {
  const edges = await graph([
    bucket('payments', true, 12, 2, 300),
    bucket('payments', false, 11, 2, 250),
    bucket('payments', true, 12, -2, 300),
    bucket('gone', true, 5, 1, 40),
    bucket('gone', true, 5, -1, 40),
  ]);
  assert.deepEqual(edges, [{ caller: 'shop', callee: 'payments', calleeIsPeer: false, callCount: 2, errorRate: 0, p50Ns: '250', p99Ns: '250' }]);
});

test('edges come ordered by caller, then callee; minutes outside the range are left out', async () => {
  const rows = [bucket('z', false, 1, 1, 1), { ...bucket('a', false, 1, 1, 1), caller: 'web' }, bucket('a', false, 1, 1, 1), { ...bucket('late', false, 1, 1, 1), minuteNs: MINUTE + MINUTE_NS }];
  assert.deepEqual((await graph(rows)).map((e) => `${e.caller}>${e.callee}`), ['shop>a', 'shop>z', 'web>a']);
  assert.deepEqual((await graph(rows, MINUTE + MINUTE_NS + 5n, MINUTE + 2n * MINUTE_NS)).map((e) => `${e.caller}>${e.callee}`), ['shop>late']);
});
