/**
 * The critical path: the parts of spans that the trace's end-to-end latency actually waited on.
 * Walking back from the end of a span, the latest-finishing child that ends before the cursor was
 * being waited on; time not covered by such a child is the span's own. Pure, and iterative so that
 * a very deep trace cannot overflow the stack.
 */

export interface Interval {
  start: bigint;
  end: bigint;
}

/** Nanoseconds of each span on the critical path under `top` (0 for spans off it). */
export function criticalPath(spans: readonly Interval[], children: readonly (readonly number[])[], top: number): bigint[] {
  const onPath = spans.map(() => 0n);
  // Each frame walks one span's children latest-ending first, moving `cursor` back in time.
  interface Frame {
    span: number;
    kids: number[];
    next: number;
    cursor: bigint;
    /** Time before this belongs to the parent's wait, not to this span: a child cannot start before its parent on the path. */
    floor: bigint;
  }
  const open = (span: number, limit: bigint, floor: bigint): Frame => ({
    span,
    floor: spans[span]!.start > floor ? spans[span]!.start : floor,
    kids: [...children[span]!].sort((a, b) => (spans[b]!.end > spans[a]!.end ? 1 : spans[b]!.end < spans[a]!.end ? -1 : 0)),
    next: 0,
    cursor: spans[span]!.end < limit ? spans[span]!.end : limit,
  });
  const stack: Frame[] = [open(top, spans[top]!.end, spans[top]!.start)];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const start = frame.floor;
    let descended = false;
    while (frame.next < frame.kids.length && frame.cursor > start) {
      const kid = frame.kids[frame.next++]!;
      const kidSpan = spans[kid]!;
      if (kidSpan.start >= frame.cursor || kidSpan.end <= start) continue;
      const kidEnd = kidSpan.end < frame.cursor ? kidSpan.end : frame.cursor;
      onPath[frame.span]! += frame.cursor - kidEnd;
      frame.cursor = kidSpan.start > start ? kidSpan.start : start;
      stack.push(open(kid, kidEnd, start));
      descended = true;
      break;
    }
    if (descended) continue;
    if (frame.cursor > start) onPath[frame.span]! += frame.cursor - start;
    stack.pop();
  }
  return onPath;
}

/** A span's duration less the time covered by its children (clipped to the span). */
export function selfTime(span: Interval, kids: readonly Interval[]): bigint {
  const clipped = kids
    .map((k) => ({ start: k.start > span.start ? k.start : span.start, end: k.end < span.end ? k.end : span.end }))
    .filter((k) => k.end > k.start)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let covered = 0n;
  let runStart = -1n;
  let runEnd = -1n;
  for (const k of clipped) {
    if (runEnd < 0n || k.start > runEnd) {
      if (runEnd >= 0n) covered += runEnd - runStart;
      runStart = k.start;
      runEnd = k.end;
    } else if (k.end > runEnd) runEnd = k.end;
  }
  if (runEnd >= 0n) covered += runEnd - runStart;
  const duration = span.end - span.start;
  return duration > covered ? duration - covered : 0n;
}
