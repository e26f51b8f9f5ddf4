import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeSql, quoteIdentifier, tableFromDescribe } from './sqlSchema.js';

test('a table is read from the answer to DESCRIBE by column names', () => {
  const answer = {
    columns: ['column_name', 'column_type', 'null', 'key', 'default', 'extra'].map((name) => ({ name, type: 'VARCHAR' })),
    rows: [
      ['trace_id', 'VARCHAR', 'NO', null, null, null],
      ['duration_ns', 'BIGINT', 'NO', null, null, null],
      ['attributes', 'MAP(VARCHAR, VARCHAR)', 'NO', null, null, null],
    ],
  };
  assert.deepEqual(tableFromDescribe('spans', answer), {
    name: 'spans',
    columns: [
      { name: 'trace_id', type: 'VARCHAR' },
      { name: 'duration_ns', type: 'BIGINT' },
      { name: 'attributes', type: 'MAP(VARCHAR, VARCHAR)' },
    ],
  });
  // Column order is not assumed.
  assert.deepEqual(tableFromDescribe('t', { columns: [{ name: 'column_type', type: 'VARCHAR' }, { name: 'column_name', type: 'VARCHAR' }], rows: [['INTEGER', 'n']] }).columns, [
    { name: 'n', type: 'INTEGER' },
  ]);
  assert.throws(() => tableFromDescribe('t', { columns: [{ name: 'x', type: 'VARCHAR' }], rows: [] }), /without column_name/);
});

test('names are quoted only when SQL would not read them back as they are', () => {
  assert.equal(quoteIdentifier('service_name'), 'service_name');
  assert.equal(quoteIdentifier('Service'), '"Service"');
  assert.equal(quoteIdentifier('http.route'), '"http.route"');
  assert.equal(quoteIdentifier('say "hi"'), '"say ""hi"""');
  assert.equal(describeSql('span_attributes'), 'DESCRIBE span_attributes');
});
