import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseOtelTraceState,
  parseTh,
  probabilityToThreshold,
  randomnessOf,
  thresholdToAdjustedCount,
  thresholdToProbability,
  thresholdToTh,
  withOtelThreshold,
} from './consistentProbability.js';

test('thresholds round as the specification table shows (precision 4)', () => {
  const cases: Array<[number, string]> = [
    [1, '0'],
    [0.5, '8'],
    [1 / 3, 'aaab'],
    [0.25, 'c'],
    [0.2, 'cccd'],
    [0.125, 'e'],
    [0.1, 'e666'],
    [0.0625, 'f'],
    [0.01, 'fd70a'],
    [0.001, 'ffbe77'],
    [0.0001, 'fff9724'],
    [0.00001, 'ffff583a'],
  ];
  for (const [p, th] of cases) assert.equal(thresholdToTh(probabilityToThreshold(p)), th, `p=${p}`);
  assert.equal(thresholdToTh(probabilityToThreshold(0.01, 5)), 'fd70a4');
  assert.equal(thresholdToProbability(probabilityToThreshold(0.1)), 0.100006103515625);
  assert.equal(thresholdToAdjustedCount(parseTh('8')!), 2);
  assert.throws(() => probabilityToThreshold(0), RangeError);
  assert.throws(() => probabilityToThreshold(1.5), RangeError);
});

test('th values are 1 to 14 lowercase hex digits, right-padded', () => {
  assert.equal(parseTh('8'), 0x80000000000000n);
  assert.equal(parseTh('fd70a4'), 0xfd70a400000000n);
  assert.equal(parseTh('0'), 0n);
  for (const bad of ['', 'g', 'F', '123456789012345', ' 8', '-1']) assert.equal(parseTh(bad), undefined, bad);
});

test('tracestate parsing finds ot th and rv among other members and ignores bad values', () => {
  assert.deepEqual(parseOtelTraceState('vendor=x, ot=th:c;rv:0123456789abcd ,other=y'), { threshold: 0xc0000000000000n, randomness: '0123456789abcd' });
  assert.deepEqual(parseOtelTraceState('ot=p:8;th:8'), { threshold: 0x80000000000000n, randomness: undefined });
  for (const bad of ['', 'ot=th:zz', 'ot=th:123456789012345', 'ot=rv:123', 'xot=th:8', ',,,=', 'ot=', 'ot=th', `ot=th:8;${'x'.repeat(300)}`, 'a'.repeat(100_000)]) {
    assert.deepEqual(parseOtelTraceState(bad), { threshold: undefined, randomness: undefined }, bad.slice(0, 40));
  }
});

test('the ot threshold is set in front, other ot keys and members kept', () => {
  assert.equal(withOtelThreshold('', '8'), 'ot=th:8');
  assert.equal(withOtelThreshold('a=1,ot=th:8;rv:0123456789abcd,b=2', 'c'), 'ot=th:c;rv:0123456789abcd,a=1,b=2');
  assert.equal(withOtelThreshold('a=1', 'e666'), 'ot=th:e666,a=1');
});

test('randomness is rv when present, else the low 56 bits of a valid trace id', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  assert.equal(randomnessOf(id, parseOtelTraceState('')), 'ce929d0e0e4736');
  assert.equal(randomnessOf(id, parseOtelTraceState('ot=rv:00000000000001')), '00000000000001');
  assert.equal(randomnessOf('not-an-id', parseOtelTraceState('')), undefined);
});
