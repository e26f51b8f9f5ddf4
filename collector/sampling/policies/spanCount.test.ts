import assert from 'node:assert/strict';
import { test } from 'node:test';
import { span, view } from '../testTraces.js';
import { SpanCountPolicy } from './spanCount.js';

test('span_count keeps traces with min..max spans', () => {
  const spans = (n: number) => view(Array.from({ length: n }, (_, i) => span(1, i + 1)));
  const policy = new SpanCountPolicy('big', 3, 4);
  assert.deepEqual([2, 3, 4, 5].map((n) => policy.evaluate(spans(n)).sampled), [false, true, true, false]);
  assert.equal(new SpanCountPolicy('open', 2).evaluate(spans(1000)).sampled, true);
});
