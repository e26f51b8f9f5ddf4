import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attrParam, formFromQuery, formParams, parseAttrParam, searchApiParams, type AttrFilterRow } from './searchForm.js';

/** What the router's hrefOf does with the params: repeatable keys, empty values left out. */
function toQuery(params: Record<string, string | string[] | undefined>): URLSearchParams {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined && item !== '') query.append(key, item);
  }
  return query;
}

test('every attribute operator round-trips through its parameter', () => {
  const rows: AttrFilterRow[] = [
    { key: 'http.route', op: '=', value: '/api/cart' },
    { key: 'http.response.status_code', op: '>=', value: '500' },
    { key: 'db.statement', op: '=~', value: 'SELECT.*=1' },
    { key: 'user.id', op: '!=', value: '' },
    { key: 'cache.hit', op: 'exists', value: '' },
    { key: 'error.type', op: 'absent', value: '' },
  ];
  const params = rows.map(attrParam);
  assert.deepEqual(params, ['http.route=/api/cart', 'http.response.status_code>=500', 'db.statement=~SELECT.*=1', 'user.id!=', 'cache.hit', '!error.type']);
  assert.deepEqual(params.map((p) => parseAttrParam(p!)), rows);
  assert.equal(attrParam({ key: '  ', op: '=', value: 'x' }), null, 'a row without key is no filter');
});

test('a form survives the URL: submit writes it, a reload reads the same form back', () => {
  const query = new URLSearchParams(
    'service=cart&operation=GET+%2Fcart&attr=http.route%3D%2Fcart&attr=retry%3E%3D2&minDuration=100ms&maxDuration=2s&spanMinDuration=5ms&spanMaxDuration=1.5s&status=error&limit=50&range=6h',
  );
  const form = formFromQuery(query);
  assert.deepEqual(form, {
    service: 'cart',
    operation: 'GET /cart',
    attrs: [
      { key: 'http.route', op: '=', value: '/cart' },
      { key: 'retry', op: '>=', value: '2' },
    ],
    minDuration: '100ms',
    maxDuration: '2s',
    spanMinDuration: '5ms',
    spanMaxDuration: '1.5s',
    status: 'error',
    limit: '50',
    range: { preset: '6h' },
  });
  assert.deepEqual(toQuery(formParams(form)).toString(), query.toString());
});

test('defaults stay out of the URL; an operation without service is dropped', () => {
  const form = formFromQuery(new URLSearchParams('status=bogus'));
  assert.equal(form.status, 'any');
  assert.equal(form.limit, '20');
  assert.equal(toQuery(formParams(form)).toString(), '');
  assert.equal(toQuery(formParams({ ...form, operation: 'GET /', attrs: [{ key: '', op: '=', value: '' }] })).toString(), '');
});

test('API parameters: absolute bounds in nanoseconds, the limit always, and the cursor of the next page', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  const form = formFromQuery(new URLSearchParams('service=cart&range=15m&status=ok'));
  assert.deepEqual(searchApiParams(form, now, 'abc'), {
    service: 'cart',
    operation: '',
    attr: [],
    minDuration: '',
    maxDuration: '',
    spanMinDuration: '',
    spanMaxDuration: '',
    status: 'ok',
    limit: '20',
    start: `${now - 900_000}000000`,
    end: `${now}000000`,
    cursor: 'abc',
  });
});

test('trace and span durations are separate API parameters', () => {
  const form = formFromQuery(new URLSearchParams('minDuration=1s&spanMinDuration=200ms&spanMaxDuration=%202s%20'));
  const params = searchApiParams(form, Date.UTC(2026, 0, 1));
  assert.deepEqual([params.minDuration, params.maxDuration, params.spanMinDuration, params.spanMaxDuration], ['1s', '', '200ms', '2s']);
});
