/**
 * What the services view draws and tabulates from `GET /api/v1/latency` answers: aligned series for
 * the charts (every bucket of the range, the empty ones too), the operations table's rows, which
 * span kinds the figures count, and the parameters of the calls. Pure.
 */
import type { LatencyResult, Params, RedFigures } from '../api.js';
import { apiRange, seriesStep, type RangeChoice } from './timeRange.js';

/** The percentiles every services view shows. */
export const SHOWN_PERCENTILES = ['p50', 'p90', 'p99'] as const;

export interface RedSeries {
  /** Bucket starts in unix seconds, uPlot's x values. */
  times: number[];
  /** Weighted requests per second; an empty bucket had none. */
  requestRate: number[];
  /** Error fraction; null where there were no requests (no rate to speak of). */
  errorRate: Array<number | null>;
  /** Percentile label → milliseconds per bucket; null where there were no requests. */
  latencyMs: Record<string, Array<number | null>>;
}

/** Series over every bucket from the answer's start to its end (the API leaves empty buckets out). */
export function redSeries(result: LatencyResult, labels: readonly string[] = SHOWN_PERCENTILES): RedSeries {
  const start = BigInt(result.startTimeUnixNano);
  const end = BigInt(result.endTimeUnixNano);
  const step = BigInt(result.stepNs);
  const count = Number((end - start + step - 1n) / step);
  const byBucket = new Map(result.series.map((bucket) => [Number((BigInt(bucket.timeUnixNano) - start) / step), bucket]));
  const series: RedSeries = { times: [], requestRate: [], errorRate: [], latencyMs: Object.fromEntries(labels.map((label) => [label, []])) };
  for (let i = 0; i < count; i++) {
    const bucket = byBucket.get(i);
    series.times.push(Number((start + BigInt(i) * step) / 1_000_000n) / 1000);
    series.requestRate.push(bucket?.requestRate ?? 0);
    series.errorRate.push(bucket?.errorRate ?? null);
    for (const label of labels) {
      const ns = bucket?.percentiles[label];
      series.latencyMs[label]!.push(ns === undefined || ns === null ? null : Number(ns) / 1e6);
    }
  }
  return series;
}

export type OperationFigures = { operation: string } & RedFigures;

/** The busiest operations first; equal ones by name. */
export function sortOperations(operations: OperationFigures[]): OperationFigures[] {
  return [...operations].sort((a, b) => b.requests - a.requests || (a.operation < b.operation ? -1 : a.operation > b.operation ? 1 : 0));
}

/** The absolute bounds and step a view asks for, fixed once per load so that every call agrees. */
export interface ResolvedRange {
  start: string;
  end: string;
  step: string;
}

export function resolveViewRange(choice: RangeChoice, nowMs: number): ResolvedRange {
  return { ...apiRange(choice, nowMs), step: seriesStep(choice, nowMs) };
}

/** A service's (or one operation's) latency call with its series and operations table. */
export function overviewParams(service: string, operation: string | null, range: ResolvedRange, kind: string = ENTRY_KIND): Params {
  return { service, operation: operation ?? undefined, kind: kindParam(kind), ...range, percentiles: SHOWN_PERCENTILES.join(','), byOperation: 'true' };
}

/** A service's figures over the whole range: one bucket is enough, the summary is what counts. */
export function summaryParams(service: string, range: ResolvedRange, kind: string = ENTRY_KIND): Params {
  const widthNs = BigInt(range.end) - BigInt(range.start);
  return { service, kind: kindParam(kind), start: range.start, end: range.end, step: `${widthNs}`, percentiles: SHOWN_PERCENTILES.join(',') };
}

/**
 * Which spans the figures count, as the URL's and the API's `kind` says it: `entry` (a service's
 * SERVER and CONSUMER spans and its root spans, the API's default), `all`, or span kind names.
 */
export const ENTRY_KIND = 'entry';

export const KIND_CHOICES: ReadonlyArray<{ value: string; label: string }> = [
  { value: ENTRY_KIND, label: 'Entry spans' },
  { value: 'all', label: 'All spans' },
  { value: 'server', label: 'Server spans' },
  { value: 'consumer', label: 'Consumer spans' },
  { value: 'client', label: 'Client spans' },
  { value: 'producer', label: 'Producer spans' },
  { value: 'internal', label: 'Internal spans' },
];

/** The `kind` of a URL, lowercased, its list without repeats; the default when absent or empty. */
export function parseKindChoice(text: string | null): string {
  const names = [...new Set((text ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== ''))];
  return names.length === 0 ? ENTRY_KIND : names.join(',');
}

/** The `kind` parameter of a choice: left out for the default, so that links stay short. */
export function kindParam(kind: string): string | undefined {
  return kind === ENTRY_KIND ? undefined : kind;
}

/** A choice that is not one of KIND_CHOICES (a list from a shared link) as a label. */
export function kindLabel(kind: string): string {
  return KIND_CHOICES.find((choice) => choice.value === kind)?.label ?? `${joinAnd(kind.split(','))} spans`;
}

const EVERY_KIND = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** What an answer's figures count, in words: "Counting server and consumer spans, and root spans of any kind". */
export function countedCaption(result: Pick<LatencyResult, 'spanKinds' | 'rootSpans'>): string {
  if (EVERY_KIND.every((kind) => result.spanKinds.includes(kind))) return 'Counting spans of every kind';
  const kinds = result.spanKinds.map((kind) => (kind === 'unspecified' ? 'unspecified-kind' : kind));
  if (kinds.length === 0) return result.rootSpans ? 'Counting root spans' : 'Counting no spans';
  return `Counting ${joinAnd(kinds)} spans${result.rootSpans ? ', and root spans of any kind' : ''}`;
}

function joinAnd(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}
