import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rejectsParameter } from '../../test/fixtures/assertions.js';
import { jaegerProtoRoot, readProto3Json } from '../../test/fixtures/jaeger/protos.js';
import { uiMetricSeries } from '../../test/fixtures/jaeger/uiClient.js';
import type { LatencyResult } from '../services/latency.js';
import { chartedOperations, MAX_POINTS, metricsGrid, parseMetricsQuery, timestampJson, toMetricFamily, type MetricsQuery } from './metrics.js';

const MS = 1_000_000n;
const S = 1000n * MS;
const NOW = 1_700_000_000_000n * MS;
const ROOT = jaegerProtoRoot();

describe('parameters', () => {
  test("Jaeger's defaults: server spans, the last hour from now, 5 s steps, rates over 10 minutes", () => {
    assert.deepEqual(parseMetricsQuery('calls', { service: 'api' }, { nowNs: NOW }), {
      services: ['api'],
      groupByOperation: false,
      spanKinds: [2],
      endNs: NOW,
      lookbackNs: 3600n * S,
      stepNs: 5n * S,
      ratePerNs: 600n * S,
    });
  });

  test('as Jaeger UI sends them: repeated service and spanKind, times in milliseconds, quantile, groupByOperation', () => {
    const q = parseMetricsQuery(
      'latencies',
      { service: ['api', 'web', 'api'], spanKind: ['server', 'CLIENT', 'unspecified'], endTs: '1700000000123', lookback: '900000', step: '60000', ratePer: '600000', quantile: '0.95', groupByOperation: 'true' },
      { nowNs: NOW },
    );
    assert.deepEqual(q, {
      services: ['api', 'web'],
      groupByOperation: true,
      spanKinds: [2, 3, 0],
      endNs: 1_700_000_000_123n * MS,
      lookbackNs: 900n * S,
      stepNs: 60n * S,
      ratePerNs: 600n * S,
      quantile: 0.95,
    });
    assert.equal(parseMetricsQuery('errors', { service: 'api', groupByOperation: 'T' }, { nowNs: NOW }).groupByOperation, true);
  });

  test('bad parameters name themselves', () => {
    const parse = (kind: 'latencies' | 'calls', q: Record<string, string | string[]>) => () => parseMetricsQuery(kind, q, { nowNs: NOW });
    rejectsParameter(parse('calls', {}), 'service', /at least one service/);
    rejectsParameter(parse('calls', { service: '' }), 'service');
    rejectsParameter(parse('calls', { service: Array.from({ length: 21 }, (_, i) => `s${i}`) }), 'service', /at most 20/);
    rejectsParameter(parse('latencies', { service: 'api' }), 'quantile', /required/);
    for (const quantile of ['0', '1.5', 'high', '-0.5']) rejectsParameter(parse('latencies', { service: 'api', quantile }), 'quantile');
    rejectsParameter(parse('calls', { service: 'api', spanKind: 'sideways' }), 'spanKind', /unspecified, internal, server, client, producer, consumer/);
    rejectsParameter(parse('calls', { service: 'api', endTs: 'now' }), 'endTs');
    rejectsParameter(parse('calls', { service: 'api', lookback: '-5' }), 'lookback');
    rejectsParameter(parse('calls', { service: 'api', step: '0' }), 'step');
    rejectsParameter(parse('calls', { service: 'api', ratePer: '0' }), 'ratePer');
    rejectsParameter(parse('calls', { service: 'api', groupByOperation: 'yes' }), 'groupByOperation');
  });
});

const query = (over: Partial<MetricsQuery> = {}): MetricsQuery => ({
  services: ['api'],
  groupByOperation: false,
  spanKinds: [2],
  endNs: NOW,
  lookbackNs: 3n * S,
  stepNs: S,
  ratePerNs: 2n * S,
  ...over,
});

describe('the grid', () => {
  test('a point every step back from endTs; calls and errors need ratePer before the first, rounded up to whole steps', () => {
    assert.deepEqual(metricsGrid('calls', query({ ratePerNs: 1500n * MS }), { maxHours: 24 }), {
      range: { startNs: NOW - 5n * S, endNs: NOW },
      stepNs: S,
      windowSteps: 2,
      points: [NOW - 3n * S, NOW - 2n * S, NOW - S, NOW],
    });
    // A latency point reads only the step before it.
    assert.deepEqual(metricsGrid('latencies', query({ quantile: 0.5 }), { maxHours: 24 }).range, { startNs: NOW - 4n * S, endNs: NOW });
    // A lookback that is not whole steps: the points still end at endTs.
    assert.deepEqual(metricsGrid('calls', query({ lookbackNs: 2500n * MS }), { maxHours: 24 }).points, [NOW - 2n * S, NOW - S, NOW]);
  });

  test('bounded: points, the widest range, and no time before 1970', () => {
    rejectsParameter(() => metricsGrid('calls', query({ lookbackNs: BigInt(MAX_POINTS) * S }), { maxHours: 24 }), 'step', /11000 points/);
    rejectsParameter(() => metricsGrid('calls', query({ lookbackNs: 3600n * S, stepNs: 60n * S, ratePerNs: 600n * S }), { maxHours: 1 }), 'lookback', /limit of 1 hours/);
    rejectsParameter(() => metricsGrid('calls', query({ endNs: 2n * S }), { maxHours: 24 }), 'lookback', /1970/);
  });
});

/** A bucket of latency()'s series: `weight` weighted spans, `errorWeight` of them errors, p50 in ns. */
function bucket(startNs: bigint, weight: number, errorWeight: number, p50Ns: bigint | null): LatencyResult['series'][number] {
  return {
    timeUnixNano: startNs.toString(),
    requests: weight,
    requestRate: weight,
    errorRate: weight > 0 ? errorWeight / weight : null,
    errorRatePerSecond: errorWeight,
    percentiles: { p50: p50Ns === null ? null : p50Ns.toString() },
    spans: Math.ceil(weight),
  };
}

describe('MetricFamily', () => {
  const q = query({ quantile: 0.5 });
  // Buckets of one second starting at NOW-5s .. NOW-1s; the one at NOW-3s has no spans.
  const series = [bucket(NOW - 5n * S, 4, 0, 3n * MS), bucket(NOW - 4n * S, 2, 1, 1_500_000n), bucket(NOW - 2n * S, 6, 3, 7n * MS), bucket(NOW - S, 1.5, 1.5, 250_000n)];

  test('calls: weighted spans per second over the ratePer window before each point', () => {
    const grid = metricsGrid('calls', q, { maxHours: 24 });
    const family = toMetricFamily('calls', q, grid, [{ service: 'api', series }]);
    assert.deepEqual(family, {
      name: 'service_call_rate',
      type: 'GAUGE',
      help: 'calls/sec, grouped by service',
      metrics: [
        {
          labels: [{ name: 'service_name', value: 'api' }],
          metricPoints: [
            { gaugeValue: { doubleValue: (4 + 2) / 2 }, timestamp: timestampJson(NOW - 3n * S) },
            { gaugeValue: { doubleValue: (2 + 0) / 2 }, timestamp: timestampJson(NOW - 2n * S) },
            { gaugeValue: { doubleValue: (0 + 6) / 2 }, timestamp: timestampJson(NOW - S) },
            { gaugeValue: { doubleValue: (6 + 1.5) / 2 }, timestamp: timestampJson(NOW) },
          ],
        },
      ],
    });
  });

  test('errors: the weighted error fraction over the same windows; latencies: the last step in milliseconds; NaN without spans', () => {
    const errors = toMetricFamily('errors', q, metricsGrid('errors', q, { maxHours: 24 }), [{ service: 'api', series }]);
    assert.equal(errors.name, 'service_error_rate');
    assert.deepEqual(
      errors.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue),
      [1 / 6, 1 / 2, 3 / 6, 4.5 / 7.5],
    );
    const latencies = toMetricFamily('latencies', q, metricsGrid('latencies', q, { maxHours: 24 }), [{ service: 'api', series }]);
    assert.equal(latencies.help, '0.50th quantile latency, grouped by service');
    assert.deepEqual(
      latencies.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue),
      // Points at NOW-3s .. NOW read the buckets starting a step before each.
      [1.5, 'NaN', 7, 0.25],
    );
    const quiet = toMetricFamily('errors', q, metricsGrid('errors', q, { maxHours: 24 }), [{ service: 'api', series: [bucket(NOW - 5n * S, 1, 0, null)] }]);
    assert.deepEqual(
      quiet.metrics[0]!.metricPoints.map((p) => p.gaugeValue.doubleValue),
      [0, 'NaN', 'NaN', 'NaN'],
    );
  });

  test('by operation: names, labels and help as Jaeger writes them; the operations with the most calls are drawn', () => {
    const grouped = query({ groupByOperation: true, quantile: 0.95 });
    const family = toMetricFamily('latencies', grouped, metricsGrid('latencies', grouped, { maxHours: 24 }), [{ service: 'api', operation: 'GET /a', series: [] }], 2);
    assert.equal(family.name, 'service_operation_latencies');
    assert.equal(family.help, '0.95th quantile latency, grouped by service & operation (2 operations with fewer calls left out)');
    assert.deepEqual(family.metrics[0]!.labels, [
      { name: 'service_name', value: 'api' },
      { name: 'operation', value: 'GET /a' },
    ]);
    const op = (operation: string, requests: number) => ({ operation, requests, requestRate: 0, errorRate: null, errorRatePerSecond: 0, percentiles: {}, spans: 1 });
    assert.deepEqual(chartedOperations([op('b', 5), op('a', 1), op('c', 9), op('d', 5)], 3), ['b', 'c', 'd']);
  });

  test("reads as Jaeger's jaeger.api_v2.metrics.MetricFamily, and as the Monitor tab plots it", () => {
    const grid = metricsGrid('latencies', q, { maxHours: 24 });
    const family = JSON.parse(JSON.stringify(toMetricFamily('latencies', q, grid, [{ service: 'api', series }])));
    const message = readProto3Json(ROOT, 'jaeger.api_v2.metrics.MetricFamily', family);
    const back = ROOT.lookupType('jaeger.api_v2.metrics.MetricFamily').toObject(message, { enums: String, longs: String });
    assert.equal(back.name, 'service_latencies');
    assert.equal(back.type, 'GAUGE');
    assert.equal(back.metrics[0].metricPoints.length, 4);
    assert.ok(Number.isNaN(back.metrics[0].metricPoints[1].gaugeValue.doubleValue));
    assert.deepEqual(uiMetricSeries(family), {
      name: 'service_latencies',
      series: [
        {
          service: 'api',
          operation: null,
          points: grid.points.map((t, i) => ({ x: Number(t / MS), y: [1.5, null, 7, 0.25][i]! })),
        },
      ],
    });
  });

  test('protobuf JSON timestamps: UTC with 0, 3, 6 or 9 fraction digits', () => {
    assert.equal(timestampJson(1_622_711_526n * S), '2021-06-03T09:12:06Z');
    assert.equal(timestampJson(1_622_711_526n * S + 500n * MS), '2021-06-03T09:12:06.500Z');
    assert.equal(timestampJson(1_622_711_526n * S + 120_000n), '2021-06-03T09:12:06.000120Z');
    assert.equal(timestampJson(1_622_711_526n * S + 7n), '2021-06-03T09:12:06.000000007Z');
  });
});
