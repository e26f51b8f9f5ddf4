import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decideSpans } from '../combine.js';
import { span } from '../testTraces.js';
import { AlwaysSamplePolicy } from './alwaysSample.js';
import { NeverSamplePolicy } from './neverSample.js';
import { StatusCodePolicy } from './statusCode.js';

test('never_sample samples nothing and ends the top-level list', () => {
  assert.deepEqual(new NeverSamplePolicy('none').evaluate(), { sampled: false, probability: 0 });
  const failed = [span(1, 1, { statusCode: 2 })];
  const fine = [span(2, 1)];
  const policies = [new StatusCodePolicy('errors'), new NeverSamplePolicy('stop'), new AlwaysSamplePolicy('all')];
  assert.deepEqual(decideSpans(policies, failed[0]!.traceId, failed, 0), { keep: true, policy: 'errors', probability: 1 });
  assert.equal(decideSpans(policies, fine[0]!.traceId, fine, 0).keep, false, 'always_sample after never_sample is not consulted');
  assert.equal(decideSpans([new NeverSamplePolicy('stop'), new StatusCodePolicy('errors')], failed[0]!.traceId, failed, 0).keep, false);
});
