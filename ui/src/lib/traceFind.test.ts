import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findSpans, nextMatch, type FindableSpan } from './traceFind.js';

const spans: FindableSpan[] = [
  { spanId: '00f067aa0ba902b7', name: 'GET /checkout', service: 'frontend', attributes: [{ key: 'http.response.status_code', type: 'int', value: 200 }] },
  { spanId: '53995c3f42cd8ad8', name: 'charge', service: 'payments', attributes: [{ key: 'payment.currency', type: 'string', value: 'EUR' }] },
  { spanId: 'aaaaaaaaaaaaaaaa', name: 'SELECT', service: 'Postgres', attributes: [{ key: 'db.tags', type: 'array', value: [{ type: 'string', value: 'hot' }] }] },
];

test('a query matches names, services, span ids and attribute keys or values, ignoring case', () => {
  assert.deepEqual(findSpans(spans, 'checkout'), [0]);
  assert.deepEqual(findSpans(spans, 'POSTGRES'), [2]);
  assert.deepEqual(findSpans(spans, '53995c3f'), [1]);
  assert.deepEqual(findSpans(spans, 'payment.curr'), [1]);
  assert.deepEqual(findSpans(spans, 'eur'), [1]);
  assert.deepEqual(findSpans(spans, 'hot'), [2]);
  assert.deepEqual(findSpans(spans, 'nothing like it'), []);
  assert.deepEqual(findSpans(spans, '   '), []);
});

test('key=value matches that attribute only', () => {
  assert.deepEqual(findSpans(spans, 'http.response.status_code=200'), [0]);
  assert.deepEqual(findSpans(spans, 'payment.currency = eur'), [1]);
  assert.deepEqual(findSpans(spans, 'payment.currency=usd'), []);
});

test('jumping between matches goes forwards and backwards and wraps around', () => {
  const matches = [2, 5, 9];
  assert.equal(nextMatch(matches, null, 1), 2);
  assert.equal(nextMatch(matches, null, -1), 9);
  assert.equal(nextMatch(matches, 2, 1), 5);
  assert.equal(nextMatch(matches, 6, 1), 9);
  assert.equal(nextMatch(matches, 9, 1), 2);
  assert.equal(nextMatch(matches, 5, -1), 2);
  assert.equal(nextMatch(matches, 2, -1), 9);
  assert.equal(nextMatch([], 3, 1), null);
});
