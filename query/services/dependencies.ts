/**
 * The service dependency graph over a time range. An edge caller → callee comes from a span whose
 * parent is on another service, and from a CLIENT span with no child on another service that names
 * the peer it called (peer.service, else db.system.name / db.system, else server.address): the
 * uninstrumented databases and third parties. Latency is the callee span's (for peers, the client's).
 */
import { STATUS_CODE_ERROR } from '../../core/model/span.js';
import type { QueryExecutor, QueryParams } from '../../core/storage/duckdb/queryExecutor.js';
import type { TimeRange } from './queryParams.js';
import { TRACE_MARGIN_NS } from './search.js';

const SPAN_KIND_CLIENT = 3;
const RANK_EPSILON = 1e-12;

export interface DependencyEdge {
  caller: string;
  callee: string;
  /** True when the callee is not instrumented and is known only from its callers' CLIENT spans. */
  calleeIsPeer: boolean;
  /** Weighted calls. */
  callCount: number;
  errorRate: number;
  p50Ns: string;
  p99Ns: string;
}

export function dependenciesSql(range: TimeRange): { sql: string; params: QueryParams } {
  const inRange = (alias: string) =>
    `${alias}.start_time >= make_timestamp_ns($start::BIGINT) AND ${alias}.start_time < make_timestamp_ns($end::BIGINT)`;
  // Parents and children of spans in the range are looked for only near it, so the join reads one window, not the table.
  const nearRange = (alias: string) =>
    `${alias}.start_time >= make_timestamp_ns(($start - $margin)::BIGINT) AND ${alias}.start_time < make_timestamp_ns(($end + $margin)::BIGINT)`;
  const peer = `coalesce(c.attributes['peer.service'], c.attributes['db.system.name'], c.attributes['db.system'], c.attributes['server.address'])`;
  const sql = `
WITH cross_service AS (
  SELECT p.service_name AS caller, c.service_name AS callee, false AS callee_is_peer, c.duration_ns AS d, c.sample_weight AS w, c.status_code = ${STATUS_CODE_ERROR} AS err,
    p.trace_id, p.span_id AS caller_span_id
  FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
  WHERE ${inRange('c')} AND ${nearRange('p')} AND p.service_name <> c.service_name
),
peer_calls AS (
  SELECT c.service_name AS caller, ${peer} AS callee, true AS callee_is_peer, c.duration_ns AS d, c.sample_weight AS w, c.status_code = ${STATUS_CODE_ERROR} AS err
  FROM spans c
  -- A client span whose call reached an instrumented service is already an edge above.
  ANTI JOIN cross_service x ON x.trace_id = c.trace_id AND x.caller_span_id = c.span_id
  WHERE ${inRange('c')} AND c.kind = ${SPAN_KIND_CLIENT} AND ${peer} IS NOT NULL
),
calls AS (
  SELECT caller, callee, callee_is_peer, d, w, err FROM cross_service
  UNION ALL SELECT caller, callee, callee_is_peer, d, w, err FROM peer_calls WHERE callee <> caller
),
ranked AS (
  SELECT *, sum(w) OVER (PARTITION BY caller, callee ORDER BY d ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum,
    sum(w) OVER (PARTITION BY caller, callee) AS total FROM calls
)
SELECT caller, callee, bool_and(callee_is_peer) AS callee_is_peer, sum(w) AS calls, coalesce(sum(w) FILTER (WHERE err), 0) AS errors,
  min(d) FILTER (WHERE cum >= 0.5 * total * (1 - ${RANK_EPSILON})) AS p50,
  min(d) FILTER (WHERE cum >= 0.99 * total * (1 - ${RANK_EPSILON})) AS p99
FROM ranked GROUP BY caller, callee ORDER BY caller, callee`;
  return { sql, params: { start: range.startNs, end: range.endNs, margin: TRACE_MARGIN_NS } };
}

export async function dependencies(executor: QueryExecutor, range: TimeRange): Promise<DependencyEdge[]> {
  const { sql, params } = dependenciesSql(range);
  const rows = await executor.all(sql, params);
  return rows.map((row) => ({
    caller: String(row.caller),
    callee: String(row.callee),
    calleeIsPeer: Boolean(row.callee_is_peer),
    callCount: Number(row.calls),
    errorRate: Number(row.errors) / Number(row.calls),
    p50Ns: String(row.p50),
    p99Ns: String(row.p99),
  }));
}
