import assert from 'node:assert/strict';
import { test } from 'node:test';
import { span, view } from '../testTraces.js';
import { RateLimitingPolicy } from './rateLimiting.js';

test('rate_limiting allows the burst, then tracesPerSecond, per service', () => {
  const policy = new RateLimitingPolicy('cap', { tracesPerSecond: 2 });
  const a = view([span(1, 1, { serviceName: 'a' })]);
  const b = view([span(2, 1, { serviceName: 'b' })]);
  assert.deepEqual([0, 0, 0].map(() => policy.evaluate(a, 1000).sampled), [true, true, false]);
  assert.equal(policy.evaluate(b, 1000).sampled, true, 'another service has its own bucket');
  assert.equal(policy.evaluate(a, 1400).sampled, false, '0.8 tokens after 400 ms');
  assert.equal(policy.evaluate(a, 1500).sampled, true, '1 token after 500 ms');
  assert.equal(policy.evaluate(a, 1000).sampled, false, 'time going back refills nothing');
});

test('rate_limiting reports kept / seen over the window, so weights count the traffic', () => {
  const policy = new RateLimitingPolicy('cap', { tracesPerSecond: 10, windowMs: 10_000 });
  // 100 traces per second for 60 s: about 10% kept.
  let weighted = 0;
  let seen = 0;
  for (let ms = 0; ms < 60_000; ms += 10) {
    const r = policy.evaluate(view([span(1, 1)]), ms);
    seen++;
    if (r.sampled) {
      assert.ok(r.probability > 0 && r.probability <= 1);
      weighted += 1 / r.probability;
    }
  }
  assert.ok(Math.abs(weighted - seen) / seen < 0.05, `weighted ${weighted} of ${seen}`);
  const last = policy.evaluate(view([span(1, 1)]), 60_000);
  assert.ok(Math.abs(last.probability - 0.1) < 0.02, `estimate ${last.probability}`);
});
