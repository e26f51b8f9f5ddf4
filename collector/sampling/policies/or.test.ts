import assert from 'node:assert/strict';
import { test } from 'node:test';
import { span, view } from '../testTraces.js';
import { OrPolicy } from './or.js';
import type { PolicyResult, SamplingPolicy } from './policy.js';
import { StatusCodePolicy } from './statusCode.js';

const fixed = (name: string, randomness: 'trace' | 'own', result: PolicyResult): SamplingPolicy => ({ name, type: 'test', randomness, evaluate: () => result });

test('or: a deterministic match gives probability 1; otherwise 1 - (1 - max shared) * prod(1 - own)', () => {
  const errors = new StatusCodePolicy('errors');
  const failed = view([span(1, 1, { statusCode: 2 })]);
  const fine = view([span(2, 1)]);
  const or = new OrPolicy('or', [fixed('t', 'trace', { sampled: true, probability: 0.1 }), errors]);
  assert.deepEqual(or.evaluate(failed, 0), { sampled: true, probability: 1 });
  assert.deepEqual(or.evaluate(fine, 0), { sampled: true, probability: 0.1 });
  const mixed = new OrPolicy('mixed', [
    fixed('t1', 'trace', { sampled: false, probability: 0.1 }),
    fixed('t2', 'trace', { sampled: false, probability: 0.2 }),
    fixed('own', 'own', { sampled: true, probability: 0.5 }),
  ]);
  const r = mixed.evaluate(fine, 0);
  assert.equal(r.sampled, true);
  assert.ok(Math.abs(r.probability - (1 - 0.8 * 0.5)) < 1e-12, String(r.probability));
  assert.deepEqual(new OrPolicy('none', [errors]).evaluate(fine, 0), { sampled: false, probability: 0 });
});
