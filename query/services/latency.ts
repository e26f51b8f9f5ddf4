/**
 * RED metrics and latency percentiles for a service (optionally one operation, span kind and
 * attribute filters), as one summary and as a series of `step`-wide buckets, and root-span latency
 * by the depth of the trace.
 *
 * Percentiles are exact and weighted by each span's sampling weight: the q-percentile is the smallest
 * duration d such that the spans with duration <= d carry at least q of the total weight (with every
 * weight 1, the nearest-rank percentile).
 */
import { STATUS_CODE_ERROR } from '../../core/model/span.js';
import type { QueryExecutor, QueryParams } from '../../core/storage/duckdb/queryExecutor.js';
import { filterSql, type AttributeFilter } from './attributeFilter.js';
import { TRACE_MARGIN_NS } from './search.js';
import type { TimeRange } from './queryParams.js';

export const DEFAULT_PERCENTILES = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
/** Relative slack so that q * total landing a hair above an exact rank (0.07 * 100) still picks that rank. */
const RANK_EPSILON = 1e-12;
/** The deepest call chain followed when grouping by depth; deeper (or looping) chains count as this deep. */
export const MAX_DEPTH = 256;

export interface LatencyQuery {
  range: TimeRange;
  service: string;
  operation?: string;
  /** OTLP span kind number. */
  kind?: number;
  attributes: AttributeFilter[];
  percentiles: number[];
  stepNs: bigint;
  /** Adds `byOperation` to the answer. */
  byOperation?: boolean;
}

export interface RedFigures {
  /** Weighted spans. */
  requests: number;
  /** Weighted spans per second over the window. */
  requestRate: number;
  /** Weighted error spans / weighted spans; null with no spans. */
  errorRate: number | null;
  /** Weighted error spans per second. */
  errorRatePerSecond: number;
  /** Percentile label ("p50", "p99.9") → duration in ns as a string; null with no spans. */
  percentiles: Record<string, string | null>;
  /** Spans actually stored (unweighted). */
  spans: number;
}

export interface LatencyResult {
  service: string;
  operation: string | null;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  stepNs: string;
  summary: RedFigures;
  series: Array<{ timeUnixNano: string } & RedFigures>;
  byDepth: Array<{ depth: number; traces: number; percentiles: Record<string, string | null> }>;
  /** The summary's figures per span name (operation), by name; only when asked for. */
  byOperation?: Array<{ operation: string } & RedFigures>;
}

export function percentileLabel(q: number): string {
  return `p${Number((q * 100).toPrecision(6))}`;
}

function whereSql(query: LatencyQuery, params: QueryParams, alias = 's'): string {
  const where = [`${alias}.service_name = $service`, `${alias}.start_time >= make_timestamp_ns($start::BIGINT)`, `${alias}.start_time < make_timestamp_ns($end::BIGINT)`];
  params.service = query.service;
  params.start = query.range.startNs;
  params.end = query.range.endNs;
  if (query.operation !== undefined) {
    where.push(`${alias}.name = $operation`);
    params.operation = query.operation;
  }
  if (query.kind !== undefined) {
    where.push(`${alias}.kind = $kind`);
    params.kind = query.kind;
  }
  query.attributes.forEach((filter, i) => {
    const f = filterSql(filter, alias, `a${i}`);
    where.push(f.sql);
    Object.assign(params, f.params);
  });
  return where.join(' AND ');
}

function percentileColumns(percentiles: number[]): string {
  return percentiles.map((q, i) => `min(d) FILTER (WHERE cum >= ${q} * total * (1 - ${RANK_EPSILON})) AS q${i}`).join(', ');
}

export function latencySql(query: LatencyQuery): { summary: string; series: string; byDepth: string; byOperation: string; params: QueryParams } {
  const params: QueryParams = { step: query.stepNs, margin: TRACE_MARGIN_NS };
  const where = whereSql(query, params);
  const matching = `SELECT epoch_ns(s.start_time) AS start_ns, s.name AS op, s.duration_ns AS d, s.sample_weight AS w, s.status_code = ${STATUS_CODE_ERROR} AS err FROM spans s WHERE ${where}`;
  const summary = `
WITH m AS (${matching}),
c AS (SELECT d, w, err, sum(w) OVER (ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum, sum(w) OVER () AS total FROM m)
SELECT count(*) AS n, coalesce(sum(w), 0) AS weight, coalesce(sum(w) FILTER (WHERE err), 0) AS error_weight, ${percentileColumns(query.percentiles)} FROM c`;
  const series = `
WITH m AS (SELECT *, $start::BIGINT + (start_ns - $start::BIGINT) // $step::BIGINT * $step::BIGINT AS bucket FROM (${matching})),
c AS (SELECT bucket, d, w, err,
  sum(w) OVER (PARTITION BY bucket ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
  sum(w) OVER (PARTITION BY bucket) AS total FROM m)
SELECT bucket, count(*) AS n, sum(w) AS weight, coalesce(sum(w) FILTER (WHERE err), 0) AS error_weight, ${percentileColumns(query.percentiles)}
FROM c GROUP BY bucket ORDER BY bucket`;
  const byOperation = `
WITH c AS (SELECT op, d, w, err,
  sum(w) OVER (PARTITION BY op ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
  sum(w) OVER (PARTITION BY op) AS total FROM (${matching}))
SELECT op, count(*) AS n, sum(w) AS weight, coalesce(sum(w) FILTER (WHERE err), 0) AS error_weight, ${percentileColumns(query.percentiles)}
FROM c GROUP BY op ORDER BY op`;
  // Depth: follow parent links down from each root span of the service, inside a margin around the range.
  // The chain joins on 64-bit hashes of the trace id and of (trace id, span id), two fixed-width keys
  // instead of two strings; a wrong link would need both to collide at once.
  const byDepth = `
WITH RECURSIVE roots AS (
  SELECT s.trace_id, s.span_id, s.duration_ns AS d, s.sample_weight AS w FROM spans s WHERE ${where} AND s.parent_span_id = ''
),
nearby AS MATERIALIZED (
  SELECT hash(s.trace_id) AS t, hash(s.trace_id, s.span_id) AS node, hash(s.trace_id, s.parent_span_id) AS parent FROM spans s SEMI JOIN roots r ON s.trace_id = r.trace_id
  WHERE s.start_time >= make_timestamp_ns(($start - $margin)::BIGINT) AND s.start_time <= make_timestamp_ns(($end + $margin)::BIGINT)
),
chain(t, node, depth) AS (
  SELECT hash(trace_id), hash(trace_id, span_id), 1 FROM roots
  UNION
  SELECT n.t, n.node, chain.depth + 1 FROM nearby n JOIN chain ON n.t = chain.t AND n.parent = chain.node
  WHERE chain.depth < ${MAX_DEPTH}
),
depths AS (SELECT t, max(depth) AS depth FROM chain GROUP BY t),
m AS (SELECT depths.depth, roots.d, roots.w FROM roots JOIN depths ON depths.t = hash(roots.trace_id)),
c AS (SELECT depth, d, w,
  sum(w) OVER (PARTITION BY depth ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
  sum(w) OVER (PARTITION BY depth) AS total FROM m)
SELECT depth, count(*) AS n, ${percentileColumns(query.percentiles)} FROM c GROUP BY depth ORDER BY depth`;
  return { summary, series, byDepth, byOperation, params };
}

export async function latency(executor: QueryExecutor, query: LatencyQuery): Promise<LatencyResult> {
  const { summary, series, byDepth, byOperation, params } = latencySql(query);
  const seconds = Number(query.range.endNs - query.range.startNs) / 1e9;
  const stepSeconds = Number(query.stepNs) / 1e9;
  const [summaryRows, seriesRows, depthRows, operationRows] = await Promise.all([
    executor.all(summary, params),
    executor.all(series, params),
    executor.all(byDepth, params),
    query.byOperation ? executor.all(byOperation, params) : Promise.resolve(null),
  ]);
  const percentiles = (row: Record<string, unknown>): Record<string, string | null> =>
    Object.fromEntries(query.percentiles.map((q, i) => [percentileLabel(q), row[`q${i}`] === null ? null : String(row[`q${i}`])]));
  const figures = (row: Record<string, unknown>, windowSeconds: number): RedFigures => {
    const weight = Number(row.weight);
    const errors = Number(row.error_weight);
    return {
      requests: weight,
      requestRate: weight / windowSeconds,
      errorRate: weight > 0 ? errors / weight : null,
      errorRatePerSecond: errors / windowSeconds,
      percentiles: percentiles(row),
      spans: Number(row.n),
    };
  };
  return {
    service: query.service,
    operation: query.operation ?? null,
    startTimeUnixNano: query.range.startNs.toString(),
    endTimeUnixNano: query.range.endNs.toString(),
    stepNs: query.stepNs.toString(),
    summary: figures(summaryRows[0]!, seconds),
    series: seriesRows.map((row) => ({ timeUnixNano: String(row.bucket), ...figures(row, stepSeconds) })),
    byDepth: depthRows.map((row) => ({ depth: Number(row.depth), traces: Number(row.n), percentiles: percentiles(row) })),
    ...(operationRows && { byOperation: operationRows.map((row) => ({ operation: String(row.op), ...figures(row, seconds) })) }),
  };
}
