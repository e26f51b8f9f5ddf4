import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LatencyResult, RedFigures } from '../api.js';
import { overviewParams, redSeries, resolveViewRange, sortOperations, summaryParams } from './redSeries.js';

const S = 1_000_000_000n;
const START = 1_800_000_000n * S;

function figures(requests: number, errors: number, p50: string | null): RedFigures {
  return { requests, requestRate: requests / 60, errorRate: requests ? errors / requests : null, errorRatePerSecond: errors / 60, percentiles: { p50, p90: p50, p99: p50 }, spans: requests };
}

test('series cover every bucket of the range: empty ones have no requests, and no error rate or latency', () => {
  const result: LatencyResult = {
    service: 'cart',
    operation: null,
    startTimeUnixNano: String(START),
    endTimeUnixNano: String(START + 180n * S),
    stepNs: String(60n * S),
    summary: figures(30, 3, '5000000'),
    series: [
      { timeUnixNano: String(START), ...figures(10, 1, '2000000') },
      { timeUnixNano: String(START + 120n * S), ...figures(20, 2, '7500000') },
    ],
    byDepth: [],
  };
  const series = redSeries(result);
  assert.deepEqual(series.times, [1_800_000_000, 1_800_000_060, 1_800_000_120]);
  assert.deepEqual(series.requestRate, [10 / 60, 0, 20 / 60]);
  assert.deepEqual(series.errorRate, [0.1, null, 0.1]);
  assert.deepEqual(series.latencyMs.p50, [2, null, 7.5]);
  assert.deepEqual(Object.keys(series.latencyMs), ['p50', 'p90', 'p99']);
});

test('operations: the busiest first, ties by name', () => {
  const ops = [
    { operation: 'b', ...figures(5, 0, '1') },
    { operation: 'c', ...figures(9, 0, '1') },
    { operation: 'a', ...figures(5, 0, '1') },
  ];
  assert.deepEqual(sortOperations(ops).map((o) => o.operation), ['c', 'a', 'b']);
});

test('every call of a view uses the same resolved bounds; the summary call asks for one bucket', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  const range = resolveViewRange({ preset: '1h' }, now);
  assert.deepEqual(range, { start: `${now - 3_600_000}000000`, end: `${now}000000`, step: '60000ms' });
  assert.deepEqual(overviewParams('cart', 'GET /cart', range), { service: 'cart', operation: 'GET /cart', ...range, percentiles: 'p50,p90,p99', byOperation: 'true' });
  assert.equal(overviewParams('cart', null, range).operation, undefined);
  assert.equal(summaryParams('cart', range).step, String(3_600_000_000_000n));
});
