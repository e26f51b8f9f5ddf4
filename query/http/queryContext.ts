import type { Config } from '../../core/config.js';
import type { QueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import type { TraceReader, UnflushedCalls } from '../../core/storage/types.js';

/** What every query route needs: storage access and the configured bounds. */
export interface QueryContext {
  reader: TraceReader;
  executor: QueryExecutor;
  /** The dependency graph's sums not yet in storage, when this process also ingests. */
  calls?: UnflushedCalls;
  limits: Pick<Config, 'maxQueryRangeHours' | 'maxSearchLimit'>;
}

export type QueryString = Record<string, string | string[] | undefined>;

/** Refuses parameters a route does not know, so that a typo is not silently ignored. */
export function rejectUnknown(query: QueryString, known: readonly string[]): void {
  const unknown = Object.keys(query).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw Object.assign(new Error(`unknown parameter "${unknown[0]}"; this endpoint takes: ${known.join(', ')}`), { statusCode: 400 });
  }
}
