/**
 * Trace search: which traces have a span matching every span-level filter in the time range, then a
 * summary per trace, trace-level filters, newest first, and a cursor for the next page.
 */
import { STATUS_CODE_ERROR } from '../../core/model/span.js';
import { SUMMARY_ROOT_RANK, traceKey } from '../../core/storage/schema.js';
import { minuteStartNs } from '../../core/storage/serviceCalls.js';
import type { QueryExecutor, QueryParams } from '../../core/storage/duckdb/queryExecutor.js';
import { filterSql, readsOwnColumn, type AttributeFilter } from './attributeFilter.js';
import { invalid, type TimeRange } from './queryParams.js';

export interface TraceSearch {
  range: TimeRange;
  service?: string;
  /** Span name. */
  operation?: string;
  attributes: AttributeFilter[];
  /** On the trace's end-to-end duration. */
  minDurationNs?: bigint;
  maxDurationNs?: bigint;
  /** On the matching span's own duration. */
  spanMinDurationNs?: bigint;
  spanMaxDurationNs?: bigint;
  /** The matching span's OTLP kind (Jaeger's `span.kind` tag). */
  spanKind?: number;
  /** The matching span's status code is one of these (Jaeger's `error` and `otel.status_code` tags). */
  spanStatusCodes?: number[];
  /** error: the trace has an error span; ok: it has none. */
  status?: 'error' | 'ok';
  limit: number;
  cursor?: string;
  /** Only these traces (Jaeger's traceID parameter). */
  traceIds?: string[];
}

export interface TraceSummary {
  traceId: string;
  rootService: string;
  rootOperation: string;
  /** False when the trace's root span has not arrived (or never will): the root fields then name its earliest span. */
  hasRoot: boolean;
  startTimeUnixNano: string;
  durationNs: string;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  services: Array<{ service: string; spanCount: number; errorCount: number }>;
}

export interface SearchResult {
  traces: TraceSummary[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

/** How far outside the range a matching trace's other spans are looked for. */
export const TRACE_MARGIN_NS = 3_600_000_000_000n;

export function encodeCursor(startNs: bigint, traceId: string): string {
  return Buffer.from(JSON.stringify([startNs.toString(), traceId])).toString('base64url');
}

export function decodeCursor(cursor: string): { startNs: bigint; traceId: string } {
  try {
    const [start, traceId] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    if (/^\d+$/.test(start) && /^[0-9a-f]{32}$/.test(traceId)) return { startNs: BigInt(start), traceId };
  } catch {
    // reported below
  }
  throw invalid('cursor', 'is not a cursor this server gave out');
}

/** Where a search looks for matching spans: start and end time, both included. */
export interface SpanScanWindow {
  fromNs: bigint;
  toNs: bigint;
}

/**
 * The parts of the range a search scans for matching spans, one after another, newest first: the last
 * sixteenth, the rest of the last quarter, then the rest. A page of the newest traces usually lies in
 * the newest part, and reading a sixteenth of the spans' attributes instead of all of them is what
 * makes a filter on the attribute maps fast; the parts do not overlap, so a search that must read
 * everything reads it once. Without span filters the summaries alone answer, in one step.
 */
export function spanScanWindows(search: TraceSearch): SpanScanWindow[] {
  const { startNs, endNs } = search.range;
  if (!hasSpanFilters(search)) return [{ fromNs: startNs, toNs: endNs }];
  const bounds = [endNs - (endNs - startNs) / 16n, endNs - (endNs - startNs) / 4n].filter((bound, i, all) => bound > startNs && bound < endNs && bound !== all[i - 1]);
  const windows: SpanScanWindow[] = [];
  let toNs = endNs;
  for (const fromNs of [...bounds, startNs]) {
    windows.push({ fromNs, toNs });
    toNs = fromNs - 1n;
  }
  return windows;
}

/** Whether the search has conditions on single spans (and so scans spans, not only summaries). */
function hasSpanFilters(search: TraceSearch): boolean {
  return spanFilterSql(search, {}).length > 0;
}

/** `FROM spans s WHERE` a span in `scan` matches every span-level filter; parameters added to `params`. */
function matchingSpansFrom(search: TraceSearch, scan: SpanScanWindow, params: QueryParams): string {
  const where = ['s.start_time BETWEEN make_timestamp_ns($scanFrom::BIGINT) AND make_timestamp_ns($scanTo::BIGINT)', ...spanFilterSql(search, params)];
  Object.assign(params, { scanFrom: scan.fromNs, scanTo: scan.toNs });
  return `FROM spans s WHERE ${where.join(' AND ')}`;
}

/**
 * The trace ids of the first `maxSpans` spans in `scan` that match every span-level filter: the scan
 * stops there, so that finding out whether a window has few matches costs little when it has many.
 */
function matchingSpansSql(search: TraceSearch, scan: SpanScanWindow, maxSpans: number): { sql: string; params: QueryParams } {
  const params: QueryParams = { maxSpans };
  return { sql: `SELECT s.trace_id ${matchingSpansFrom(search, scan, params)} LIMIT $maxSpans`, params };
}

/** The conditions on what a span carries beyond its start time, their parameters added to `params`. */
function spanFilterSql(search: TraceSearch, params: QueryParams): string[] {
  const spanWhere: string[] = [];
  if (search.service !== undefined) {
    spanWhere.push('s.service_name = $service');
    params.service = search.service;
  }
  if (search.operation !== undefined) {
    spanWhere.push('s.name = $operation');
    params.operation = search.operation;
  }
  if (search.spanMinDurationNs !== undefined) {
    spanWhere.push('s.duration_ns >= $spanMin::BIGINT');
    params.spanMin = search.spanMinDurationNs;
  }
  if (search.spanMaxDurationNs !== undefined) {
    spanWhere.push('s.duration_ns <= $spanMax::BIGINT');
    params.spanMax = search.spanMaxDurationNs;
  }
  if (search.spanKind !== undefined) {
    spanWhere.push('s.kind = $spanKind::INTEGER');
    params.spanKind = search.spanKind;
  }
  if (search.spanStatusCodes !== undefined) {
    const codes = search.spanStatusCodes.map((code, i) => {
      params[`status${i}`] = code;
      return `$status${i}::INTEGER`;
    });
    spanWhere.push(codes.length > 0 ? `s.status_code IN (${codes.join(', ')})` : 'false');
  }
  if (search.traceIds !== undefined) {
    spanWhere.push(`s.trace_id IN (${search.traceIds.map((_, i) => `$t${i}`).join(', ') || "''"})`);
    search.traceIds.forEach((id, i) => (params[`t${i}`] = id));
  }
  search.attributes.forEach((filter, i) => {
    const { sql, params: filterParams } = filterSql(filter, 's', `a${i}`);
    spanWhere.push(sql);
    Object.assign(params, filterParams);
  });
  return spanWhere;
}

/**
 * The SQL of a search's first step and its parameters: pure, so the plan is testable without a
 * database. It finds the traces with a span in `scan` matching every span-level filter, summarizes
 * them from trace_summaries (one small row per trace and write batch, instead of every span), applies
 * the trace-level filters and keeps one page, newest first, with the time bounds of each trace's spans.
 */
export function searchSql(
  search: TraceSearch,
  scan: SpanScanWindow = { fromNs: search.range.startNs, toNs: search.range.endNs },
  candidateIds?: string[],
): { sql: string; params: QueryParams } {
  const params: QueryParams = {
    start: search.range.startNs,
    end: search.range.endNs,
    margin: TRACE_MARGIN_NS,
    limit: search.limit + 1,
  };
  const traceWhere: string[] = [];
  if (search.minDurationNs !== undefined) {
    traceWhere.push('end_ns - start_ns >= $minDuration::BIGINT');
    params.minDuration = search.minDurationNs;
  }
  if (search.maxDurationNs !== undefined) {
    traceWhere.push('end_ns - start_ns <= $maxDuration::BIGINT');
    params.maxDuration = search.maxDurationNs;
  }
  if (search.status === 'error') traceWhere.push('error_count > 0');
  if (search.status === 'ok') traceWhere.push('error_count = 0');
  if (search.cursor !== undefined) {
    const cursor = decodeCursor(search.cursor);
    traceWhere.push('(start_ns < $cursorStart::BIGINT OR (start_ns = $cursorStart::BIGINT AND trace_id < $cursorTrace))');
    params.cursorStart = cursor.startNs;
    params.cursorTrace = cursor.traceId;
  }

  // A few candidates known already are looked up by key: joining them in SQL hashes every summary of the range.
  candidateIds?.forEach((id, i) => Object.assign(params, { [`c${i}`]: id, [`k${i}`]: traceKey(id).toString() }));
  const candidateLookup = candidateIds
    ? `WHERE t.trace_key IN (${candidateIds.map((_, i) => `$k${i}::UBIGINT`).join(', ')}) AND t.trace_id IN (${candidateIds.map((_, i) => `$c${i}`).join(', ')}) AND`
    : 'SEMI JOIN candidates c ON t.trace_id = c.trace_id WHERE';
  const sql = `
WITH ${candidateIds ? '' : `candidates AS (
  ${candidatesSql(search, scan, params)}
),
`}summaries AS (
  SELECT t.trace_id,
    epoch_ns(min(t.start_min)) AS start_ns,
    epoch_ns(max(t.end_max)) AS end_ns,
    epoch_ns(max(t.start_max)) AS last_start_ns,
    sum(t.span_count) AS span_count,
    sum(t.error_count) AS error_count,
    arg_min(t.root_service, ${SUMMARY_ROOT_RANK}) AS root_service,
    arg_min(t.root_operation, ${SUMMARY_ROOT_RANK}) AS root_operation,
    bool_or(t.has_root) AS has_root
  FROM trace_summaries t ${candidateLookup} t.start_max >= make_timestamp_ns(($start - $margin)::BIGINT) AND t.start_min <= make_timestamp_ns(($end + $margin)::BIGINT)
  GROUP BY t.trace_id
)
SELECT * FROM summaries ${traceWhere.length > 0 ? `WHERE ${traceWhere.join(' AND ')}` : ''}
ORDER BY start_ns DESC, trace_id DESC LIMIT $limit`;
  return { sql, params };
}

/** The traces a search considers: with span filters, those with a matching span in `scan`. */
function candidatesSql(search: TraceSearch, scan: SpanScanWindow, params: QueryParams): string {
  if (hasSpanFilters(search)) return `SELECT DISTINCT s.trace_id ${matchingSpansFrom(search, scan, params)}`;
  const inRange = (column: string) => `${column} BETWEEN make_timestamp_ns($start::BIGINT) AND make_timestamp_ns($end::BIGINT)`;
  // Without span filters, every trace with a span in the range: a summary whose first or last span
  // start lies in it is one (both are span starts); one that straddles the range (a trace longer than
  // the range) is checked against its spans.
  return `SELECT trace_id FROM trace_summaries WHERE ${inRange('start_min')} OR ${inRange('start_max')}
  UNION
  SELECT s.trace_id FROM spans s SEMI JOIN (
    SELECT trace_id FROM trace_summaries WHERE start_min < make_timestamp_ns($start::BIGINT) AND start_max > make_timestamp_ns($end::BIGINT)
  ) x ON s.trace_id = x.trace_id
  WHERE s.start_time >= make_timestamp_ns($start::BIGINT) AND s.start_time <= make_timestamp_ns($end::BIGINT)`;
}

/**
 * The second step: for a page of traces, spans per service and orphans (spans whose parent is not
 * stored), read from only the row groups of the page's time bounds.
 */
export function pageDetailsSql(traceIds: string[], fromNs: bigint, toNs: bigint): { sql: string; params: QueryParams } {
  const params: QueryParams = { from: fromNs, to: toNs };
  traceIds.forEach((id, i) => (params[`t${i}`] = id));
  const sql = `
WITH trace_spans AS (
  SELECT trace_id, span_id, parent_span_id, service_name, status_code FROM spans
  WHERE trace_id IN (${traceIds.map((_, i) => `$t${i}`).join(', ')})
    AND start_time BETWEEN make_timestamp_ns($from::BIGINT) AND make_timestamp_ns($to::BIGINT)
),
orphans AS (
  SELECT t.trace_id, count(*) AS orphan_count
  FROM trace_spans t
  WHERE t.parent_span_id <> '' AND NOT EXISTS (
    SELECT 1 FROM trace_spans p WHERE p.trace_id = t.trace_id AND p.span_id = t.parent_span_id
  )
  GROUP BY t.trace_id
),
per_service AS (
  SELECT trace_id, list({'service': service_name, 'spanCount': n, 'errorCount': e} ORDER BY service_name) AS services
  FROM (
    SELECT trace_id, service_name, count(*) AS n, count(*) FILTER (WHERE status_code = ${STATUS_CODE_ERROR}) AS e
    FROM trace_spans GROUP BY ALL
  ) GROUP BY trace_id
)
SELECT per_service.trace_id, coalesce(orphans.orphan_count, 0) AS orphan_count, per_service.services
FROM per_service LEFT JOIN orphans USING (trace_id)`;
  return { sql, params };
}

/**
 * A query whose one row says (`absent`) whether attribute_values shows that no span in the range has
 * the value an '=' filter on the attribute maps asks for: then no span matches every filter, and the
 * search is empty without reading the maps. Undefined when there is no such filter. The table answers
 * only for ranges from attribute_values_from on (spans stored before it are not in it).
 */
export function absentValueSql(search: TraceSearch): { sql: string; params: QueryParams } | undefined {
  const filters = search.attributes.filter((filter) => filter.op === '=' && !readsOwnColumn(filter));
  if (filters.length === 0) return undefined;
  const params: QueryParams = {
    start: search.range.startNs,
    fromMinute: minuteStartNs(search.range.startNs),
    toMinute: minuteStartNs(search.range.endNs),
  };
  const absent = filters.map((filter, i) => {
    Object.assign(params, { [`k${i}`]: filter.key, [`v${i}`]: filter.value });
    return `NOT EXISTS (SELECT 1 FROM attribute_values WHERE key = $k${i} AND (value = $v${i} OR value IS NULL)
      AND start_minute BETWEEN make_timestamp_ns($fromMinute::BIGINT) AND make_timestamp_ns($toMinute::BIGINT))`;
  });
  const sql = `SELECT coalesce((SELECT max(from_ns) FROM attribute_values_from) <= $start::BIGINT AND (${absent.join(' OR ')}), false) AS absent`;
  return { sql, params };
}

export async function searchTraces(executor: QueryExecutor, search: TraceSearch): Promise<SearchResult> {
  const absent = absentValueSql(search);
  if (absent && (await executor.all(absent.sql, absent.params))[0]?.absent === true) return { traces: [], nextCursor: null };
  // A trace's row does not depend on the window it was found in, and each window's own first page
  // holds every trace of the whole range's first page that the window finds.
  const found = new Map<string, Record<string, unknown>>();
  let rows: Record<string, unknown>[] = [];
  const lookUpFew = hasSpanFilters(search) && search.attributes.every(readsOwnColumn);
  for (const scan of spanScanWindows(search)) {
    const candidateIds = lookUpFew ? await fewCandidates(executor, search, scan) : undefined;
    if (candidateIds?.length !== 0) {
      const { sql, params } = searchSql(search, scan, candidateIds);
      for (const row of await executor.all(sql, params)) found.set(String(row.trace_id), row);
    }
    rows = [...found.values()].sort(newestFirst).slice(0, search.limit + 1);
    // A trace not found yet has all its matching spans before this window, so it starts before it: when
    // the row after the page starts within the windows read, the page and whether another follows are final.
    if (rows.length > search.limit && (rows[search.limit]!.start_ns as bigint) >= scan.fromNs) break;
  }
  const page = rows.slice(0, search.limit);
  const details = new Map<string, Record<string, unknown>>();
  if (page.length > 0) {
    // The page's spans lie between its earliest and latest span start, and only those within the margin count.
    const from = page.map((row) => row.start_ns as bigint).reduce((a, b) => (b < a ? b : a));
    const to = page.map((row) => row.last_start_ns as bigint).reduce((a, b) => (b > a ? b : a));
    const lowest = search.range.startNs - TRACE_MARGIN_NS;
    const highest = search.range.endNs + TRACE_MARGIN_NS;
    const pageDetails = pageDetailsSql(page.map((row) => String(row.trace_id)), from < lowest ? lowest : from, to > highest ? highest : to);
    for (const row of await executor.all(pageDetails.sql, pageDetails.params)) details.set(String(row.trace_id), row);
  }
  const traces = page.map((row) => toSummary(row, details.get(String(row.trace_id))));
  const last = rows.length > search.limit ? traces[traces.length - 1] : undefined;
  return { traces, nextCursor: last ? encodeCursor(BigInt(last.startTimeUnixNano), last.traceId) : null };
}

/** Matching spans in a window up to which their traces are looked up by id rather than joined. */
const FEW_MATCHING_SPANS = 256;

/**
 * The traces of the window's matching spans when there are few of them; undefined when there are many.
 * Only for filters on columns: finding out that a window has few matches means reading all of it, and on
 * the attribute maps that read costs as much as the join it would spare (measured at 10M spans: a
 * filter on the maps took 62-78 ms with the join alone and 243-332 ms with this first).
 */
async function fewCandidates(executor: QueryExecutor, search: TraceSearch, scan: SpanScanWindow): Promise<string[] | undefined> {
  const { sql, params } = matchingSpansSql(search, scan, FEW_MATCHING_SPANS + 1);
  const rows = await executor.all(sql, params);
  return rows.length > FEW_MATCHING_SPANS ? undefined : [...new Set(rows.map((row) => String(row.trace_id)))];
}

/** As the search SQL orders its rows: start descending, then trace id descending. */
function newestFirst(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const [aStart, bStart] = [a.start_ns as bigint, b.start_ns as bigint];
  if (aStart !== bStart) return aStart > bStart ? -1 : 1;
  const [aId, bId] = [String(a.trace_id), String(b.trace_id)];
  return aId > bId ? -1 : aId < bId ? 1 : 0;
}

function toSummary(row: Record<string, unknown>, details: Record<string, unknown> | undefined): TraceSummary {
  const services = (details?.services ?? []) as Array<{ service: string; spanCount: bigint; errorCount: bigint }>;
  return {
    traceId: String(row.trace_id),
    rootService: String(row.root_service),
    rootOperation: String(row.root_operation),
    hasRoot: Boolean(row.has_root),
    startTimeUnixNano: String(row.start_ns),
    durationNs: String((row.end_ns as bigint) - (row.start_ns as bigint)),
    spanCount: Number(row.span_count),
    errorCount: Number(row.error_count),
    orphanCount: Number(details?.orphan_count ?? 0),
    services: services.map((s) => ({ service: s.service, spanCount: Number(s.spanCount), errorCount: Number(s.errorCount) })),
  };
}
