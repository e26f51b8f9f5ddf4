/**
 * The tail-sampling policy interface and the trace view policies see. A policy looks at a whole (pending)
 * trace and answers whether it samples it and with what probability it would.
 */
import { STATUS_CODE_ERROR, type Attributes, type SpanRow } from '../../../core/model/span.js';

export interface TraceView {
  traceId: string;
  spans: readonly SpanRow[];
  /** The span with parentSpanId '' (the first one, if several), or undefined if it has not arrived. */
  root: SpanRow | undefined;
  /** The root's service, else the first span's. */
  serviceName: string;
  /** min start over the spans, unix ns. */
  startNs: bigint;
  /** max end - min start over the spans, ns. */
  durationNs: bigint;
  hasError: boolean;
  spanCount: number;
}

export interface PolicyResult {
  sampled: boolean;
  /**
   * The probability that this policy samples this trace, whether or not it did this time: 1 or 0 for a
   * deterministic policy, p for a probabilistic one, an estimate for a rate limiter. Must be > 0 when sampled.
   */
  probability: number;
}

/**
 * Where a policy's chance comes from, which decides how results combine without bias:
 * - 'none': a function of the trace alone (status, latency, attributes, span count, always, never);
 * - 'trace': the trace's shared hashed randomness (every `probabilistic` policy uses the same one, so their
 *   decisions nest: the union of p1 and p2 keeps with max(p1, p2), the intersection with min);
 * - 'own': the policy's own state (rate limiting), treated as independent of everything else.
 */
export type Randomness = 'none' | 'trace' | 'own';

export interface SamplingPolicy {
  /** The configured name, recorded as the span's samplingPolicy when this policy keeps the trace. */
  readonly name: string;
  /** The configured type, e.g. 'status_code'. */
  readonly type: string;
  readonly randomness: Randomness;
  evaluate(trace: TraceView, nowMs: number): PolicyResult;
}

export const SAMPLED: PolicyResult = Object.freeze({ sampled: true, probability: 1 });
export const NOT_SAMPLED: PolicyResult = Object.freeze({ sampled: false, probability: 0 });

export function deterministic(sampled: boolean): PolicyResult {
  return sampled ? SAMPLED : NOT_SAMPLED;
}

/** Builds the view of a non-empty list of spans of one trace. */
export function traceView(traceId: string, spans: readonly SpanRow[]): TraceView {
  let root: SpanRow | undefined;
  let start: bigint | undefined;
  let end: bigint | undefined;
  let hasError = false;
  for (const span of spans) {
    if (root === undefined && span.parentSpanId === '') root = span;
    const s = span.startTimeUnixNano;
    const e = s + (span.durationNs > 0n ? span.durationNs : 0n);
    if (start === undefined || s < start) start = s;
    if (end === undefined || e > end) end = e;
    if (span.statusCode === STATUS_CODE_ERROR) hasError = true;
  }
  return {
    traceId,
    spans,
    root,
    serviceName: root?.serviceName ?? spans[0]?.serviceName ?? '',
    startNs: start ?? 0n,
    durationNs: start === undefined || end === undefined ? 0n : end - start,
    hasError,
    spanCount: spans.length,
  };
}

/** Where attribute policies look. */
export type AttributeScope = 'any' | 'span' | 'resource';

/**
 * Calls `visit(type, text)` for each attribute `key` of the trace's spans (span attributes, then resource
 * attributes, as `scope` allows) until it returns true; returns whether it did.
 */
export function someAttribute(trace: TraceView, key: string, scope: AttributeScope, visit: (type: string, text: string) => boolean): boolean {
  for (const span of trace.spans) {
    if (scope !== 'resource' && someIn(span.attributes, key, visit)) return true;
    if (scope !== 'span' && someIn(span.resourceAttributes, key, visit)) return true;
  }
  return false;
}

function someIn(attributes: Attributes, key: string, visit: (type: string, text: string) => boolean): boolean {
  const i = attributes.keys.indexOf(key);
  return i >= 0 && visit(attributes.types[i] ?? '', attributes.values[i] ?? '');
}
