import assert from 'node:assert/strict';
import { test } from 'node:test';
import { segmentGeometry } from './criticalSegments.js';

const START = '1700000000000000000';
const at = (ns: number): string => (BigInt(START) + BigInt(ns)).toString();

test('stretches sit where they are in the trace, as fractions of its duration', () => {
  const geometry = segmentGeometry(START, 1000, [
    { startTimeUnixNano: at(0), endTimeUnixNano: at(100) },
    { startTimeUnixNano: at(500), endTimeUnixNano: at(1000) },
  ]);
  assert.deepEqual(geometry, [
    { left: 0, width: 0.1 },
    { left: 0.5, width: 0.5 },
  ]);
});

test('a stretch too short to see keeps a sliver, inside the axis', () => {
  assert.deepEqual(segmentGeometry(START, 1_000_000, [{ startTimeUnixNano: at(1_000_000), endTimeUnixNano: at(1_000_000) }]), [{ left: 0.998, width: 0.002 }]);
});

test('a zero-length trace on the path fills the bar; off the path there is nothing', () => {
  assert.deepEqual(segmentGeometry(START, 0, [{ startTimeUnixNano: START, endTimeUnixNano: START }]), [{ left: 0, width: 1 }]);
  assert.deepEqual(segmentGeometry(START, 1000, []), []);
});
