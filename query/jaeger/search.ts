/** Jaeger search on top of ducktrace's: Jaeger's span-level tags become the native span filters. */
import type { QueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { searchTraces, type TraceSearch, type TraceSummary } from '../services/search.js';
import type { SpanFilters } from './params.js';

/** Matching traces, newest first, with their summaries; every condition holds on one span, as in Jaeger. */
export async function findTraces(executor: QueryExecutor, search: TraceSearch, filters: SpanFilters): Promise<TraceSummary[]> {
  return (await searchTraces(executor, { ...search, spanKind: filters.kind, spanStatusCodes: filters.statusCodes })).traces;
}
