/** api_v3 shapes (grpc-gateway JSON): the error object and trace summaries. Pure. */
import type { TraceSummary } from '../services/search.js';

export interface V3Error {
  error: { httpCode: number; message: string };
}

export function v3Error(httpCode: number, message: string): V3Error {
  return { error: { httpCode, message } };
}

/** A trace summary with protobuf-JSON times: RFC 3339 with nanoseconds, and a Duration such as "0.012500000s". */
export interface V3TraceSummary {
  traceId: string;
  rootServiceName: string;
  rootSpanName: string;
  /** False when the root span has not arrived: the root fields then name the earliest span. */
  hasRoot: boolean;
  startTime: string;
  duration: string;
  spanCount: number;
  errorCount: number;
  orphanCount: number;
  services: Array<{ serviceName: string; spanCount: number; errorCount: number }>;
}

export function toV3TraceSummary(summary: TraceSummary): V3TraceSummary {
  return {
    traceId: summary.traceId,
    rootServiceName: summary.rootService,
    rootSpanName: summary.rootOperation,
    hasRoot: summary.hasRoot,
    startTime: rfc3339Nano(BigInt(summary.startTimeUnixNano)),
    duration: protoDuration(BigInt(summary.durationNs)),
    spanCount: summary.spanCount,
    errorCount: summary.errorCount,
    orphanCount: summary.orphanCount,
    services: summary.services.map((s) => ({ serviceName: s.service, spanCount: s.spanCount, errorCount: s.errorCount })),
  };
}

const NS_PER_S = 1_000_000_000n;

/** Unix nanoseconds as RFC 3339 UTC with all nine fraction digits. */
export function rfc3339Nano(ns: bigint): string {
  const seconds = ns / NS_PER_S - (ns % NS_PER_S < 0n ? 1n : 0n);
  const fraction = ns - seconds * NS_PER_S;
  const whole = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${whole}.${fraction.toString().padStart(9, '0')}Z`;
}

/** Nanoseconds as a protobuf JSON Duration: seconds with nine fraction digits, e.g. "1.500000000s". */
export function protoDuration(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  return `${sign}${abs / NS_PER_S}.${(abs % NS_PER_S).toString().padStart(9, '0')}s`;
}
