/**
 * The time range every view filters by, as it lives in the URL: `range=15m|1h|6h|24h` (relative to
 * now, resolved when the view loads) or `range=custom&start=…&end=…` (ISO 8601). Pure.
 */

export const RANGE_PRESETS = { '15m': 15 * 60_000, '1h': 3_600_000, '6h': 6 * 3_600_000, '24h': 24 * 3_600_000 } as const;
export type RangePreset = keyof typeof RANGE_PRESETS;
export const DEFAULT_PRESET: RangePreset = '1h';

export type RangeChoice = { preset: RangePreset } | { preset: 'custom'; startMs: number; endMs: number };

const isPreset = (value: string | null): value is RangePreset => value !== null && Object.hasOwn(RANGE_PRESETS, value);

/** Reads the range from URL parameters; anything unreadable falls back to the last hour. */
export function parseRange(query: URLSearchParams): RangeChoice {
  const range = query.get('range');
  if (range === 'custom') {
    const startMs = Date.parse(query.get('start') ?? '');
    const endMs = Date.parse(query.get('end') ?? '');
    if (Number.isFinite(startMs) && Number.isFinite(endMs) && startMs < endMs) return { preset: 'custom', startMs, endMs };
  }
  return { preset: isPreset(range) ? range : DEFAULT_PRESET };
}

/** The URL parameters of a range (the default range writes nothing). */
export function rangeParams(choice: RangeChoice): { range?: string; start?: string; end?: string } {
  if (choice.preset === 'custom') return { range: 'custom', start: new Date(choice.startMs).toISOString(), end: new Date(choice.endMs).toISOString() };
  return choice.preset === DEFAULT_PRESET ? {} : { range: choice.preset };
}

/** Absolute bounds in milliseconds; relative presets end at `nowMs`. */
export function resolveRange(choice: RangeChoice, nowMs: number): { startMs: number; endMs: number } {
  if (choice.preset === 'custom') return { startMs: choice.startMs, endMs: choice.endMs };
  return { startMs: nowMs - RANGE_PRESETS[choice.preset], endMs: nowMs };
}

/** The `start` and `end` parameters of the query API (unix nanoseconds). */
export function apiRange(choice: RangeChoice, nowMs: number): { start: string; end: string } {
  const { startMs, endMs } = resolveRange(choice, nowMs);
  return { start: `${BigInt(Math.floor(startMs)) * 1_000_000n}`, end: `${BigInt(Math.ceil(endMs)) * 1_000_000n}` };
}

/** A step for series giving about `buckets` buckets over the range, rounded to a readable width. */
export function seriesStep(choice: RangeChoice, nowMs: number, buckets = 60): string {
  const { startMs, endMs } = resolveRange(choice, nowMs);
  const raw = (endMs - startMs) / buckets;
  const widths = [1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  const width = widths.find((w) => w >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
  return `${width}ms`;
}
