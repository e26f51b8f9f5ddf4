import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expandTo, parentIndices, parseCollapsed, scrollToRow, serializeCollapsed, virtualWindow, visibleRows, type TreeSpan } from './traceRows.js';

// a ─ b ─ c
//   │   └ d
//   └ e
// f (orphan)
const spans: TreeSpan[] = [
  { spanId: 'a', depth: 0, childSpanIds: ['b', 'e'] },
  { spanId: 'b', depth: 1, childSpanIds: ['c', 'd'] },
  { spanId: 'c', depth: 2, childSpanIds: [] },
  { spanId: 'd', depth: 2, childSpanIds: [] },
  { spanId: 'e', depth: 1, childSpanIds: [] },
  { spanId: 'f', depth: 0, childSpanIds: [] },
];
const ids = (rows: number[]): string => rows.map((i) => spans[i]!.spanId).join('');

test('every span shows when nothing is collapsed', () => {
  assert.equal(ids(visibleRows(spans, new Set())), 'abcdef');
});

test('a collapsed span keeps its row and hides its whole subtree, and only it', () => {
  assert.equal(ids(visibleRows(spans, new Set(['b']))), 'abef');
  assert.equal(ids(visibleRows(spans, new Set(['a']))), 'af');
  assert.equal(ids(visibleRows(spans, new Set(['a', 'b']))), 'af');
  // A leaf has nothing to hide.
  assert.equal(ids(visibleRows(spans, new Set(['c', 'f']))), 'abcdef');
});

test('parents come from the depth sequence; expanding to a span opens its ancestors only', () => {
  assert.deepEqual([...parentIndices(spans)], [-1, 0, 1, 1, 0, -1]);
  const opened = expandTo(3, parentIndices(spans), spans, new Set(['a', 'b', 'e']));
  assert.deepEqual([...opened], ['e']);
});

test('the collapsed set round-trips through its URL form', () => {
  assert.equal(serializeCollapsed(new Set(['b', 'a'])), 'a,b');
  assert.deepEqual([...parseCollapsed('a,b')], ['a', 'b']);
  assert.deepEqual([...parseCollapsed(null)], []);
  assert.deepEqual([...parseCollapsed('')], []);
});

test('the virtual window covers the viewport plus overscan, clipped to the rows', () => {
  assert.deepEqual(virtualWindow(0, 100, 20, 1000, 2), { start: 0, end: 7 });
  assert.deepEqual(virtualWindow(2000, 100, 20, 1000, 2), { start: 98, end: 107 });
  assert.deepEqual(virtualWindow(19_990, 100, 20, 1000, 2), { start: 997, end: 1000 });
  assert.deepEqual(virtualWindow(0, 100, 20, 0, 2), { start: 0, end: 0 });
  // 100,000 rows render a few dozen, wherever the scroll is.
  const window = virtualWindow(1_000_000, 800, 28, 100_000);
  assert.ok(window.end - window.start < 60);
});

test('scrolling to a row moves only when it is out of view', () => {
  assert.equal(scrollToRow(5, 0, 200, 20), null);
  assert.equal(scrollToRow(20, 0, 200, 20), 220);
  assert.equal(scrollToRow(2, 100, 200, 20), 40);
});
