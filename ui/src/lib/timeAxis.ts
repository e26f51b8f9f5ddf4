/** Where things sit on a waterfall's time axis: tick marks, span bars and event marks, as fractions. Pure. */
import { formatDuration } from './format.js';

export interface Tick {
  /** Nanoseconds since the trace started. */
  offsetNs: number;
  /** 0 at the trace's start, 1 at its end. */
  fraction: number;
  label: string;
}

/** Round steps (1, 2, 2.5, 5 × 10^k ns) so that tick labels read as whole numbers. */
function niceStep(rough: number): number {
  const power = 10 ** Math.floor(Math.log10(rough));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= rough) return factor * power;
  return 10 * power;
}

/** At most `maxTicks` + 1 evenly spaced ticks from 0 to the trace's duration, at round offsets. */
export function timeTicks(durationNs: number, maxTicks = 5): Tick[] {
  if (!(durationNs > 0)) return [{ offsetNs: 0, fraction: 0, label: '0' }];
  const step = niceStep(durationNs / Math.max(1, maxTicks));
  const ticks: Tick[] = [];
  // Multiplied, not summed, so that float error never adds up into labels like 0.30000000000000004.
  for (let i = 0; i * step <= durationNs * (1 + 1e-9); i++) {
    const offset = i * step;
    ticks.push({ offsetNs: offset, fraction: offset / durationNs, label: offset === 0 ? '0' : formatDuration(offset) });
  }
  return ticks;
}

/** Nanoseconds between two unix-nanosecond decimal strings, exact (they exceed 2^53 as numbers). */
export function offsetNs(fromUnixNano: string, toUnixNano: string): number {
  return Number(BigInt(toUnixNano) - BigInt(fromUnixNano));
}

export interface Bar {
  left: number;
  width: number;
}

/** A span's bar as fractions of the trace; zero-length spans keep a sliver so they stay visible. */
export function barGeometry(startOffsetNs: number, durationNs: number, traceDurationNs: number, minWidth = 0.002): Bar {
  if (!(traceDurationNs > 0)) return { left: 0, width: 1 };
  const left = clamp(startOffsetNs / traceDurationNs);
  const width = Math.max(minWidth, clamp(durationNs / traceDurationNs));
  return { left: Math.min(left, 1 - minWidth), width: Math.min(width, 1 - Math.min(left, 1 - minWidth)) };
}

/** Each event's place within its span's bar: 0 at the span's start, 1 at its end (clipped). */
export function eventMarks(spanStartUnixNano: string, spanDurationNs: number, events: ReadonlyArray<{ timeUnixNano: string }>): number[] {
  return events.map((event) => (spanDurationNs > 0 ? clamp(offsetNs(spanStartUnixNano, event.timeUnixNano) / spanDurationNs) : 0));
}

function clamp(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0;
}

/** Where a bar's duration label fits: right of the bar, else left of it, else inside it. */
export function labelPlacement(bar: Bar): 'right' | 'left' | 'inside' {
  if (bar.left + bar.width <= 0.85) return 'right';
  if (bar.left >= 0.15) return 'left';
  return 'inside';
}
