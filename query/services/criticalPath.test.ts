import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { criticalPath, type Interval } from './criticalPath.js';

/** Spans as [start, end] pairs and each span's children by index. */
function path(spans: Array<[number, number]>, children: number[][], top = 0) {
  const intervals: Interval[] = spans.map(([start, end]) => ({ start: BigInt(start), end: BigInt(end) }));
  const result = criticalPath(intervals, children, top);
  return {
    ns: result.ns.map(Number),
    segments: result.segments.map((list) => list.map((s): [number, number] => [Number(s.start), Number(s.end)])),
  };
}

describe('criticalPath', () => {
  // root 0-100; a 10-40 and b 30-90 overlap; b has child d 40-80; c 95-99 is short.
  const spans: Array<[number, number]> = [
    [0, 100],
    [10, 40],
    [30, 90],
    [40, 80],
    [95, 99],
  ];
  const children = [[1, 2, 4], [], [3], [], []];

  test('each span gets the stretches the end of the trace waited on, in time order', () => {
    assert.deepEqual(path(spans, children).segments, [
      [
        [0, 10],
        [90, 95],
        [99, 100],
      ],
      // a is waited on only until b starts: b ends later and covers 30-40.
      [[10, 30]],
      [
        [30, 40],
        [80, 90],
      ],
      [[40, 80]],
      [[95, 99]],
    ]);
  });

  test('the stretches add up to each span’s time on the path, and the path covers the top span', () => {
    const result = path(spans, children);
    assert.deepEqual(
      result.segments.map((list) => list.reduce((sum, [start, end]) => sum + end - start, 0)),
      result.ns,
    );
    assert.equal(
      result.ns.reduce((sum, n) => sum + n, 0),
      100,
    );
  });

  test('a span off the path has no stretches; a grandchild the path waits on has its own', () => {
    // root 0-100: a 10-50 with child g 20-30, and b 15-25 that ends while a still runs.
    const result = path(
      [
        [0, 100],
        [10, 50],
        [20, 30],
        [15, 25],
      ],
      [[1, 3], [2], [], []],
    );
    assert.deepEqual(result.segments[3], [], 'b ran while a was the one being waited on');
    assert.equal(result.ns[3], 0);
    assert.deepEqual(result.segments[2], [[20, 30]]);
    assert.deepEqual(result.segments[1], [
      [10, 20],
      [30, 50],
    ]);
    assert.deepEqual(result.segments[0], [
      [0, 10],
      [50, 100],
    ]);
  });

  test('a zero-length child between two stretches of its parent leaves one merged stretch', () => {
    const result = path(
      [
        [0, 10],
        [5, 5],
      ],
      [[1], []],
    );
    assert.deepEqual(result.segments, [[[0, 10]], []]);
    assert.deepEqual(result.ns, [10, 0]);
  });

  test('a child that runs past its parent counts only up to the parent’s end', () => {
    const result = path(
      [
        [0, 50],
        [20, 80],
      ],
      [[1], []],
    );
    assert.deepEqual(result.segments, [[[0, 20]], [[20, 50]]]);
  });

  test('a 100,000-deep chain is walked without overflowing the stack', () => {
    const depth = 100_000;
    const chain: Array<[number, number]> = Array.from({ length: depth }, (_, i) => [i, 2 * depth - i]);
    const kids = Array.from({ length: depth }, (_, i) => (i + 1 < depth ? [i + 1] : []));
    const result = path(chain, kids);
    assert.deepEqual(result.segments[0], [
      [0, 1],
      [2 * depth - 1, 2 * depth],
    ]);
    assert.deepEqual(result.segments[depth - 1], [[depth - 1, depth + 1]]);
  });
});
