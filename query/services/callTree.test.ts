import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SpanRow } from '../../core/model/span.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { buildCallTree } from './callTree.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';

function row(spanId: string, parentSpanId: string, start: number, duration: number, extra: Partial<SpanRow> = {}): SpanRow {
  return spanRow({
    traceId: TRACE,
    spanId: spanId.padStart(16, '0'),
    parentSpanId: parentSpanId === '' ? '' : parentSpanId.padStart(16, '0'),
    serviceName: 'svc',
    name: `op-${spanId}`,
    startTimeUnixNano: BigInt(start),
    durationNs: BigInt(duration),
    ...extra,
  });
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
  assert.deepEqual(tree.services.map((s) => [s.service, s.spanCount, s.errorCount]), [['svc', 3, 0], ['web', 1, 1]]);
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

describe('adjusters', () => {
  test('a child on another service that starts before its parent is shifted inside it, centred, with its subtree', () => {
    const tree = buildCallTree(TRACE, [
      row('1', '', 1000, 100, { serviceName: 'web' }),
      row('2', '1', 900, 40, { serviceName: 'api' }),
      row('3', '2', 910, 10, { serviceName: 'api' }),
      row('4', '1', 1010, 10, { serviceName: 'web' }),
    ]);
    const byId = new Map(tree.spans.map((s) => [s.spanId, s]));
    assert.equal(byId.get(id('2'))!.startTimeUnixNano, '1030');
    assert.match(byId.get(id('2'))!.warnings[0]!, /clock skew: shifted by \+0\.130µs to fit inside its parent on service "web"/);
    assert.equal(byId.get(id('3'))!.startTimeUnixNano, '1040', 'descendants move with the shifted span');
    assert.deepEqual(byId.get(id('3'))!.warnings, []);
    assert.equal(byId.get(id('4'))!.startTimeUnixNano, '1010', 'same-service children are left alone');
  });

  test('a child longer than its parent is aligned with the parent start; raw mode changes nothing', () => {
    const spans = [row('1', '', 1000, 100, { serviceName: 'web' }), row('2', '1', 1500, 300, { serviceName: 'api' })];
    const adjusted = buildCallTree(TRACE, spans);
    assert.equal(adjusted.spans[1]!.startTimeUnixNano, '1000');
    assert.match(adjusted.spans[1]!.warnings[0]!, /longer than its parent/);
    const raw = buildCallTree(TRACE, spans, { adjust: false });
    assert.equal(raw.spans[1]!.startTimeUnixNano, '1500');
    assert.deepEqual(raw.spans[1]!.warnings, []);
  });

  test('duplicate span ids are made unique; a SERVER sharing the id of a CLIENT becomes its child', () => {
    const tree = buildCallTree(TRACE, [
      row('1', '', 0, 100, { kind: 2 }),
      row('2', '1', 10, 50, { kind: 3 }),
      row('2', '1', 20, 30, { kind: 2, serviceName: 'api' }),
      row('5', '5', 0, 0),
    ]);
    const renamed = tree.spans.find((s) => s.warnings.some((w) => w.startsWith('duplicate span id')))!;
    assert.notEqual(renamed.spanId, id('2'));
    assert.match(renamed.spanId, /^[0-9a-f]{16}$/);
    assert.equal(renamed.parentSpanId, id('2'));
    assert.equal(renamed.depth, 2);
    assert.equal(new Set(tree.spans.map((s) => s.spanId)).size, tree.spans.length);
  });
});

describe('critical path and self time', () => {
  // root 0-100; a 10-40 and b 30-90 overlap; c 95-99 is short; b has child d 40-80.
  const tree = buildCallTree(TRACE, [
    row('1', '', 0, 100),
    row('2', '1', 10, 30),
    row('3', '1', 30, 60),
    row('4', '3', 40, 40),
    row('5', '1', 95, 4),
  ]);
  const node = (n: string) => tree.spans.find((s) => s.spanId === id(n))!;

  test('the path follows the last-finishing child back from the end', () => {
    assert.equal(tree.criticalPathSpanId, id('1'));
    assert.deepEqual(
      ['1', '2', '3', '4', '5'].map((n) => node(n).criticalPathNs),
      // root: 99-100, 90-95 and 0-10 => 1 + 5 + 10 (the span a, 10-30, waits) ; a: 10-30 ; b: 30-40, 80-90 ; d: 40-80 ; c: 95-99
      ['16', '20', '20', '40', '4'],
    );
    assert.equal(tree.spans.reduce((sum, s) => sum + Number(s.criticalPathNs), 0), 100, 'the path covers the whole root');
    assert.equal(node('2').onCriticalPath, true);
  });

  test('self time is the duration not covered by children', () => {
    assert.deepEqual(['1', '2', '3', '4', '5'].map((n) => node(n).selfTimeNs), ['16', '30', '20', '40', '4']);
    const byService = tree.services.find((s) => s.service === 'svc')!;
    assert.equal(byService.selfTimeNs, '110');
  });
});
