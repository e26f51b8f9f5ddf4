/**
 * Adjusters that repair what clients get wrong, as Jaeger's do, each leaving a warning on the span
 * it changed. Pure: they work on index arrays over one trace's spans.
 */
import { SPAN_KIND_CLIENT, SPAN_KIND_SERVER, type SpanRow } from '../../core/model/span.js';

export interface AdjustedSpan {
  row: SpanRow;
  /** The id the tree uses: the stored id, or a new one when the stored id was a duplicate. */
  spanId: string;
  parentSpanId: string;
  /** Clock-skew shift applied to the span and its events, in nanoseconds. */
  shiftNs: bigint;
  warnings: string[];
}

/**
 * Gives every span after the first with the same id a new, unique id. A SERVER span sharing its id with
 * a CLIENT span (Zipkin-style shared spans) becomes that client's child, which is what it was.
 */
export function dedupeSpanIds(spans: AdjustedSpan[]): void {
  const first = new Map<string, AdjustedSpan>();
  const taken = new Set(spans.map((s) => s.spanId));
  for (const span of spans) {
    const original = first.get(span.spanId);
    if (!original) {
      first.set(span.spanId, span);
      continue;
    }
    const duplicateId = span.spanId;
    let candidate = BigInt(`0x${duplicateId}`);
    let newId: string;
    do {
      candidate = (candidate + 1n) & 0xffff_ffff_ffff_ffffn;
      newId = candidate.toString(16).padStart(16, '0');
    } while (taken.has(newId) || candidate === 0n);
    taken.add(newId);
    span.spanId = newId;
    span.warnings.push(`duplicate span id ${duplicateId}: this span was given the id ${newId}`);
    const sharedClientServer = span.row.kind === SPAN_KIND_SERVER && original.row.kind === SPAN_KIND_CLIENT && span.parentSpanId === original.parentSpanId;
    if (sharedClientServer) {
      span.parentSpanId = original.spanId;
      span.warnings.push(`made a child of the CLIENT span ${duplicateId} that shared its id`);
    }
  }
}

/**
 * Shifts a child that runs on another service than its parent and starts before it or ends after it
 * back inside the parent, centred (assuming the network took as long each way), or aligned with the
 * parent's start when it is longer than its parent. Its descendants move with it.
 * `order` must list parents before their children; `parentOf[i]` is the index of i's parent or -1.
 */
export function adjustClockSkew(spans: AdjustedSpan[], order: readonly number[], parentOf: readonly number[]): void {
  for (const i of order) {
    const parentIndex = parentOf[i]!;
    if (parentIndex < 0) continue;
    const span = spans[i]!;
    const parent = spans[parentIndex]!;
    span.shiftNs = parent.shiftNs;
    if (span.row.serviceName === parent.row.serviceName) continue;
    const parentStart = parent.row.startTimeUnixNano + parent.shiftNs;
    const parentDuration = parent.row.durationNs;
    const start = span.row.startTimeUnixNano + span.shiftNs;
    const duration = span.row.durationNs;
    if (start >= parentStart && start + duration <= parentStart + parentDuration) continue;
    const newStart = duration <= parentDuration ? parentStart + (parentDuration - duration) / 2n : parentStart;
    const shift = newStart - start;
    if (shift === 0n) continue;
    span.shiftNs += shift;
    span.warnings.push(
      `clock skew: shifted by ${formatShift(shift)} to fit inside its parent on service "${parent.row.serviceName}"` +
        (duration > parentDuration ? ' (it is longer than its parent, so only its start was aligned)' : ''),
    );
  }
}

function formatShift(ns: bigint): string {
  const sign = ns < 0n ? '-' : '+';
  const abs = ns < 0n ? -ns : ns;
  if (abs >= 1_000_000n) return `${sign}${(Number(abs) / 1e6).toFixed(3)}ms`;
  return `${sign}${(Number(abs) / 1e3).toFixed(3)}µs`;
}
