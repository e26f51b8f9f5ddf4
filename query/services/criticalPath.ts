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

export interface CriticalPath {
  /** Nanoseconds of each span on the path (0 for spans off it). */
  ns: bigint[];
  /** The stretches of each span that are on the path, in time order, adjacent ones merged; empty off it. */
  segments: ReadonlyArray<readonly Interval[]>;
}

const OFF_PATH: Interval[] = [];

/** The critical path under `top`: how long each span is on it, and when. */
export function criticalPath(spans: readonly Interval[], children: readonly (readonly number[])[], top: number): CriticalPath {
  const ns = spans.map(() => 0n);
  const segments: Interval[][] = spans.map(() => OFF_PATH);
  // The walk goes back in time, so each span's stretches arrive latest first.
  const take = (span: number, start: bigint, end: bigint): void => {
    if (end <= start) return;
    ns[span]! += end - start;
    if (segments[span] === OFF_PATH) segments[span] = [];
    const list = segments[span]!;
    const earliest = list[list.length - 1];
    if (earliest !== undefined && earliest.start === end) earliest.start = start;
    else list.push({ start, end });
  };
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
      take(frame.span, kidEnd, frame.cursor);
      frame.cursor = kidSpan.start > start ? kidSpan.start : start;
      stack.push(open(kid, kidEnd, start));
      descended = true;
      break;
    }
    if (descended) continue;
    take(frame.span, start, frame.cursor);
    stack.pop();
  }
  for (const list of segments) if (list !== OFF_PATH) list.reverse();
  return { ns, segments };
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
