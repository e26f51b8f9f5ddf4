/**
 * Jaeger's metrics API (what Jaeger UI's Monitor tab reads): its parameters, the grid of points, and
 * latency()'s weighted figures written as Jaeger's MetricFamily JSON. Pure.
 *
 * A point at time t covers the spans that started before t: latencies the last `step` before it (as
 * Jaeger's span-based Elasticsearch store does), calls and errors the last ratePer rounded up to whole
 * steps (as Prometheus' rate() over [ratePer] does). Calls are weighted spans per second, errors the
 * weighted fraction of them with status ERROR, latencies milliseconds.
 */
import type { LatencyResult } from '../services/latency.js';
import { percentileLabel } from '../services/latency.js';
import { invalid, list, type TimeRange } from '../services/queryParams.js';
import { optional, parseGoBool, parseMillis, type QueryValue } from './params.js';

export const METRIC_KINDS = ['latencies', 'calls', 'errors'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

const NS_PER_MS = 1_000_000n;
const HOUR_NS = 3_600_000_000_000n;
/** Jaeger's defaults, in milliseconds. */
const DEFAULT_LOOKBACK_MS = 3_600_000n;
const DEFAULT_STEP_MS = 5_000n;
const DEFAULT_RATE_PER_MS = 600_000n;
/** Prometheus' bound on the points of a series, which Jaeger with Prometheus answers with an error past. */
export const MAX_POINTS = 11_000;
export const MAX_SERVICES = 20;
/** The finest step: the API's times are milliseconds. */
export const MIN_STEP_MS = 1;

/** Jaeger's span kind names (case-insensitive) to OTLP kind numbers. */
const SPAN_KINDS: Record<string, number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };
const SERVER = 2;

export interface MetricsQuery {
  services: string[];
  groupByOperation: boolean;
  /** OTLP kind numbers. */
  spanKinds: number[];
  endNs: bigint;
  lookbackNs: bigint;
  stepNs: bigint;
  ratePerNs: bigint;
  /** Latencies only. */
  quantile?: number;
}

/** `service` (repeated, required), `groupByOperation`, `spanKind` (repeated; default server), `endTs`, `lookback`, `step`, `ratePer` (ms), `quantile`. */
export function parseMetricsQuery(kind: MetricKind, q: Record<string, QueryValue>, options: { nowNs: bigint }): MetricsQuery {
  const services = [...new Set(list(q.service).filter((s) => s !== ''))];
  if (services.length === 0) throw invalid('service', 'please provide at least one service name');
  if (services.length > MAX_SERVICES) throw invalid('service', `at most ${MAX_SERVICES} services`);
  const kinds = list(q.spanKind).filter((k) => k !== '');
  const spanKinds = kinds.length === 0 ? [SERVER] : [...new Set(kinds.map(parseJaegerSpanKind))];
  const millis = (name: string, defaultMs: bigint): bigint => {
    const value = optional(q[name], name);
    return value === undefined ? defaultMs * NS_PER_MS : parseMillis(value, name);
  };
  const endText = optional(q.endTs, 'endTs');
  const query: MetricsQuery = {
    services,
    groupByOperation: parseGoBool(optional(q.groupByOperation, 'groupByOperation'), 'groupByOperation'),
    spanKinds,
    endNs: endText === undefined ? options.nowNs : parseMillis(endText, 'endTs'),
    lookbackNs: millis('lookback', DEFAULT_LOOKBACK_MS),
    stepNs: millis('step', DEFAULT_STEP_MS),
    ratePerNs: millis('ratePer', DEFAULT_RATE_PER_MS),
  };
  if (query.stepNs <= 0n) throw invalid('step', 'must be at least 1 (milliseconds)');
  if (query.ratePerNs <= 0n) throw invalid('ratePer', 'must be at least 1 (milliseconds)');
  if (kind === 'latencies') query.quantile = parseQuantile(optional(q.quantile, 'quantile'));
  return query;
}

function parseJaegerSpanKind(text: string): number {
  const kind = SPAN_KINDS[text.toLowerCase()];
  if (kind === undefined) throw invalid('spanKind', `"${text.slice(0, 64)}" is not one of unspecified, internal, server, client, producer, consumer`);
  return kind;
}

function parseQuantile(text: string | undefined): number {
  if (text === undefined) throw invalid('quantile', 'is required: the latency quantile, above 0 and at most 1, such as 0.95');
  const q = /^\d*\.?\d+(e-?\d+)?$/i.test(text) ? Number(text) : NaN;
  if (!(q > 0 && q <= 1)) throw invalid('quantile', `"${text.slice(0, 64)}" is not a quantile above 0 and at most 1, such as 0.95`);
  return q;
}

/**
 * Where the points fall: every `step` back from endTs over the lookback (the last at endTs), each over
 * the `windowSteps` steps before it; latency() is asked for `range` in buckets of `stepNs`, which
 * start at range.startNs.
 */
export interface MetricsGrid {
  range: TimeRange;
  stepNs: bigint;
  windowSteps: number;
  /** Point times, oldest first. */
  points: bigint[];
}

export function metricsGrid(kind: MetricKind, query: MetricsQuery, options: { maxHours: number }): MetricsGrid {
  const { stepNs } = query;
  const windowSteps = kind === 'latencies' ? 1 : Number((query.ratePerNs + stepNs - 1n) / stepNs);
  const lastIndex = query.lookbackNs / stepNs;
  const buckets = lastIndex + BigInt(windowSteps);
  if (buckets > BigInt(MAX_POINTS)) throw invalid('step', `gives more than ${MAX_POINTS} points over lookback${kind === 'latencies' ? '' : ' and ratePer'}; use a longer step`);
  const startNs = query.endNs - buckets * stepNs;
  if (startNs < 0n) throw invalid('lookback', 'reaches back before 1970');
  if (buckets * stepNs > BigInt(options.maxHours) * HOUR_NS) {
    throw invalid('lookback', `${kind === 'latencies' ? '' : 'with the ratePer window before it, '}the time range is wider than the limit of ${options.maxHours} hours (maxQueryRangeHours)`);
  }
  const points: bigint[] = [];
  for (let i = 0n; i <= lastIndex; i++) points.push(query.endNs - (lastIndex - i) * stepNs);
  return { range: { startNs, endNs: query.endNs }, stepNs, windowSteps, points };
}

/** The operations to draw, from latency()'s byOperation: the `max` with the most weighted calls, by name. */
export function chartedOperations(byOperation: NonNullable<LatencyResult['byOperation']>, max: number): string[] {
  return [...byOperation]
    .sort((a, b) => b.requests - a.requests || (a.operation < b.operation ? -1 : 1))
    .slice(0, max)
    .map((o) => o.operation)
    .sort();
}

/** One series' figures, as latency() gave them for the grid's range and step. */
export interface SeriesFigures {
  service: string;
  /** With groupByOperation. */
  operation?: string;
  series: LatencyResult['series'];
}

export interface JaegerMetricPoint {
  /** protobuf JSON writes a NaN double as "NaN": no spans to take the figure from. */
  gaugeValue: { doubleValue: number | 'NaN' };
  timestamp: string;
}

/** Jaeger's MetricFamily (jaeger.api_v2.metrics) as its HTTP API writes it. */
export interface JaegerMetricFamily {
  name: string;
  type: 'GAUGE';
  help: string;
  metrics: Array<{ labels: Array<{ name: string; value: string }>; metricPoints: JaegerMetricPoint[] }>;
}

export function toMetricFamily(
  kind: MetricKind,
  query: MetricsQuery,
  grid: MetricsGrid,
  figures: SeriesFigures[],
  /** Operations left out by chartedOperations, said in `help`. */
  omittedOperations = 0,
): JaegerMetricFamily {
  const base = { latencies: 'service_latencies', calls: 'service_call_rate', errors: 'service_error_rate' }[kind];
  const help = {
    latencies: `${(query.quantile ?? 0).toFixed(2)}th quantile latency, grouped by service`,
    calls: 'calls/sec, grouped by service',
    errors: 'error rate, computed as a fraction of errors/sec over calls/sec, grouped by service',
  }[kind];
  const omitted = omittedOperations > 0 ? ` (${omittedOperations} operations with fewer calls left out)` : '';
  return {
    name: query.groupByOperation ? base.replace('service', 'service_operation') : base,
    type: 'GAUGE',
    help: query.groupByOperation ? `${help} & operation${omitted}` : help,
    metrics: figures.map((f) => ({
      labels: [{ name: 'service_name', value: f.service }, ...(f.operation === undefined ? [] : [{ name: 'operation', value: f.operation }])],
      metricPoints: points(kind, query, grid, f.series),
    })),
  };
}

function points(kind: MetricKind, query: MetricsQuery, grid: MetricsGrid, series: LatencyResult['series']): JaegerMetricPoint[] {
  const byStart = new Map(series.map((b) => [BigInt(b.timeUnixNano), b]));
  const windowSeconds = (grid.windowSteps * Number(grid.stepNs)) / 1e9;
  return grid.points.map((t) => {
    let value = NaN;
    if (kind === 'latencies') {
      const ns = byStart.get(t - grid.stepNs)?.percentiles[percentileLabel(query.quantile!)];
      if (ns !== undefined && ns !== null) value = Number(ns) / 1e6;
    } else {
      let weight = 0;
      let errorWeight = 0;
      for (let i = 1; i <= grid.windowSteps; i++) {
        const bucket = byStart.get(t - BigInt(i) * grid.stepNs);
        if (bucket === undefined) continue;
        weight += bucket.requests;
        errorWeight += (bucket.errorRate ?? 0) * bucket.requests;
      }
      if (kind === 'calls') value = weight / windowSeconds;
      else if (weight > 0) value = errorWeight / weight;
    }
    return { gaugeValue: { doubleValue: Number.isNaN(value) ? 'NaN' : value }, timestamp: timestampJson(t) };
  });
}

/** A google.protobuf.Timestamp as protobuf JSON writes it: UTC, with 0, 3, 6 or 9 fraction digits. */
export function timestampJson(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/(000)+$/, '');
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}${fraction === '' ? '' : `.${fraction}`}Z`;
}
