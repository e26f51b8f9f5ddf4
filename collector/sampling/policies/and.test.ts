import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrs, hex, span, view } from '../testTraces.js';
import { AndPolicy } from './and.js';
import { LatencyPolicy } from './latency.js';
import type { PolicyResult, SamplingPolicy } from './policy.js';
import { ProbabilisticPolicy } from './probabilistic.js';
import { StringAttributePolicy } from './stringAttribute.js';

const fixed = (name: string, randomness: 'trace' | 'own', result: PolicyResult, calls: string[]): SamplingPolicy => ({
  name,
  type: 'test',
  randomness,
  evaluate: () => {
    calls.push(name);
    return result;
  },
});

test('and samples when all sample; probability is the product, with shared randomness nesting (min)', () => {
  const checkout = new StringAttributePolicy('route', { key: 'http.route', values: ['/checkout'] });
  const slow = new LatencyPolicy('slow', 1);
  const both = new AndPolicy('both', [checkout, slow]);
  assert.equal(both.randomness, 'none');
  const fast = view([span(1, 1, { attributes: attrs({ 'http.route': '/checkout' }), durationNs: 10n })]);
  const slowCheckout = view([span(1, 1, { attributes: attrs({ 'http.route': '/checkout' }), durationNs: 2_000_000n })]);
  assert.deepEqual(both.evaluate(fast, 0), { sampled: false, probability: 0 });
  assert.deepEqual(both.evaluate(slowCheckout, 0), { sampled: true, probability: 1 });

  const calls: string[] = [];
  const mixed = new AndPolicy('mixed', [fixed('own', 'own', { sampled: true, probability: 0.5 }, calls), fixed('t1', 'trace', { sampled: true, probability: 0.2 }, calls), fixed('t2', 'trace', { sampled: true, probability: 0.1 }, calls), checkout]);
  assert.equal(mixed.randomness, 'own');
  assert.deepEqual(mixed.evaluate(slowCheckout, 0), { sampled: true, probability: 0.5 * 0.1 });
  calls.length = 0;
  assert.deepEqual(mixed.evaluate(view([span(2, 1)]), 0), { sampled: false, probability: 0 });
  assert.deepEqual(calls, [], 'a false condition spends no rate-limit tokens');

  // With a real probabilistic policy: the and keeps exactly the matching traces the 0.5 policy keeps.
  const half = new ProbabilisticPolicy('half', 0.5);
  const and = new AndPolicy('and', [checkout, half]);
  assert.equal(and.randomness, 'trace');
  for (let i = 1; i < 200; i++) {
    const t = view([span(hex(i, 32), 1, { attributes: attrs({ 'http.route': '/checkout' }) })]);
    assert.deepEqual(and.evaluate(t, 0), half.evaluate(t));
  }
});
