import type { SpanRow } from '../model/span.js';
import type { CallBucket } from './serviceCalls.js';

/** Commits spans to storage. Narrow on purpose: a Parquet-segment writer can stand in later. */
export interface TraceWriter {
  /** Resolves once the spans are committed and durable. */
  append(spans: readonly SpanRow[]): Promise<void>;
}

export interface TraceReader {
  /** Every stored span of a trace, in no particular order; empty when the trace is unknown. */
  getTraceSpans(traceId: string): Promise<SpanRow[]>;
  /** Every stored span of each trace, in one query; a trace with no spans has no entry. */
  getTracesSpans(traceIds: string[]): Promise<Map<string, SpanRow[]>>;
  /** `spanKey`s of the spans of these traces already stored: replaying the write-ahead log skips them. */
  storedSpanKeys(traceIds: string[]): Promise<Set<string>>;
}

/** A span's identity within storage. */
export function spanKey(traceId: string, spanId: string): string {
  return `${traceId}/${spanId}`;
}

/** The dependency graph's sums still in memory, read together with the service_calls table. */
export interface UnflushedCalls {
  /** Runs `read` with the sums not yet written; none of them is written while it runs. */
  read<T>(read: (unflushed: readonly CallBucket[]) => Promise<T>): Promise<T>;
}
