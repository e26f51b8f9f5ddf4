import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrs, span, view } from '../testTraces.js';
import { compileSafeRegex, MAX_MATCHED_LENGTH, StringAttributePolicy } from './stringAttribute.js';

const trace = view([
  span(1, 1, { attributes: attrs({ 'http.route': '/checkout/{id}', 'http.response.status_code': 200 }) }),
  span(1, 2, { attributes: attrs({ 'db.system': 'postgresql' }), resourceAttributes: attrs({ 'deployment.environment': 'prod' }) }),
]);
const sampled = (options: ConstructorParameters<typeof StringAttributePolicy>[1]) => new StringAttributePolicy('s', options).evaluate(trace).sampled;

test('string_attribute matches listed values exactly, in span or resource attributes', () => {
  assert.equal(sampled({ key: 'http.route', values: ['/checkout/{id}'] }), true);
  assert.equal(sampled({ key: 'http.route', values: ['/checkout'] }), false);
  assert.equal(sampled({ key: 'db.system', values: ['mysql', 'postgresql'] }), true);
  assert.equal(sampled({ key: 'deployment.environment', values: ['prod'] }), true);
  assert.equal(sampled({ key: 'deployment.environment', values: ['prod'], scope: 'span' }), false);
  assert.equal(sampled({ key: 'http.route', values: ['/checkout/{id}'], scope: 'resource' }), false);
  assert.equal(sampled({ key: 'http.response.status_code', values: ['200'] }), false, 'only string attributes');
  assert.equal(sampled({ key: 'http.route', values: ['/checkout/{id}'], invert: true }), false);
  assert.equal(sampled({ key: 'http.route', values: ['/health'], invert: true }), true);
});

test('string_attribute regexes match the whole value', () => {
  assert.equal(sampled({ key: 'http.route', regex: '/checkout.*' }), true);
  assert.equal(sampled({ key: 'http.route', regex: 'checkout' }), false, 'a full match, not a search');
  assert.equal(sampled({ key: 'http.route', regex: '/(cart|checkout)/\\{id\\}' }), true);
  assert.equal(sampled({ key: 'http.route', regex: '/cart.*', invert: true }), true);
  const long = view([span(2, 1, { attributes: attrs({ url: 'a'.repeat(MAX_MATCHED_LENGTH + 1) }) })]);
  assert.equal(new StringAttributePolicy('s', { key: 'url', regex: 'a*' }).evaluate(long).sampled, false, 'over-long values never match');
});

test('only the safe regex subset is accepted', () => {
  for (const ok of ['/api/v[0-9]+/users/[0-9]+', '(?:GET|POST) /x', '(ab)*c', '[(+*]+', '(a+)?', 'a{2,5}b{1,100}', '\\(a+\\)+']) {
    assert.doesNotThrow(() => compileSafeRegex(ok), ok);
  }
  const bad: Array<[string, RegExp]> = [
    ['(a+)+', /exponentially/],
    ['(a|aa)*', /exponentially/],
    ['(?:x*y)+', /exponentially/],
    ['((a)+)+', /exponentially/],
    ['(a)\\1', /backreferences/],
    ['(?=a)a', /lookarounds/],
    ['(?<n>a)', /lookarounds/],
    ['a*b*c*', /at most 2 unbounded/],
    ['a{1,1000}', /repetition counts/],
    ['x'.repeat(300), /limited to 256/],
    ['(a', /unbalanced|valid/],
    ['[a', /unterminated/],
  ];
  for (const [pattern, reason] of bad) assert.throws(() => compileSafeRegex(pattern), reason, pattern);
  // The classic catastrophic input finishes at once with an accepted pattern of the same intent.
  const started = Date.now();
  assert.equal(compileSafeRegex('a+b').test(`${'a'.repeat(1000)}c`), false);
  assert.ok(Date.now() - started < 100);
});
