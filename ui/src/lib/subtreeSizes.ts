/** How many spans lie below each span, from a flat depth-first call tree. Pure. */

/**
 * Descendants of each span (children, their children, …). In depth-first order a subtree is the run of
 * following spans deeper than its top, so a span's count is known when the first span not deeper than
 * it arrives: one pass, however deep the tree.
 */
export function descendantCounts(spans: ReadonlyArray<{ depth: number }>): Int32Array {
  const counts = new Int32Array(spans.length);
  const open: number[] = [];
  const close = (end: number, depth: number): void => {
    while (open.length > 0 && spans[open[open.length - 1]!]!.depth >= depth) {
      const top = open.pop()!;
      counts[top] = end - top - 1;
    }
  };
  for (let i = 0; i < spans.length; i++) {
    close(i, spans[i]!.depth);
    open.push(i);
  }
  close(spans.length, -1);
  return counts;
}
