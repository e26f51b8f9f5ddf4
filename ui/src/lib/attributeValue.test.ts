import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatAttributeValue } from './attributeValue.js';

test('each attribute type reads as one line', () => {
  assert.equal(formatAttributeValue({ type: 'string', value: 'grüße 🦆' }), 'grüße 🦆');
  assert.equal(formatAttributeValue({ type: 'bool', value: false }), 'false');
  assert.equal(formatAttributeValue({ type: 'int', value: '9223372036854775807' }), '9223372036854775807');
  assert.equal(formatAttributeValue({ type: 'double', value: 'NaN' }), 'NaN');
  assert.equal(formatAttributeValue({ type: 'bytes', value: 'AAE=' }), 'base64:AAE=');
  assert.equal(
    formatAttributeValue({ type: 'array', value: [{ type: 'string', value: 'sku-1' }, { type: 'int', value: 2 }] }),
    '["sku-1", 2]',
  );
  assert.equal(formatAttributeValue({ type: 'kvlist', value: [{ key: 'a', type: 'bool', value: true }] }), '{a: true}');
  assert.equal(formatAttributeValue({ type: 'empty', value: null }), '(empty)');
});
