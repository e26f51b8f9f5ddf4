/**
 * The service dependency graph over a time range, read from service_calls (built as spans arrive; see
 * core/storage/serviceCalls.ts for what makes a call) together with the sums not yet written there.
 * The range is counted in whole minutes: every minute it touches.
 */
import { SERVICE_CALL_COLUMNS } from '../../core/storage/schema.js';
import { minuteStartNs, type CallBucket } from '../../core/storage/serviceCalls.js';
import type { QueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { rowsFromJsonSql, serviceCallColumns } from '../../core/storage/duckdb/spanWriter.js';
import type { UnflushedCalls } from '../../core/storage/types.js';
import { RANK_EPSILON } from './latency.js';
import type { TimeRange } from './queryParams.js';

/** Sums of weights that cancel (a peer call withdrawn) leave float dust, not calls. */
const NO_CALLS = 1e-9;

export interface DependencyEdge {
  caller: string;
  callee: string;
  /** True when the callee is not instrumented and is known only from its callers' CLIENT spans. */
  calleeIsPeer: boolean;
  /** Weighted calls. */
  callCount: number;
  errorRate: number;
  /** Within 5% of the exact weighted percentiles: the mean duration of the bucket they fall in (see DURATION_BUCKET_GROWTH). */
  p50Ns: string;
  p99Ns: string;
}

const unflushedParameter = (i: number) => `$unflushed${i}`;

const DEPENDENCIES_SQL = `WITH unflushed AS (${rowsFromJsonSql(SERVICE_CALL_COLUMNS, unflushedParameter)}),
rows_in_range AS (
  SELECT * FROM service_calls WHERE start_minute >= make_timestamp_ns($first::BIGINT) AND start_minute < make_timestamp_ns($end::BIGINT)
  UNION ALL SELECT * FROM unflushed WHERE start_minute >= make_timestamp_ns($first::BIGINT) AND start_minute < make_timestamp_ns($end::BIGINT)
),
-- Peer calls withdrawn to the last leave no calls; an edge is to a peer only if all its remaining calls are.
buckets AS (
  SELECT caller, callee, callee_is_peer, duration_bucket, sum(calls) AS calls, sum(errors) AS errors, sum(duration_sum) AS duration_sum
  FROM rows_in_range GROUP BY ALL HAVING sum(calls) > ${NO_CALLS}
),
edge_buckets AS (
  SELECT caller, callee, duration_bucket, bool_and(callee_is_peer) AS peer, sum(calls) AS calls, sum(errors) AS errors, sum(duration_sum) AS duration_sum
  FROM buckets GROUP BY ALL
),
ranked AS (
  SELECT *, sum(calls) OVER (PARTITION BY caller, callee ORDER BY duration_bucket) AS cumulative, sum(calls) OVER (PARTITION BY caller, callee) AS total
  FROM edge_buckets
)
SELECT caller, callee, bool_and(peer) AS callee_is_peer, any_value(total) AS calls, sum(errors) AS errors,
  arg_min(duration_sum / calls, duration_bucket) FILTER (WHERE cumulative >= 0.5 * total * (1 - ${RANK_EPSILON})) AS p50,
  arg_min(duration_sum / calls, duration_bucket) FILTER (WHERE cumulative >= 0.99 * total * (1 - ${RANK_EPSILON})) AS p99
FROM ranked GROUP BY caller, callee ORDER BY caller, callee`;

export async function dependencies(executor: QueryExecutor, range: TimeRange, unflushed?: UnflushedCalls): Promise<DependencyEdge[]> {
  const first = minuteStartNs(range.startNs);
  const query = async (inMemory: readonly CallBucket[]) => {
    const columns = serviceCallColumns(inMemory);
    const params = Object.fromEntries(SERVICE_CALL_COLUMNS.map((c, i) => [unflushedParameter(i).slice(1), columns[c.name]]));
    return executor.all(DEPENDENCIES_SQL, { ...params, first, end: range.endNs });
  };
  const rows = unflushed ? await unflushed.read(query) : await query([]);
  return rows.map((row) => ({
    caller: String(row.caller),
    callee: String(row.callee),
    calleeIsPeer: Boolean(row.callee_is_peer),
    callCount: Number(row.calls),
    errorRate: Number(row.errors) / Number(row.calls),
    p50Ns: String(Math.round(Number(row.p50))),
    p99Ns: String(Math.round(Number(row.p99))),
  }));
}
