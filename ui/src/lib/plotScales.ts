/** Scales and tick marks of the hand-drawn scatter plot (duration over time). Pure. */
import { formatClock, formatDuration, zoneOffsetMinutes, type TimeZoneSetting } from './format.js';

export interface Tick {
  value: number;
  label: string;
}

/** Maps [d0, d1] linearly onto [r0, r1]; a zero-width domain maps to the middle. */
export function linearScale(d0: number, d1: number, r0: number, r1: number): (value: number) => number {
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (value) => r0 + ((value - d0) / (d1 - d0)) * (r1 - r0);
}

/** A 1, 2 or 5 × 10^k step giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0)) return 1;
  const raw = span / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** The duration axis from 0 to a round maximum at or above `maxNs`, with its ticks. */
export function durationAxis(maxNs: number, count = 5): { max: number; ticks: Tick[] } {
  const step = niceStep(maxNs > 0 ? maxNs : 1_000_000, count);
  const max = Math.max(step, Math.ceil(maxNs / step) * step);
  const ticks: Tick[] = [];
  // Rounded to the step's precision, so that 0.1 + 0.2 style sums never print as 300.0000001ns.
  for (let i = 0; i * step <= max * (1 + 1e-9); i++) ticks.push({ value: i * step, label: formatDuration(Math.round(i * step)) });
  return { max, ticks };
}

const TIME_STEPS_MS = [1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000];

/** Ticks at round wall-clock times of the zone (multiples of a readable step) inside [startMs, endMs], labelled "14:03" (or "14:03:05"). */
export function timeTicks(startMs: number, endMs: number, zone: TimeZoneSetting, count = 6): Tick[] {
  const raw = (endMs - startMs) / Math.max(1, count);
  const step = TIME_STEPS_MS.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
  // Rounded on the zone's clock, so that hour ticks fall on its hours (India's are half past UTC's).
  const offset = zoneOffsetMinutes(zone, startMs) * 60_000;
  const ticks: Tick[] = [];
  for (let t = Math.ceil((startMs + offset) / step) * step - offset; t <= endMs; t += step) ticks.push({ value: t, label: formatClock(t, zone, step < 60_000) });
  return ticks;
}

/** The time extent of the points, widened so that no point sits on the frame (and one point gets a minute). */
export function timeDomain(timesMs: number[]): [number, number] {
  if (timesMs.length === 0) {
    const now = Date.now();
    return [now - 3_600_000, now];
  }
  const min = Math.min(...timesMs);
  const max = Math.max(...timesMs);
  const pad = max === min ? 30_000 : (max - min) * 0.03;
  return [min - pad, max + pad];
}

export interface ScatterInput {
  traceId: string;
  timeMs: number;
  durationNs: number;
  spanCount: number;
  error: boolean;
}

export interface ScatterPoint extends ScatterInput {
  x: number;
  y: number;
  r: number;
}

export interface PlotBox {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

export interface ScatterLayout {
  points: ScatterPoint[];
  xTicks: Array<Tick & { x: number }>;
  yTicks: Array<Tick & { y: number }>;
}

/** Points and ticks in pixels; bigger traces get bigger dots (the log of the span count). */
export function scatterLayout(inputs: ScatterInput[], box: PlotBox, zone: TimeZoneSetting): ScatterLayout {
  const [t0, t1] = timeDomain(inputs.map((p) => p.timeMs));
  const yAxis = durationAxis(Math.max(0, ...inputs.map((p) => p.durationNs)));
  const x = linearScale(t0, t1, box.left, box.width - box.right);
  const y = linearScale(0, yAxis.max, box.height - box.bottom, box.top);
  return {
    points: inputs.map((p) => ({ ...p, x: x(p.timeMs), y: y(p.durationNs), r: Math.min(9, 3 + Math.log2(Math.max(1, p.spanCount))) })),
    xTicks: timeTicks(t0, t1, zone, Math.max(2, Math.floor((box.width - box.left - box.right) / 110))).map((tick) => ({ ...tick, x: x(tick.value) })),
    yTicks: yAxis.ticks.map((tick) => ({ ...tick, y: y(tick.value) })),
  };
}
