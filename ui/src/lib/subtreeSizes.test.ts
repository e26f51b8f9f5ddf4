import assert from 'node:assert/strict';
import { test } from 'node:test';
import { descendantCounts } from './subtreeSizes.js';

test('each span counts its whole subtree, not only its children', () => {
  // a ─ b ─ c ─ g
  //   │   └ d
  //   └ e
  // f (a second top)
  const depths = [0, 1, 2, 3, 2, 1, 0];
  assert.deepEqual([...descendantCounts(depths.map((depth) => ({ depth })))], [5, 3, 1, 0, 0, 0, 0]);
});

test('an empty tree and a lone span', () => {
  assert.deepEqual([...descendantCounts([])], []);
  assert.deepEqual([...descendantCounts([{ depth: 0 }])], [0]);
});

test('a 100,000-deep chain: every span holds all the spans after it', () => {
  const counts = descendantCounts(Array.from({ length: 100_000 }, (_, depth) => ({ depth })));
  assert.equal(counts[0], 99_999);
  assert.equal(counts[50_000], 49_999);
  assert.equal(counts[99_999], 0);
});
