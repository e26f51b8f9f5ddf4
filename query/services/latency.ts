/**
 * RED metrics and latency percentiles for a service (optionally one operation, span kinds and
 * attribute filters), as one summary and as a series of `step`-wide buckets, and root-span latency
 * by the depth of the trace.
 *
 * A service's requests are its entry spans by default: SERVER and CONSUMER spans, and root spans of any
 * kind. Counting every span would count a request once more for each client or internal span it makes.
 *
 * Percentiles are exact and weighted by each span's sampling weight: the q-percentile is the smallest
 * duration d such that the spans with duration <= d carry at least q of the total weight (with every
 * weight 1, the nearest-rank percentile).
 */
import { SPAN_KIND_NAMES, STATUS_CODE_ERROR } from '../../core/model/span.js';
import type { QueryExecutor, QueryParams } from '../../core/storage/duckdb/queryExecutor.js';
import { filterSql, type AttributeFilter } from './attributeFilter.js';
import { TRACE_MARGIN_NS } from './search.js';
import type { TimeRange } from './queryParams.js';

export const DEFAULT_PERCENTILES = [0.5, 0.75, 0.9, 0.95, 0.99, 0.999];
/** Relative slack so that q * total landing a hair above an exact rank (0.07 * 100) still picks that rank. */
export const RANK_EPSILON = 1e-12;
/** The deepest call chain followed when grouping by depth; deeper (or looping) chains count as this deep. */
export const MAX_DEPTH = 256;

/** Which spans count: those of the OTLP kind numbers in `kinds`, and with `roots`, every root span too. */
export interface SpanKindSelection {
  kinds: number[];
  roots: boolean;
}

/** SERVER and CONSUMER spans, and root spans of any kind: the spans that start a request to a service. */
export const ENTRY_SPANS: SpanKindSelection = { kinds: [2, 5], roots: true };
export const ALL_SPANS: SpanKindSelection = { kinds: [0, 1, 2, 3, 4, 5], roots: false };

export interface LatencyQuery {
  range: TimeRange;
  service: string;
  operation?: string;
  /** Default: ENTRY_SPANS. */
  kinds?: SpanKindSelection;
  attributes: AttributeFilter[];
  percentiles: number[];
  stepNs: bigint;
  /** Adds `byOperation` to the answer. */
  byOperation?: boolean;
  /** Adds `byDepth` to the answer: it follows every root's call chain, so it costs more than the rest. */
  byDepth?: boolean;
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
  /** Lowercase names of the span kinds counted. */
  spanKinds: string[];
  /** Root spans of any kind are counted too. */
  rootSpans: boolean;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  stepNs: string;
  summary: RedFigures;
  series: Array<{ timeUnixNano: string } & RedFigures>;
  /** Root-span latency by the depth of the trace, with the traces' weighted count; only when asked for. */
  byDepth?: Array<{ depth: number; traces: number; percentiles: Record<string, string | null> }>;
  /** The summary's figures per span name (operation), by name; only when asked for. */
  byOperation?: Array<{ operation: string } & RedFigures>;
}

function sameKinds(a: SpanKindSelection, b: SpanKindSelection): boolean {
  return a.roots === b.roots && a.kinds.length === b.kinds.length && a.kinds.every((k) => b.kinds.includes(k));
}

/** `entry` (the default), `all`, or a comma-separated list of kind names or numbers; undefined if not one. */
export function parseSpanKindSelection(text: string | undefined, parseKind: (name: string) => number | undefined): SpanKindSelection | undefined {
  if (text === undefined || text.trim().toLowerCase() === 'entry') return ENTRY_SPANS;
  if (text.trim().toLowerCase() === 'all') return ALL_SPANS;
  const kinds: number[] = [];
  for (const name of text.split(',')) {
    const kind = parseKind(name);
    if (kind === undefined) return undefined;
    if (!kinds.includes(kind)) kinds.push(kind);
  }
  return { kinds, roots: false };
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
  const selection = query.kinds ?? ENTRY_SPANS;
  if (!sameKinds(selection, ALL_SPANS)) {
    // Kind numbers are validated integers, so they are written into the text rather than bound one by one.
    const kinds = `${alias}.kind IN (${selection.kinds.map((k) => Math.trunc(k)).join(', ') || 'NULL'})`;
    where.push(selection.roots ? `(${kinds} OR ${alias}.parent_span_id = '')` : kinds);
  }
  query.attributes.forEach((filter, i) => {
    const f = filterSql(filter, alias, `a${i}`);
    where.push(f.sql);
    Object.assign(params, f.params);
  });
  return where.join(' AND ');
}

/**
 * Durations fall into buckets about 3% wide: floor(ln(d) * 32). For integer durations up to 10^13 ns
 * the logarithms of neighbouring values lie hundreds of rounding steps apart, so a longer duration never
 * lands in a lower bucket, which the percentile's second pass relies on. Longer durations share the top
 * bucket; zero takes bucket -1.
 */
const BUCKETS_PER_E = 32;
const bucketSql = (d: string) => `CASE WHEN ${d} < 1 THEN -1 ELSE floor(ln(least(${d}, 10000000000000)) * ${BUCKETS_PER_E})::INTEGER END`;

/**
 * Count, weight, error weight and exact weighted percentiles of `source` (columns d, w, err, b) per
 * value of its column `key` (one group when null), as CTEs prefixed with `part` and a SELECT of one row
 * per group. Sorting every span for its running weight was the slow part; instead a hash aggregate sums
 * the weight per duration bucket, the running weight over the buckets finds the bucket holding each
 * percentile, and only that bucket's spans are sorted, counting on from the weight below the bucket.
 */
function groupedFiguresSql(part: string, source: string, key: string | null, percentiles: number[]): { ctes: string; select: string } {
  const target = (q: string, total: string) => `${q} * ${total} * (1 - ${RANK_EPSILON})`;
  const ctes = `
${part}_h AS (SELECT ${key ?? '0'} AS key, b, count(*) AS n, sum(w) AS bw, coalesce(sum(w) FILTER (WHERE err), 0) AS ew FROM ${source} GROUP BY ALL),
${part}_c AS (SELECT key, b, bw, sum(bw) OVER (PARTITION BY key) AS total,
  coalesce(sum(bw) OVER (PARTITION BY key ORDER BY b ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS below FROM ${part}_h),
${part}_t AS (SELECT c.key, q.i, q.q, min(c.b) AS b, arg_min(c.below, c.b) AS below, any_value(c.total) AS total
  FROM ${part}_c c CROSS JOIN percentiles q WHERE c.below + c.bw >= ${target('q.q', 'c.total')} GROUP BY c.key, q.i, q.q),
${part}_r AS (
  SELECT key, i, coalesce(min(d) FILTER (WHERE running >= ${target('q', 'total')}), max(d)) AS d FROM (
    SELECT t.key, t.i, t.q, t.total, s.d, t.below + sum(s.w) OVER (PARTITION BY t.key, t.i ORDER BY s.d ROWS UNBOUNDED PRECEDING) AS running
    FROM ${source} s JOIN ${part}_t t ON ${key === null ? 'true' : `s.${key} = t.key`} AND s.b = t.b)
  GROUP BY key, i)`;
  const columns = percentiles.map((_, i) => `max(r.d) FILTER (WHERE r.i = ${i}) AS q${i}`).join(', ');
  const select = `SELECT '${part}' AS part, g.key::VARCHAR AS key, g.n, g.weight, g.error_weight, ${columns}
FROM (SELECT key, sum(n) AS n, sum(bw) AS weight, sum(ew) AS error_weight FROM ${part}_h GROUP BY key) g
LEFT JOIN ${part}_r r ON r.key = g.key GROUP BY g.key, g.n, g.weight, g.error_weight`;
  return { ctes, select };
}

function percentilesSql(percentiles: number[]): string {
  return `percentiles(i, q) AS (VALUES ${percentiles.map((q, i) => `(${i}, ${q}::DOUBLE)`).join(', ')})`;
}

/**
 * Two statements: the summary, the series and (when asked) the figures per operation in one pass over
 * the matching spans, tagged by `part`; and the roots' latency by depth (only when asked).
 */
export function latencySql(query: LatencyQuery): { figures: string; byDepth: string; params: QueryParams } {
  const params: QueryParams = { step: query.stepNs, margin: TRACE_MARGIN_NS };
  const where = whereSql(query, params);
  const parts = [
    groupedFiguresSql('summary', 'm', null, query.percentiles),
    groupedFiguresSql('series', 'm', 'bucket', query.percentiles),
    ...(query.byOperation ? [groupedFiguresSql('operation', 'm', 'op', query.percentiles)] : []),
  ];
  const figures = `
WITH ${percentilesSql(query.percentiles)},
m AS MATERIALIZED (
  SELECT $start::BIGINT + (epoch_ns(s.start_time) - $start::BIGINT) // $step::BIGINT * $step::BIGINT AS bucket, s.name AS op,
    s.duration_ns AS d, s.sample_weight AS w, s.status_code = ${STATUS_CODE_ERROR} AS err, ${bucketSql('s.duration_ns')} AS b
  FROM spans s WHERE ${where}
),${parts.map((p) => p.ctes).join(',')}
${parts.map((p) => p.select).join('\nUNION ALL\n')}`;
  // Depth: follow parent links down from each root span of the service, inside a margin around the range.
  // The chain joins on 64-bit hashes of the trace id and of (trace id, span id), two fixed-width keys
  // instead of two strings; a wrong link would need both to collide at once.
  const depth = groupedFiguresSql('depth', 'rooted', 'depth', query.percentiles);
  const byDepth = `
WITH RECURSIVE ${percentilesSql(query.percentiles)},
roots AS (
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
rooted AS MATERIALIZED (SELECT depths.depth, roots.d, roots.w, false AS err, ${bucketSql('roots.d')} AS b FROM roots JOIN depths ON depths.t = hash(roots.trace_id)),${depth.ctes}
${depth.select}`;
  return { figures, byDepth, params };
}

export async function latency(executor: QueryExecutor, query: LatencyQuery): Promise<LatencyResult> {
  const { figures: figuresSql, byDepth, params } = latencySql(query);
  const seconds = Number(query.range.endNs - query.range.startNs) / 1e9;
  const stepSeconds = Number(query.stepNs) / 1e9;
  const [rows, depthRows] = await Promise.all([executor.all(figuresSql, params), query.byDepth ? executor.all(byDepth, params) : Promise.resolve(null)]);
  const percentiles = (row: Record<string, unknown>): Record<string, string | null> =>
    Object.fromEntries(query.percentiles.map((q, i) => [percentileLabel(q), row[`q${i}`] === null ? null : String(row[`q${i}`])]));
  const figures = (row: Record<string, unknown> | undefined, windowSeconds: number): RedFigures => {
    const weight = Number(row?.weight ?? 0);
    const errors = Number(row?.error_weight ?? 0);
    return {
      requests: weight,
      requestRate: weight / windowSeconds,
      errorRate: weight > 0 ? errors / weight : null,
      errorRatePerSecond: errors / windowSeconds,
      percentiles: row ? percentiles(row) : Object.fromEntries(query.percentiles.map((q) => [percentileLabel(q), null])),
      spans: Number(row?.n ?? 0),
    };
  };
  const part = (name: string) => rows.filter((row) => row.part === name);
  const series = part('series').sort((a, b) => (BigInt(String(a.key)) < BigInt(String(b.key)) ? -1 : 1));
  const operations = part('operation').sort((a, b) => (String(a.key) < String(b.key) ? -1 : 1));
  const depths = (depthRows ?? []).sort((a, b) => Number(a.key) - Number(b.key));
  const selection = query.kinds ?? ENTRY_SPANS;
  return {
    service: query.service,
    operation: query.operation ?? null,
    spanKinds: selection.kinds.map((k) => (SPAN_KIND_NAMES[k] ?? String(k)).toLowerCase()),
    rootSpans: selection.roots,
    startTimeUnixNano: query.range.startNs.toString(),
    endTimeUnixNano: query.range.endNs.toString(),
    stepNs: query.stepNs.toString(),
    summary: figures(part('summary')[0], seconds),
    series: series.map((row) => ({ timeUnixNano: String(row.key), ...figures(row, stepSeconds) })),
    ...(depthRows && { byDepth: depths.map((row) => ({ depth: Number(row.key), traces: Number(row.weight), percentiles: percentiles(row) })) }),
    ...(query.byOperation && { byOperation: operations.map((row) => ({ operation: String(row.key), ...figures(row, seconds) })) }),
  };
}
