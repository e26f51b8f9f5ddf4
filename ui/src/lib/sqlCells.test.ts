import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCell, isNumericType, linkPlan, resultSummary, toCsv } from './sqlCells.js';

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

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const OTHER = '0af7651916cd43dd8448eb211c80319c';
const SPAN = '00f067aa0ba902b7';
const PARENT = '53995c3f42cd8ad8';

function links(names: string[], row: unknown[]) {
  return linkPlan(names.map((name) => ({ name }))).map((link) => (link === null ? null : link(row)));
}

test('trace ids link to their trace; span ids to the span in the row’s trace', () => {
  assert.deepEqual(links(['trace_id', 'span_id', 'parent_span_id', 'name'], [TRACE, SPAN, PARENT, 'GET /cart']), [
    { traceId: TRACE },
    { traceId: TRACE, spanId: SPAN },
    { traceId: TRACE, spanId: PARENT },
    null,
  ]);
  // A linked span lives in the linked trace, not in the row's.
  assert.deepEqual(links(['trace_id', 'linked_trace_id', 'linked_span_id'], [TRACE, OTHER, SPAN]), [{ traceId: TRACE }, { traceId: OTHER }, { traceId: OTHER, spanId: SPAN }]);
  assert.deepEqual(links(['traceId', 'spanId'], [TRACE, SPAN]), [{ traceId: TRACE }, { traceId: TRACE, spanId: SPAN }]);
});

test('no link without a trace to open, or for values that are not ids', () => {
  assert.deepEqual(links(['span_id'], [SPAN]), [null], 'a span id alone does not say its trace');
  assert.deepEqual(links(['trace_id', 'span_id'], [null, SPAN]), [null, null]);
  assert.deepEqual(links(['trace_id', 'span_id'], ['not an id', 'x']), [null, null]);
  assert.deepEqual(links(['trace_id'], [TRACE.slice(1)]), [null]);
  assert.deepEqual(links(['retrace_id', 'subspan_id'], [TRACE, SPAN]), [null, null], 'only whole words of the name count');
});

test('CSV: RFC 4180 quoting, CRLF line ends, NULL empty, structures as JSON', () => {
  const csv = toCsv({
    columns: [{ name: 'n' }, { name: 'text, quoted' }, { name: 'z' }, { name: 'l' }, { name: 'b' }].map((c) => ({ ...c, type: 'X' })),
    rows: [
      [1.5, 'a,b', null, [1, 'x'], true],
      ['9007199254740993', 'say "hi"', '', { k: 1 }, false],
      [-3, 'two\nlines', 'NULL', [], null],
    ],
  });
  assert.equal(csv, 'n,"text, quoted",z,l,b\r\n1.5,"a,b",,"[1,""x""]",true\r\n9007199254740993,"say ""hi""",,"{""k"":1}",false\r\n-3,"two\nlines",NULL,[],\r\n');
});

test('CSV: a text a spreadsheet would run as a formula is defused; numbers in text are not', () => {
  const csv = toCsv({ columns: [{ name: 'v', type: 'VARCHAR' }], rows: [['=HYPERLINK("http://x")'], ['+1+1'], ['@SUM(A1)'], ['-2'], ['-9007199254740993'], ['-1.5e3'], ['- item']] });
  assert.deepEqual(csv.split('\r\n').slice(1, -1), [`"'=HYPERLINK(""http://x"")"`, "'+1+1", "'@SUM(A1)", '-2', '-9007199254740993', '-1.5e3', "'- item"]);
});
