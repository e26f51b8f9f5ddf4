/**
 * A layered (Sugiyama-style) layout of a directed graph, left to right. Pure.
 *
 * 1. Cycles are broken by reversing the back edges of a depth-first search from the roots.
 * 2. Nodes get longest-path layers from the roots, so every caller sits left of its callees.
 * 3. Every edge becomes a chain of virtual nodes through the ranks between its ends. Ranks are doubled
 *    (nodes on even ranks) so that each edge has a virtual node in the rank right after its start: its
 *    label, which is thereby spaced like a node and never overlaps another label or node.
 * 4. Crossings are reduced by barycentre sweeps (the best order seen is kept).
 * 5. Vertical positions: each rank is pulled towards its neighbours' mean and kept apart by the least
 *    squares fit that preserves the order (pool adjacent violators), a few sweeps down and up.
 */

export interface LayoutNode {
  id: string;
  width: number;
  height: number;
}

export interface LayoutEdge {
  id: string;
  from: string;
  to: string;
  labelWidth: number;
  labelHeight: number;
}

export interface Point {
  x: number;
  y: number;
}

/** x and y are the centre. */
export interface PlacedNode extends LayoutNode {
  x: number;
  y: number;
  layer: number;
}

export interface PlacedEdge {
  id: string;
  from: string;
  to: string;
  /** From the caller's border to the callee's border, through the label. */
  points: Point[];
  /** Centre of the label box. */
  label: Point;
  /** Drawn against the layers' direction because it closes a cycle. */
  reversed: boolean;
}

export interface MapLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
}

export interface LayoutOptions {
  /** Horizontal space between neighbouring ranks. */
  rankGap: number;
  /** Vertical space between boxes (nodes and labels) in one rank. */
  boxGap: number;
  /** Vertical space beside a bare pass-through point of a long edge. */
  passGap: number;
  margin: number;
}

const DEFAULTS: LayoutOptions = { rankGap: 22, boxGap: 16, passGap: 6, margin: 12 };
const ORDER_SWEEPS = 8;
const POSITION_SWEEPS = 12;

interface Vertex {
  key: string;
  rank: number;
  width: number;
  height: number;
  kind: 'node' | 'label' | 'pass';
  up: Vertex[];
  down: Vertex[];
  order: number;
  y: number;
}

const byString = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The edges that, reversed, make the graph acyclic: back edges of a DFS from the roots, in name order. */
function backEdges(ids: string[], edges: LayoutEdge[]): Set<LayoutEdge> {
  const out = new Map<string, LayoutEdge[]>(ids.map((id) => [id, []]));
  const hasCaller = new Set<string>();
  for (const edge of edges) {
    out.get(edge.from)!.push(edge);
    hasCaller.add(edge.to);
  }
  for (const list of out.values()) list.sort((a, b) => byString(a.to, b.to) || byString(a.id, b.id));
  const state = new Map<string, 'open' | 'done'>();
  const back = new Set<LayoutEdge>();
  const visit = (id: string): void => {
    state.set(id, 'open');
    for (const edge of out.get(id)!) {
      const seen = state.get(edge.to);
      if (seen === 'open') back.add(edge);
      else if (seen === undefined) visit(edge.to);
    }
    state.set(id, 'done');
  };
  // Roots first, so that in a graph with entry points the cycles are cut where they return upstream.
  for (const id of ids) if (!hasCaller.has(id) && !state.has(id)) visit(id);
  for (const id of ids) if (!state.has(id)) visit(id);
  return back;
}

/** Longest path from the roots over the acyclic edges (each as [from, to]). */
function longestPathLayers(ids: string[], arcs: Array<[string, string]>): Map<string, number> {
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const [from, to] of arcs) {
    out.get(from)!.push(to);
    indegree.set(to, indegree.get(to)! + 1);
  }
  const layer = new Map<string, number>(ids.map((id) => [id, 0]));
  const ready = ids.filter((id) => indegree.get(id) === 0);
  while (ready.length > 0) {
    const id = ready.shift()!;
    for (const to of out.get(id)!) {
      layer.set(to, Math.max(layer.get(to)!, layer.get(id)! + 1));
      indegree.set(to, indegree.get(to)! - 1);
      if (indegree.get(to) === 0) ready.push(to);
    }
  }
  return layer;
}

function crossings(ranks: Vertex[][]): number {
  let count = 0;
  for (const rank of ranks) {
    const pairs: Array<[number, number]> = [];
    for (const v of rank) for (const w of v.down) pairs.push([v.order, w.order]);
    for (let i = 0; i < pairs.length; i++) {
      for (let j = i + 1; j < pairs.length; j++) {
        const [a1, b1] = pairs[i]!;
        const [a2, b2] = pairs[j]!;
        if ((a1 - a2) * (b1 - b2) < 0) count++;
      }
    }
  }
  return count;
}

/** Reorders one rank by the mean order of each vertex's neighbours on the given side. */
function sortByBarycentre(rank: Vertex[], side: 'up' | 'down'): void {
  const centre = new Map<Vertex, number>();
  for (const v of rank) {
    const neighbours = v[side];
    centre.set(v, neighbours.length === 0 ? v.order : neighbours.reduce((sum, n) => sum + n.order, 0) / neighbours.length);
  }
  // Stable on ties: the current order decides.
  rank.sort((a, b) => centre.get(a)! - centre.get(b)! || a.order - b.order);
  rank.forEach((v, i) => (v.order = i));
}

function reduceCrossings(ranks: Vertex[][]): void {
  let best = ranks.map((rank) => rank.slice());
  let bestCount = crossings(ranks);
  for (let sweep = 0; sweep < ORDER_SWEEPS && bestCount > 0; sweep++) {
    if (sweep % 2 === 0) for (let r = 1; r < ranks.length; r++) sortByBarycentre(ranks[r]!, 'up');
    else for (let r = ranks.length - 2; r >= 0; r--) sortByBarycentre(ranks[r]!, 'down');
    const count = crossings(ranks);
    if (count < bestCount) {
      bestCount = count;
      best = ranks.map((rank) => rank.slice());
    }
  }
  best.forEach((rank, r) => {
    ranks[r] = rank;
    rank.forEach((v, i) => (v.order = i));
  });
}

function gapBetween(a: Vertex, b: Vertex, options: LayoutOptions): number {
  const gap = a.kind === 'pass' || b.kind === 'pass' ? options.passGap : options.boxGap;
  return a.height / 2 + gap + b.height / 2;
}

/**
 * Positions closest (least squares) to `desired` that keep the rank's order and spacing: with
 * offsets c_i (the least distance from the first vertex), y_i - c_i must not decrease, which is an
 * isotonic regression of desired_i - c_i, solved by pooling adjacent violators.
 */
function fitRank(rank: Vertex[], desired: number[], options: LayoutOptions): void {
  const offsets: number[] = [];
  let offset = 0;
  rank.forEach((v, i) => {
    if (i > 0) offset += gapBetween(rank[i - 1]!, v, options);
    offsets.push(offset);
  });
  const blocks: Array<{ sum: number; count: number }> = [];
  desired.forEach((d, i) => {
    blocks.push({ sum: d - offsets[i]!, count: 1 });
    while (blocks.length > 1 && blocks[blocks.length - 2]!.sum / blocks[blocks.length - 2]!.count > blocks[blocks.length - 1]!.sum / blocks[blocks.length - 1]!.count) {
      const last = blocks.pop()!;
      blocks[blocks.length - 1]!.sum += last.sum;
      blocks[blocks.length - 1]!.count += last.count;
    }
  });
  let i = 0;
  for (const block of blocks) {
    for (let k = 0; k < block.count; k++, i++) rank[i]!.y = block.sum / block.count + offsets[i]!;
  }
}

function assignY(ranks: Vertex[][], options: LayoutOptions): void {
  for (const rank of ranks) fitRank(rank, rank.map(() => 0), options);
  const mean = (vs: Vertex[]): number => vs.reduce((sum, v) => sum + v.y, 0) / vs.length;
  for (let sweep = 0; sweep < POSITION_SWEEPS; sweep++) {
    const order = sweep % 2 === 0 ? ranks.map((_, r) => r) : ranks.map((_, r) => ranks.length - 1 - r);
    for (const r of order) {
      const rank = ranks[r]!;
      fitRank(
        rank,
        rank.map((v) => {
          const neighbours = [...v.up, ...v.down];
          return neighbours.length === 0 ? v.y : mean(neighbours);
        }),
        options,
      );
    }
  }
}

export function layoutGraph(nodes: LayoutNode[], edges: LayoutEdge[], overrides: Partial<LayoutOptions> = {}): MapLayout {
  const options = { ...DEFAULTS, ...overrides };
  const sortedNodes = [...nodes].sort((a, b) => byString(a.id, b.id));
  const ids = sortedNodes.map((n) => n.id);
  const known = new Set(ids);
  // A self-call has no place in a layered drawing; callers list it elsewhere (the edge table).
  const drawn = edges.filter((e) => known.has(e.from) && known.has(e.to) && e.from !== e.to).sort((a, b) => byString(a.id, b.id));
  const back = backEdges(ids, drawn);
  const oriented = drawn.map((edge) => ({ edge, reversed: back.has(edge), from: back.has(edge) ? edge.to : edge.from, to: back.has(edge) ? edge.from : edge.to }));
  const layer = longestPathLayers(ids, oriented.map((o) => [o.from, o.to]));

  const rankCount = ids.length === 0 ? 0 : 2 * Math.max(...layer.values()) + 1;
  const ranks: Vertex[][] = Array.from({ length: rankCount }, () => []);
  const vertex = (key: string, rank: number, width: number, height: number, kind: Vertex['kind']): Vertex => {
    const v: Vertex = { key, rank, width, height, kind, up: [], down: [], order: ranks[rank]!.length, y: 0 };
    ranks[rank]!.push(v);
    return v;
  };
  const link = (a: Vertex, b: Vertex): void => {
    a.down.push(b);
    b.up.push(a);
  };
  const nodeVertex = new Map<string, Vertex>();
  for (const node of sortedNodes) nodeVertex.set(node.id, vertex(node.id, 2 * layer.get(node.id)!, node.width, node.height, 'node'));
  const chains = oriented.map((o) => {
    const start = nodeVertex.get(o.from)!;
    const end = nodeVertex.get(o.to)!;
    const chain: Vertex[] = [];
    let previous = start;
    for (let rank = start.rank + 1; rank < end.rank; rank++) {
      const isLabel = rank === start.rank + 1;
      const v = isLabel ? vertex(o.edge.id, rank, o.edge.labelWidth, o.edge.labelHeight, 'label') : vertex(o.edge.id, rank, 0, 0, 'pass');
      link(previous, v);
      chain.push(v);
      previous = v;
    }
    link(previous, end);
    return { ...o, start, end, chain };
  });

  reduceCrossings(ranks);
  assignY(ranks, options);

  // Columns: each rank as wide as its widest box.
  const rankX: number[] = [];
  let x = options.margin;
  ranks.forEach((rank, r) => {
    const width = Math.max(0, ...rank.map((v) => v.width));
    if (r > 0) x += options.rankGap;
    rankX.push(x + width / 2);
    x += width;
  });
  const all = ranks.flat();
  const top = Math.min(...all.map((v) => v.y - v.height / 2));
  const bottom = Math.max(...all.map((v) => v.y + v.height / 2));
  const shift = all.length === 0 ? 0 : options.margin - top;
  const at = (v: Vertex, dx = 0): Point => ({ x: rankX[v.rank]! + dx, y: v.y + shift });

  const placedNodes = sortedNodes.map((node) => {
    const v = nodeVertex.get(node.id)!;
    const centre = at(v);
    return { ...node, x: centre.x, y: centre.y, layer: layer.get(node.id)! };
  });
  const placedEdges = chains.map(({ edge, reversed, start, end, chain }) => {
    const points: Point[] = [at(start, start.width / 2)];
    for (const v of chain) {
      if (v.kind === 'label') points.push(at(v, -v.width / 2), at(v, v.width / 2));
      else points.push(at(v));
    }
    points.push(at(end, -end.width / 2));
    // Layers differ by at least one, so every chain starts with its label.
    const label = at(chain[0]!);
    return { id: edge.id, from: edge.from, to: edge.to, points: reversed ? points.reverse() : points, label, reversed };
  });
  return {
    nodes: placedNodes,
    edges: placedEdges,
    width: x + options.margin,
    height: all.length === 0 ? 2 * options.margin : bottom - top + 2 * options.margin,
  };
}

/**
 * An SVG path through the points: straight across a label box (a horizontal pair) and a cubic curve
 * with horizontal tangents between ranks, so edges leave and enter nodes sideways. `trimEnd` stops
 * the path that far short of its last point, where an arrowhead drawn beyond the end puts its tip.
 */
export function edgePath(input: Point[], trimEnd = 0): string {
  if (input.length === 0) return '';
  const points = input.slice();
  if (trimEnd > 0 && points.length > 1) {
    const last = points.at(-1)!;
    points[points.length - 1] = { x: last.x - Math.sign(last.x - points.at(-2)!.x) * trimEnd, y: last.y };
  }
  const round = (n: number): string => String(Math.round(n * 10) / 10);
  let d = `M${round(points[0]!.x)},${round(points[0]!.y)}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i - 1]!;
    const q = points[i]!;
    if (p.y === q.y) d += ` L${round(q.x)},${round(q.y)}`;
    else {
      const mx = (p.x + q.x) / 2;
      d += ` C${round(mx)},${round(p.y)} ${round(mx)},${round(q.y)} ${round(q.x)},${round(q.y)}`;
    }
  }
  return d;
}
