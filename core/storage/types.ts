import type { SpanRow } from '../model/span.js';

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
}
