/**
 * What the services view draws and tabulates from `GET /api/v1/latency` answers: aligned series for
 * the charts (every bucket of the range, the empty ones too), the operations table's rows, and the
 * parameters of the calls. Pure.
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
export function overviewParams(service: string, operation: string | null, range: ResolvedRange): Params {
  return { service, operation: operation ?? undefined, ...range, percentiles: SHOWN_PERCENTILES.join(','), byOperation: 'true' };
}

/** A service's figures over the whole range: one bucket is enough, the summary is what counts. */
export function summaryParams(service: string, range: ResolvedRange): Params {
  const widthNs = BigInt(range.end) - BigInt(range.start);
  return { service, start: range.start, end: range.end, step: `${widthNs}`, percentiles: SHOWN_PERCENTILES.join(',') };
}
