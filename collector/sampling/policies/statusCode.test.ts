import assert from 'node:assert/strict';
import { test } from 'node:test';
import { span, view } from '../testTraces.js';
import { StatusCodePolicy } from './statusCode.js';

test('status_code keeps traces with an ERROR span by default, or any listed code', () => {
  const errors = new StatusCodePolicy('errors');
  const ok = view([span(1, 1), span(1, 2, { statusCode: 1 })]);
  const failed = view([span(2, 1), span(2, 2, { statusCode: 2 })]);
  assert.deepEqual(errors.evaluate(ok), { sampled: false, probability: 0 });
  assert.deepEqual(errors.evaluate(failed), { sampled: true, probability: 1 });
  const okOrError = new StatusCodePolicy('ok', ['OK', 'ERROR']);
  assert.equal(okOrError.evaluate(ok).sampled, true);
  assert.equal(okOrError.evaluate(view([span(3, 1)])).sampled, false);
  assert.equal(new StatusCodePolicy('unset', ['UNSET']).evaluate(view([span(3, 1)])).sampled, true);
});
