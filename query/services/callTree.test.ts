import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAttributes, type SpanRow } from '../../core/model/span.js';
import { buildCallTree } from './callTree.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function row(spanId: string, parentSpanId: string, start: number, duration: number, extra: Partial<SpanRow> = {}): SpanRow {
  return {
    traceId: TRACE,
    spanId: spanId.padStart(16, '0'),
    parentSpanId: parentSpanId === '' ? '' : parentSpanId.padStart(16, '0'),
    traceState: '',
    flags: 1,
    name: `op-${spanId}`,
    kind: 2,
    serviceName: 'svc',
    startTimeUnixNano: BigInt(start),
    durationNs: BigInt(duration),
    statusCode: 0,
    statusMessage: '',
    attributes: emptyAttributes(),
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    resourceAttributes: emptyAttributes(),
    resourceDroppedAttributesCount: 0,
    resourceSchemaUrl: '',
    scopeName: '',
    scopeVersion: '',
    scopeAttributes: emptyAttributes(),
    scopeDroppedAttributesCount: 0,
    scopeSchemaUrl: '',
    sampleWeight: 1,
    ...extra,
  };
}

const id = (n: string) => n.padStart(16, '0');

test('spans come depth-first with children in start order, depth and child ids', () => {
  const tree = buildCallTree(TRACE, [
    row('4', '2', 30, 5),
    row('3', '1', 50, 10),
    row('1', '', 0, 100, { statusCode: 2, serviceName: 'web' }),
    row('2', '1', 20, 20),
  ]);
  assert.deepEqual(tree.spans.map((s) => [s.spanId, s.depth, s.childSpanIds]), [
    [id('1'), 0, [id('2'), id('3')]],
    [id('2'), 1, [id('4')]],
    [id('4'), 2, []],
    [id('3'), 1, []],
  ]);
  assert.deepEqual(tree.rootSpanIds, [id('1')]);
  assert.deepEqual(tree.orphanSpanIds, []);
  assert.equal(tree.depth, 3);
  assert.equal(tree.spanCount, 4);
  assert.equal(tree.errorCount, 1);
  assert.deepEqual(tree.services, ['svc', 'web']);
  assert.equal(tree.durationNs, '100');
  assert.equal(tree.spans[0]!.status.code, 'ERROR');
  assert.equal(tree.spans[0]!.kind, 'SERVER');
});

test('spans whose parent is missing are returned as orphans with their subtrees', () => {
  const tree = buildCallTree(TRACE, [row('1', '', 0, 100), row('5', '9', 10, 10), row('6', '5', 12, 2)]);
  assert.equal(tree.spanCount, 3);
  assert.deepEqual(tree.orphanSpanIds, [id('5')]);
  const orphan = tree.spans.find((s) => s.spanId === id('5'))!;
  assert.equal(orphan.orphan, true);
  assert.equal(orphan.depth, 0);
  assert.equal(tree.spans.find((s) => s.spanId === id('6'))!.depth, 1);
});

test('a trace with no root still returns every span', () => {
  const tree = buildCallTree(TRACE, [row('2', '1', 10, 10), row('3', '1', 5, 1)]);
  assert.deepEqual(tree.rootSpanIds, []);
  assert.deepEqual(tree.orphanSpanIds, [id('3'), id('2')]);
});

test('a parent loop does not lose its spans', () => {
  const tree = buildCallTree(TRACE, [row('1', '2', 0, 10), row('2', '1', 5, 1), row('3', '3', 7, 1)]);
  assert.equal(tree.spanCount, 3);
  assert.deepEqual(new Set(tree.spans.map((s) => s.spanId)), new Set([id('1'), id('2'), id('3')]));
  assert.deepEqual(tree.orphanSpanIds.sort(), [id('1'), id('3')]);
});

test('a chain 100,000 spans deep builds without recursion', () => {
  const spans = Array.from({ length: 100_000 }, (_, i) => row(String(i + 1), i === 0 ? '' : String(i), i, 1_000_000 - i));
  const tree = buildCallTree(TRACE, spans);
  assert.equal(tree.depth, 100_000);
  assert.equal(tree.spans.at(-1)!.depth, 99_999);
  assert.ok(JSON.stringify(tree).length > 0);
});
