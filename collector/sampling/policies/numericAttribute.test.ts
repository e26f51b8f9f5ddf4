import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrs, span, view } from '../testTraces.js';
import { NumericAttributePolicy } from './numericAttribute.js';

test('numeric_attribute matches int and double attributes within [min, max], span then resource', () => {
  const trace = view([
    span(1, 1, { attributes: attrs({ 'http.response.status_code': 503, ratio: 0.25, text: '600' }, ['ratio']) }),
    span(1, 2, { resourceAttributes: attrs({ 'k8s.pod.restarts': 7 }) }),
  ]);
  const check = (key: string, min?: number, max?: number, invert = false, scope: 'any' | 'span' | 'resource' = 'any') =>
    new NumericAttributePolicy('n', { key, min, max, invert, scope }).evaluate(trace).sampled;
  assert.equal(check('http.response.status_code', 500, 599), true);
  assert.equal(check('http.response.status_code', 500), true);
  assert.equal(check('http.response.status_code', undefined, 499), false);
  assert.equal(check('http.response.status_code', 500, 599, true), false);
  assert.equal(check('ratio', 0.2, 0.3), true);
  assert.equal(check('text', 0), false, 'a string attribute is not a number');
  assert.equal(check('missing', 0), false);
  assert.equal(check('missing', 0, undefined, true), true);
  assert.equal(check('k8s.pod.restarts', 5, 10), true);
  assert.equal(check('k8s.pod.restarts', 5, 10, false, 'span'), false);
  assert.equal(check('http.response.status_code', 500, 599, false, 'resource'), false);
});
