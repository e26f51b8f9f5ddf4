/** Where a span's stretches on the critical path sit on the waterfall's time axis. Pure. */
import { offsetNs } from './timeAxis.js';

export interface Segment {
  /** 0 at the trace's start, 1 at its end. */
  left: number;
  width: number;
}

/** Each stretch as fractions of the trace; a stretch too short to see keeps a sliver of `minWidth`. */
export function segmentGeometry(
  traceStartUnixNano: string,
  traceDurationNs: number,
  segments: ReadonlyArray<{ startTimeUnixNano: string; endTimeUnixNano: string }>,
  minWidth = 0.002,
): Segment[] {
  if (!(traceDurationNs > 0)) return segments.length > 0 ? [{ left: 0, width: 1 }] : [];
  return segments.map((segment) => {
    const left = Math.min(1, Math.max(0, offsetNs(traceStartUnixNano, segment.startTimeUnixNano) / traceDurationNs));
    const width = Math.max(minWidth, offsetNs(segment.startTimeUnixNano, segment.endTimeUnixNano) / traceDurationNs);
    return { left: Math.min(left, 1 - minWidth), width: Math.min(width, 1 - Math.min(left, 1 - minWidth)) };
  });
}
