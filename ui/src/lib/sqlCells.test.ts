import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCell, isNumericType, resultSummary } from './sqlCells.js';

test('cells: NULL apart from text, numbers and booleans as they are, structures as JSON', () => {
  assert.deepEqual(formatCell(null), { kind: 'null', text: 'NULL' });
  assert.deepEqual(formatCell('NULL'), { kind: 'text', text: 'NULL' });
  assert.deepEqual(formatCell(''), { kind: 'text', text: '' });
  assert.deepEqual(formatCell(87.5), { kind: 'number', text: '87.5' });
  assert.deepEqual(formatCell('1204'), { kind: 'text', text: '1204' });
  assert.deepEqual(formatCell(false), { kind: 'bool', text: 'false' });
  assert.deepEqual(formatCell([1, 2]), { kind: 'json', text: '[1,2]' });
  assert.deepEqual(formatCell({ 'http.route': '/cart' }), { kind: 'json', text: '{"http.route":"/cart"}' });
});

test('long values are cut with an ellipsis and keep their whole text', () => {
  const long = 'x'.repeat(100);
  assert.deepEqual(formatCell(long, 10), { kind: 'text', text: `${'x'.repeat(9)}…`, full: long });
  assert.deepEqual(formatCell('x'.repeat(10), 10), { kind: 'text', text: 'x'.repeat(10) });
  // Never half a character.
  assert.equal(formatCell('🦆'.repeat(12), 10).text, `${'🦆'.repeat(9)}…`);
  const json = formatCell({ list: 'y'.repeat(200) });
  assert.equal([...json.text].length, 80);
  assert.equal(json.full, JSON.stringify({ list: 'y'.repeat(200) }));
});

test('numeric column types', () => {
  for (const type of ['BIGINT', 'INTEGER', 'UINTEGER', 'DOUBLE', 'FLOAT', 'HUGEINT', 'DECIMAL(10,2)', 'DECIMAL']) assert.ok(isNumericType(type), type);
  for (const type of ['VARCHAR', 'INTEGER[]', 'TIMESTAMP_NS', 'MAP(VARCHAR, BIGINT)', 'BOOLEAN', 'INTERVAL']) assert.ok(!isNumericType(type), type);
});

test('the summary gives the rows and the time, and a capped result says so', () => {
  assert.equal(resultSummary({ rows: [[1], [2], [3]], truncated: false, elapsedMs: 14 }), '3 rows in 14 ms');
  assert.equal(resultSummary({ rows: [[1]], truncated: false, elapsedMs: 0 }), '1 row in 0 ms');
  assert.equal(resultSummary({ rows: Array.from({ length: 1000 }, () => [1]), truncated: true, elapsedMs: 1500 }), 'first 1,000 rows in 1,500 ms');
});
