import assert from 'node:assert/strict';
import { test } from 'node:test';
import { span, view } from '../testTraces.js';
import { AlwaysSamplePolicy } from './alwaysSample.js';

test('always_sample keeps with probability 1', () => {
  const policy = new AlwaysSamplePolicy('all');
  assert.deepEqual(policy.evaluate(), { sampled: true, probability: 1 });
  assert.equal(policy.randomness, 'none');
  assert.equal(policy.name, 'all');
  assert.equal(view([span(1, 1)]).spanCount, 1);
});
