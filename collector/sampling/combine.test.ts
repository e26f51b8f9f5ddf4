import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideSpans } from './combine.js';
import { LatencyPolicy } from './policies/latency.js';
import { ProbabilisticPolicy } from './policies/probabilistic.js';
import { RateLimitingPolicy } from './policies/rateLimiting.js';
import { StatusCodePolicy } from './policies/statusCode.js';
import { hex, span } from './testTraces.js';

test('deterministic keeps win with probability 1 wherever they are listed; otherwise P combines the probabilistic ones', () => {
  const base = new ProbabilisticPolicy('baseline', 0.1);
  const more = new ProbabilisticPolicy('more', 0.3);
  const policies = [base, new StatusCodePolicy('errors'), more, new LatencyPolicy('slow', 1000)];
  let keptByBase = 0;
  let keptByMore = 0;
  for (let i = 1; i <= 2000; i++) {
    const failed = [span(hex(i, 32), 1, { statusCode: 2 })];
    assert.deepEqual(decideSpans(policies, failed[0]!.traceId, failed, 0), { keep: true, policy: 'errors', probability: 1 });
    const fine = [span(hex(i, 32), 1)];
    const d = decideSpans(policies, fine[0]!.traceId, fine, 0);
    // Nested shared randomness: the union of 0.1 and 0.3 keeps with 0.3.
    assert.equal(d.probability, more.probability);
    if (d.policy === 'baseline') keptByBase++;
    if (d.policy === 'more') keptByMore++;
  }
  assert.ok(keptByBase > 150 && keptByBase < 250, `baseline ${keptByBase}`);
  assert.ok(keptByMore > 300 && keptByMore < 500, `more ${keptByMore}`);

  // A rate limiter is independent of the hashed randomness: P = 1 - (1 - 0.1)(1 - r).
  const cap = new RateLimitingPolicy('cap', { tracesPerSecond: 1, burst: 1 });
  const withCap = [base, cap];
  decideSpans(withCap, hex(1, 32), [span(1, 1)], 0);
  const d = decideSpans(withCap, hex(2, 32), [span(2, 1)], 0);
  assert.ok(Math.abs(d.probability - (1 - (1 - base.probability) * (1 - 0.5))) < 1e-12, String(d.probability));
});
