/**
 * Which rows of a flat, depth-first call tree a waterfall shows, and which of them are on screen.
 * Pure: the view keeps only span indices, so a 100,000-span trace costs one pass per change.
 */

/** What the row logic needs of a span: the server's depth-first order carries the tree in `depth`. */
export interface TreeSpan {
  spanId: string;
  depth: number;
  childSpanIds: readonly string[];
}

/**
 * Indices of the spans left visible when the spans in `collapsed` hide their subtrees. In depth-first
 * order a subtree is the run of following spans deeper than its top, so one forward pass suffices.
 */
export function visibleRows(spans: readonly TreeSpan[], collapsed: ReadonlySet<string>): number[] {
  const rows: number[] = [];
  let hideDeeperThan = Infinity;
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    if (span.depth > hideDeeperThan) continue;
    hideDeeperThan = Infinity;
    rows.push(i);
    if (span.childSpanIds.length > 0 && collapsed.has(span.spanId)) hideDeeperThan = span.depth;
  }
  return rows;
}

/** Each span's parent index in the flat list (-1 for roots and orphans), from the depth sequence. */
export function parentIndices(spans: readonly TreeSpan[]): Int32Array {
  const parents = new Int32Array(spans.length);
  const stack: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const depth = spans[i]!.depth;
    stack.length = Math.min(stack.length, depth);
    parents[i] = depth > 0 && stack.length === depth ? stack[depth - 1]! : -1;
    stack.push(i);
  }
  return parents;
}

/** `collapsed` without the ancestors of span `index`, so that the span becomes visible. */
export function expandTo(index: number, parents: Int32Array, spans: readonly TreeSpan[], collapsed: ReadonlySet<string>): Set<string> {
  const next = new Set(collapsed);
  for (let p = parents[index] ?? -1; p >= 0; p = parents[p]!) next.delete(spans[p]!.spanId);
  return next;
}

/** The collapsed set as the URL keeps it: span ids joined by commas, in a stable order. */
export function serializeCollapsed(collapsed: ReadonlySet<string>): string {
  return [...collapsed].sort().join(',');
}

export function parseCollapsed(text: string | null): Set<string> {
  return new Set((text ?? '').split(',').filter((id) => id !== ''));
}

export interface RowWindow {
  /** First row to render. */
  start: number;
  /** One past the last row to render. */
  end: number;
}

/** The rows a viewport of `viewportHeight` px scrolled to `scrollTop` shows, plus `overscan` rows each side. */
export function virtualWindow(scrollTop: number, viewportHeight: number, rowHeight: number, rowCount: number, overscan = 8): RowWindow {
  const first = Math.floor(Math.max(0, scrollTop) / rowHeight);
  const last = Math.ceil((Math.max(0, scrollTop) + Math.max(0, viewportHeight)) / rowHeight);
  return { start: Math.max(0, Math.min(rowCount, first - overscan)), end: Math.max(0, Math.min(rowCount, last + overscan)) };
}

/** The scrollTop that brings row `row` into a viewport, or null when it is already fully shown. */
export function scrollToRow(row: number, scrollTop: number, viewportHeight: number, rowHeight: number): number | null {
  const top = row * rowHeight;
  if (top < scrollTop) return top;
  if (top + rowHeight > scrollTop + viewportHeight) return Math.max(0, top + rowHeight - viewportHeight);
  return null;
}
