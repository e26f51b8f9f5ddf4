import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Metrics } from './metrics.js';

test('counters with labels, gauges and cumulative histograms in the Prometheus text format', () => {
  const metrics = new Metrics();
  const refused = metrics.counter('refused_total', 'Refused.');
  refused(2, { reason: 'bad "id"' });
  refused(1, { reason: 'bad "id"' });
  metrics.gauge('queue', 'Queue depth.', () => 7);
  const latency = metrics.histogram('flush_seconds', 'Flush latency.', [0.1, 0.01, 1]);
  latency(0.005);
  latency(0.5);
  latency(3);
  assert.equal(
    metrics.render(),
    [
      '# HELP refused_total Refused.',
      '# TYPE refused_total counter',
      'refused_total{reason="bad \\"id\\""} 3',
      '# HELP queue Queue depth.',
      '# TYPE queue gauge',
      'queue 7',
      '# HELP flush_seconds Flush latency.',
      '# TYPE flush_seconds histogram',
      'flush_seconds_bucket{le="0.01"} 1',
      'flush_seconds_bucket{le="0.1"} 1',
      'flush_seconds_bucket{le="1"} 2',
      'flush_seconds_bucket{le="+Inf"} 3',
      'flush_seconds_sum 3.505',
      'flush_seconds_count 3',
      '',
    ].join('\n'),
  );
});
