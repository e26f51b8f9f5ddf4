import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LatencyResult, RedFigures } from '../api.js';
import { countedCaption, kindLabel, kindParam, overviewParams, parseKindChoice, redSeries, resolveViewRange, sortOperations, summaryParams } from './redSeries.js';

const S = 1_000_000_000n;
const START = 1_800_000_000n * S;

function figures(requests: number, errors: number, p50: string | null): RedFigures {
  return { requests, requestRate: requests / 60, errorRate: requests ? errors / requests : null, errorRatePerSecond: errors / 60, percentiles: { p50, p90: p50, p99: p50 }, spans: requests };
}

test('series cover every bucket of the range: empty ones have no requests, and no error rate or latency', () => {
  const result: LatencyResult = {
    service: 'cart',
    operation: null,
    spanKinds: ['server', 'consumer'],
    rootSpans: true,
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
  assert.deepEqual(overviewParams('cart', 'GET /cart', range), { service: 'cart', operation: 'GET /cart', kind: undefined, ...range, percentiles: 'p50,p90,p99', byOperation: 'true' });
  assert.equal(overviewParams('cart', null, range).operation, undefined);
  assert.equal(summaryParams('cart', range).step, String(3_600_000_000_000n));
});

test('the kind counted: entry spans by default and left out of the calls; other kinds passed on', () => {
  const range = resolveViewRange({ preset: '1h' }, Date.UTC(2026, 10, 24, 12));
  assert.equal(parseKindChoice(null), 'entry');
  assert.equal(parseKindChoice(' '), 'entry');
  assert.equal(parseKindChoice('Client, server,client'), 'client,server');
  assert.equal(kindParam('entry'), undefined);
  assert.equal(summaryParams('cart', range).kind, undefined);
  assert.equal(summaryParams('cart', range, 'all').kind, 'all');
  assert.equal(overviewParams('cart', null, range, 'client').kind, 'client');
  assert.equal(kindLabel('entry'), 'Entry spans');
  assert.equal(kindLabel('client,producer,internal'), 'client, producer and internal spans');
});

test('the caption says which kinds the answer counted', () => {
  assert.equal(countedCaption({ spanKinds: ['server', 'consumer'], rootSpans: true }), 'Counting server and consumer spans, and root spans of any kind');
  assert.equal(countedCaption({ spanKinds: ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'], rootSpans: false }), 'Counting spans of every kind');
  assert.equal(countedCaption({ spanKinds: ['client'], rootSpans: false }), 'Counting client spans');
  assert.equal(countedCaption({ spanKinds: ['client', 'producer', 'unspecified'], rootSpans: false }), 'Counting client, producer and unspecified-kind spans');
});
