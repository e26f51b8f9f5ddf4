import assert from 'node:assert/strict';
import { test } from 'node:test';
import { INDENT, insertName, isRunShortcut, replaceSelection } from './editorText.js';

test('replacing the selection puts the cursor after the new text', () => {
  assert.deepEqual(replaceSelection('SELECT 1', 6, 6, INDENT), { value: 'SELECT   1', cursor: 8 });
  assert.deepEqual(replaceSelection('SELECT 1', 7, 8, '42'), { value: 'SELECT 42', cursor: 9 });
  assert.deepEqual(replaceSelection('', 0, 0, INDENT), { value: '  ', cursor: 2 });
});

test('a name goes in with a space where it would touch another word', () => {
  assert.deepEqual(insertName('SELECT  FROM spans', 7, 7, 'name'), { value: 'SELECT name FROM spans', cursor: 11 });
  assert.deepEqual(insertName('SELECT', 6, 6, 'name'), { value: 'SELECT name', cursor: 11 });
  assert.deepEqual(insertName('SELECTFROM', 6, 6, 'name'), { value: 'SELECT name FROM', cursor: 11 });
  assert.deepEqual(insertName('count()', 6, 6, 'name'), { value: 'count(name)', cursor: 10 });
  assert.deepEqual(insertName('SELECT x FROM t', 7, 8, 'name'), { value: 'SELECT name FROM t', cursor: 11 });
  assert.deepEqual(insertName('', 0, 0, 'spans'), { value: 'spans', cursor: 5 });
});

test('Ctrl+Enter and Cmd+Enter run; plain Enter is a new line', () => {
  assert.equal(isRunShortcut({ key: 'Enter', ctrlKey: true, metaKey: false }), true);
  assert.equal(isRunShortcut({ key: 'Enter', ctrlKey: false, metaKey: true }), true);
  assert.equal(isRunShortcut({ key: 'Enter', ctrlKey: false, metaKey: false }), false);
  assert.equal(isRunShortcut({ key: 'a', ctrlKey: true, metaKey: false }), false);
});
