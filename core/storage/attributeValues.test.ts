import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanRow } from '../model/span.js';
import { attributes, spanRow } from '../../test/fixtures/generatedTraces.js';
import { MAX_VALUE_LENGTH, MAX_VALUES, attributeValueRows, type AttributeValueRow } from './attributeValues.js';
import { MINUTE_NS } from './serviceCalls.js';

const MINUTE = 29_000_000n * MINUTE_NS;
let n = 0;
const span = (startTimeUnixNano: bigint, entries: Record<string, string | number>, resource = attributes({ 'service.name': 'api' })): SpanRow =>
  spanRow({ traceId: 'a'.repeat(32), spanId: String(++n).padStart(16, '0'), serviceName: 'api', name: 'op', startTimeUnixNano, durationNs: 1n, attributes: attributes(entries), resourceAttributes: resource });
const sorted = (rows: AttributeValueRow[]) =>
  rows.map((r) => `${(r.startMinuteNs - MINUTE) / MINUTE_NS} ${r.key}=${r.value ?? '*'}`).sort();

test('each minute lists the distinct values of its spans’ and resources’ attributes, once each', () => {
  const resource = attributes({ 'service.name': 'api', 'host.name': 'h1' });
  const rows = attributeValueRows([
    span(MINUTE + 1n, { 'http.route': '/a', 'app.n': 1 }, resource),
    span(MINUTE + MINUTE_NS - 1n, { 'http.route': '/a', 'app.n': 2 }, resource),
    span(MINUTE + MINUTE_NS, { 'http.route': '/b' }, resource),
  ]);
  assert.deepEqual(sorted(rows), [
    '0 app.n=1',
    '0 app.n=2',
    '0 host.name=h1',
    '0 http.route=/a',
    '0 service.name=api',
    '1 host.name=h1',
    '1 http.route=/b',
    '1 service.name=api',
  ]);
});

test('a key with more distinct values in a minute than are listed, or a long value, gets one row that stands for any value', () => {
  const many = Array.from({ length: MAX_VALUES + 1 }, (_, i) => span(MINUTE, { 'user.id': `u${i}`, 'http.route': '/a' }));
  assert.deepEqual(sorted(attributeValueRows(many.slice(0, MAX_VALUES))).filter((r) => r.includes('user.id')).length, MAX_VALUES);
  assert.deepEqual(sorted(attributeValueRows(many)), ['0 http.route=/a', '0 service.name=api', '0 user.id=*']);
  const long = [span(MINUTE, { 'db.statement': 'x'.repeat(MAX_VALUE_LENGTH + 1) }), span(MINUTE, { 'db.statement': 'SELECT 1' })];
  assert.deepEqual(sorted(attributeValueRows(long)), ['0 db.statement=*', '0 service.name=api']);
  assert.deepEqual(sorted(attributeValueRows([span(MINUTE, { 'db.statement': 'x'.repeat(MAX_VALUE_LENGTH) })])), [`0 db.statement=${'x'.repeat(MAX_VALUE_LENGTH)}`, '0 service.name=api']);
});
