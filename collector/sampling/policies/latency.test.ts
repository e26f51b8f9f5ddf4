import assert from 'node:assert/strict';
import { test } from 'node:test';
import { span, view } from '../testTraces.js';
import { LatencyPolicy } from './latency.js';

test('latency keeps traces whose max end - min start reaches the threshold', () => {
  const slow = new LatencyPolicy('slow', 100);
  // Root 10 ms from t0; a child starting 50 ms later and lasting 50 ms: trace duration 100 ms.
  const spans = [span(1, 1, { startTimeUnixNano: 0n, durationNs: 10_000_000n }), span(1, 2, { startTimeUnixNano: 50_000_000n, durationNs: 50_000_000n })];
  assert.equal(view(spans).durationNs, 100_000_000n);
  assert.deepEqual(slow.evaluate(view(spans)), { sampled: true, probability: 1 });
  spans[1]!.durationNs = 49_999_999n;
  assert.deepEqual(slow.evaluate(view(spans)), { sampled: false, probability: 0 });
  // A negative duration (clock skew) does not shorten the trace below its start.
  assert.equal(view([span(2, 1, { durationNs: -5n })]).durationNs, 0n);
});
