/**
 * api_v3 shapes as Jaeger's HTTP gateway writes them (protobuf JSON of jaeger.api_v3): the error object
 * and FindTraceSummariesResponse. Pure.
 */
import type { TraceSummary } from '../services/search.js';

export interface V3Error {
  error: { httpCode: number; message: string };
}

export function v3Error(httpCode: number, message: string): V3Error {
  return { error: { httpCode, message } };
}

/** jaeger.api_v3.ServiceSummary. */
export interface V3ServiceSummary {
  name: string;
  spanCount: number;
  errorSpanCount: number;
}

/**
 * jaeger.api_v3.TraceSummary. The two times are fixed64 Unix nanoseconds, which protobuf JSON writes as
 * decimal strings. Every field is written, zeros and empty names too, which protobuf JSON allows.
 */
export interface V3TraceSummary {
  traceId: string;
  /** Empty when the trace has no root span (no span without a parent), as in Jaeger. */
  rootServiceName: string;
  rootOperationName: string;
  minStartTimeUnixNano: string;
  maxEndTimeUnixNano: string;
  spanCount: number;
  errorSpanCount: number;
  orphanSpanCount: number;
  /** Sorted by name, as search gives them. */
  services: V3ServiceSummary[];
}

/** jaeger.api_v3.FindTraceSummariesResponse: the HTTP gateway answers it bare, without a `result` wrapper. */
export interface V3TraceSummaries {
  summaries: V3TraceSummary[];
}

export function toV3TraceSummary(summary: TraceSummary): V3TraceSummary {
  const startNs = BigInt(summary.startTimeUnixNano);
  return {
    traceId: summary.traceId,
    // Our summary falls back to the earliest span when the root is missing; Jaeger names no root then.
    rootServiceName: summary.hasRoot ? summary.rootService : '',
    rootOperationName: summary.hasRoot ? summary.rootOperation : '',
    minStartTimeUnixNano: startNs.toString(),
    maxEndTimeUnixNano: (startNs + BigInt(summary.durationNs)).toString(),
    spanCount: summary.spanCount,
    errorSpanCount: summary.errorCount,
    orphanSpanCount: summary.orphanCount,
    services: summary.services.map((s) => ({ name: s.service, spanCount: s.spanCount, errorSpanCount: s.errorCount })),
  };
}

export function toV3TraceSummaries(summaries: TraceSummary[]): V3TraceSummaries {
  return { summaries: summaries.map(toV3TraceSummary) };
}
