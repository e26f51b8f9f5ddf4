import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgePath, layoutGraph, type LayoutEdge, type LayoutNode, type MapLayout, type PlacedNode } from './mapLayout.js';

const node = (id: string): LayoutNode => ({ id, width: 80, height: 30 });
const edge = (from: string, to: string): LayoutEdge => ({ id: `${from}->${to}`, from, to, labelWidth: 120, labelHeight: 28 });

function graph(pairs: Array<[string, string]>): { nodes: LayoutNode[]; edges: LayoutEdge[] } {
  const ids = [...new Set(pairs.flat())];
  return { nodes: ids.map(node), edges: pairs.map(([a, b]) => edge(a, b)) };
}

const layerOf = (layout: MapLayout): Record<string, number> => Object.fromEntries(layout.nodes.map((n) => [n.id, n.layer]));
const placed = (layout: MapLayout, id: string): PlacedNode => layout.nodes.find((n) => n.id === id)!;

interface Box {
  what: string;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

function boxes(layout: MapLayout, labelWidth = 120, labelHeight = 28): Box[] {
  return [
    ...layout.nodes.map((n) => ({ what: n.id, left: n.x - n.width / 2, right: n.x + n.width / 2, top: n.y - n.height / 2, bottom: n.y + n.height / 2 })),
    ...layout.edges.map((e) => ({
      what: `label ${e.id}`,
      left: e.label.x - labelWidth / 2,
      right: e.label.x + labelWidth / 2,
      top: e.label.y - labelHeight / 2,
      bottom: e.label.y + labelHeight / 2,
    })),
  ];
}

// The web shop of `npm run demo`, as /api/v1/dependencies reports it.
const SHOP: Array<[string, string]> = [
  ['frontend', 'redis'],
  ['frontend', 'cart'],
  ['frontend', 'checkout'],
  ['checkout', 'cart'],
  ['checkout', 'inventory'],
  ['checkout', 'payment'],
  ['checkout', 'postgresql'],
  ['cart', 'inventory'],
  ['cart', 'redis'],
  ['cart', 'postgresql'],
  ['inventory', 'postgresql'],
  ['payment', 'postgresql'],
  ['payment', 'card-gateway'],
];

test('layers are the longest path from the roots, callers left of callees', () => {
  const { nodes, edges } = graph(SHOP);
  const layout = layoutGraph(nodes, edges);
  assert.deepEqual(layerOf(layout), { frontend: 0, checkout: 1, cart: 2, payment: 2, inventory: 3, redis: 3, 'card-gateway': 3, postgresql: 4 });
  for (const e of layout.edges) {
    assert.ok(placed(layout, e.from).x < placed(layout, e.to).x, `${e.id} runs left to right`);
    assert.equal(e.reversed, false);
  }
});

test('no two boxes (nodes and edge labels) overlap, and all lie inside the drawing', () => {
  const { nodes, edges } = graph(SHOP);
  const layout = layoutGraph(nodes, edges);
  const all = boxes(layout);
  for (let i = 0; i < all.length; i++) {
    const a = all[i]!;
    assert.ok(a.left >= 0 && a.top >= 0 && a.right <= layout.width && a.bottom <= layout.height, `${a.what} inside`);
    for (let j = i + 1; j < all.length; j++) {
      const b = all[j]!;
      const overlap = a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      assert.ok(!overlap, `${a.what} overlaps ${b.what}`);
    }
  }
});

test('edges run from the border of the caller to the border of the callee, through their label', () => {
  const { nodes, edges } = graph([['a', 'b'], ['a', 'c'], ['b', 'c']]);
  const layout = layoutGraph(nodes, edges);
  for (const e of layout.edges) {
    const from = placed(layout, e.from);
    const to = placed(layout, e.to);
    assert.deepEqual(e.points[0], { x: from.x + from.width / 2, y: from.y });
    assert.deepEqual(e.points.at(-1), { x: to.x - to.width / 2, y: to.y });
    const across = e.points.findIndex((p, i) => i > 0 && p.y === e.label.y && e.points[i - 1]!.y === e.label.y && e.points[i - 1]!.x < e.label.x && p.x > e.label.x);
    assert.ok(across > 0, `${e.id} passes through its label`);
  }
  // a → c skips a layer and bends around b rather than through it.
  const long = layout.edges.find((e) => e.id === 'a->c')!;
  assert.ok(long.points.length > 4);
});

test('cycles are broken: every node is placed and the closing edge is drawn backwards', () => {
  const { nodes, edges } = graph([['a', 'b'], ['b', 'c'], ['c', 'a'], ['root', 'a']]);
  const layout = layoutGraph(nodes, edges);
  assert.deepEqual(layerOf(layout), { root: 0, a: 1, b: 2, c: 3 });
  const closing = layout.edges.find((e) => e.id === 'c->a')!;
  assert.equal(closing.reversed, true);
  // Still drawn from caller to callee: it starts at c's left border and ends at a's right border.
  const c = placed(layout, 'c');
  const a = placed(layout, 'a');
  assert.deepEqual(closing.points[0], { x: c.x - c.width / 2, y: c.y });
  assert.deepEqual(closing.points.at(-1), { x: a.x + a.width / 2, y: a.y });

  const mutual = graph([['x', 'y'], ['y', 'x']]);
  assert.deepEqual(
    layoutGraph(mutual.nodes, mutual.edges).edges.map((e) => [e.id, e.reversed]),
    [['x->y', false], ['y->x', true]],
  );
});

test('the barycentre sweep removes an avoidable crossing', () => {
  // In name order, layer 1 would be [c, d] under [a, b] with a → d and b → c: one crossing.
  const { nodes, edges } = graph([['a', 'd'], ['b', 'c']]);
  const layout = layoutGraph(nodes, edges);
  const y = (id: string): number => placed(layout, id).y;
  assert.ok((y('a') - y('b')) * (y('d') - y('c')) > 0, 'a and d on the same side of b and c');
});

test('a chain is drawn straight', () => {
  const { nodes, edges } = graph([['a', 'b'], ['b', 'c']]);
  const layout = layoutGraph(nodes, edges);
  assert.equal(new Set(layout.nodes.map((n) => n.y)).size, 1);
});

test('the layout does not depend on the order of its input', () => {
  const { nodes, edges } = graph(SHOP);
  const forward = layoutGraph(nodes, edges);
  const backward = layoutGraph([...nodes].reverse(), [...edges].reverse());
  assert.deepEqual(backward, forward);
});

test('self-calls and edges to unknown nodes are left out; an empty graph is just the margins', () => {
  const layout = layoutGraph([node('a')], [edge('a', 'a'), edge('a', 'ghost')]);
  assert.deepEqual(layout.edges, []);
  assert.equal(layout.nodes.length, 1);
  assert.deepEqual(layoutGraph([], [], { margin: 10 }), { nodes: [], edges: [], width: 20, height: 20 });
});

test('edgePath: straight across labels, curves with horizontal tangents between ranks, trimmed for the arrowhead', () => {
  assert.equal(
    edgePath([
      { x: 0, y: 0 },
      { x: 10, y: 20 },
      { x: 30, y: 20 },
    ]),
    'M0,0 C5,0 5,20 10,20 L30,20',
  );
  assert.equal(edgePath([]), '');
  // Trimmed along the arrival direction, either way.
  assert.equal(edgePath([{ x: 0, y: 0 }, { x: 40, y: 10 }], 8), 'M0,0 C16,0 16,10 32,10');
  assert.equal(edgePath([{ x: 40, y: 0 }, { x: 0, y: 0 }], 8), 'M40,0 L8,0');
});
