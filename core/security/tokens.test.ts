import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearerToken, splitTokenFile, splitTokenSetting, tokenProblem, TokenSet } from './tokens.js';

const A = 'token-a-0123456789abcdef';
const B = 'token-b-0123456789abcdef';

test('a set accepts exactly its tokens, whatever their length or how close a guess comes', () => {
  const set = new TokenSet([A, B]);
  assert.equal(set.required, true);
  assert.equal(set.accepts(A), true);
  assert.equal(set.accepts(B), true);
  for (const guess of ['', 'token-a', `${A}x`, A.slice(0, -1), A.toUpperCase(), `${A.slice(0, -1)}g`, ' '.repeat(A.length)]) {
    assert.equal(set.accepts(guess), false, JSON.stringify(guess));
  }
});

test('an empty set asks for nothing; a required one reads only Bearer headers', () => {
  assert.equal(TokenSet.NONE.required, false);
  assert.equal(TokenSet.NONE.acceptsHeader(undefined), true);
  const set = new TokenSet([A]);
  assert.equal(set.acceptsHeader(`Bearer ${A}`), true);
  assert.equal(set.acceptsHeader(`bearer  ${A} `), true);
  for (const header of [undefined, '', A, `Basic ${A}`, `Bearer ${B}`, `Bearer ${A} extra`, 'Bearer']) {
    assert.equal(set.acceptsHeader(header), false, String(header));
  }
});

test('bearerToken takes the one token after the scheme', () => {
  assert.equal(bearerToken('Bearer abc'), 'abc');
  assert.equal(bearerToken('BEARER\tabc'), 'abc');
  assert.equal(bearerToken('Bearer a b'), undefined);
  assert.equal(bearerToken('Token abc'), undefined);
});

test('tokens are long, visible ASCII, without spaces or commas', () => {
  assert.equal(tokenProblem(A), null);
  assert.match(tokenProblem('short')!, /at least 16 characters/);
  assert.match(tokenProblem('x'.repeat(2000))!, /at most 1024/);
  assert.match(tokenProblem('has space 0123456789')!, /visible ASCII/);
  assert.match(tokenProblem('grüße-0123456789abc')!, /visible ASCII/);
});

test('settings split on commas, files on lines with # comments', () => {
  assert.deepEqual(splitTokenSetting(` ${A}, ,${B} `), [A, B]);
  assert.deepEqual(splitTokenSetting(''), []);
  assert.deepEqual(splitTokenFile(`# rotated 2024-05\n${A}\r\n\n  ${B}  \n`), [A, B]);
});
