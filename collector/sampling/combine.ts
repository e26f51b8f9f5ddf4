/**
 * How tail-sampling policies combine, at the top level and in `and` / `or`. The rules make the weights
 * unbiased (Horvitz-Thompson: a kept trace weighs 1 / P(kept | trace)):
 *
 * 1. Policies are consulted in configured order, up to the first `never_sample` (policies after it are not
 *    consulted; `never_sample` first drops everything).
 * 2. Deterministic policies (a function of the trace alone: status_code, latency, string_attribute,
 *    numeric_attribute, span_count, always_sample, and composites made only of these) come first: the
 *    first that samples keeps the trace with probability 1 (weight unchanged), whatever its position, and
 *    names the decision. A trace such a policy matches is always kept, so it must weigh 1.
 * 3. Otherwise every probabilistic policy (probabilistic, rate_limiting, composites holding them) is
 *    evaluated, in order (so a rate limiter's state sees every trace that reaches this stage). The trace is
 *    kept if any samples, named by the first that did, with probability
 *        P = 1 - (1 - max(p of trace-randomness policies)) * product(1 - p of own-randomness policies),
 *    which is the exact chance that at least one samples: all `probabilistic` policies share one hashed
 *    random value per trace, so their decisions nest (the union keeps with the largest p); rate limiters
 *    decide from their own state, treated as independent. Kept spans' weights are multiplied by 1 / P.
 */
import type { SpanRow } from '../../core/model/span.js';
import { NEVER_SAMPLE } from './policies/neverSample.js';
import { NOT_SAMPLED, traceView, type PolicyResult, type SamplingPolicy, type TraceView } from './policies/policy.js';

export interface CombinedResult extends PolicyResult {
  /** Index of the policy that sampled (the first deterministic match, else the first probabilistic one), or -1. */
  index: number;
}

export interface TraceDecision {
  keep: boolean;
  /** The name of the top-level policy that kept the trace; null when dropped. */
  policy: string | null;
  /** P(kept | trace) used for the weights; for a dropped trace, the chance it had. */
  probability: number;
}

/** Any-of semantics (the top level and `or`). */
export function combineAny(policies: readonly SamplingPolicy[], trace: TraceView, nowMs: number): CombinedResult {
  let end = policies.findIndex((p) => p.type === NEVER_SAMPLE);
  if (end < 0) end = policies.length;
  for (let i = 0; i < end; i++) {
    const policy = policies[i]!;
    if (policy.randomness === 'none' && policy.evaluate(trace, nowMs).sampled) return { sampled: true, probability: 1, index: i };
  }
  let maxShared = 0;
  let missOwn = 1;
  let first = -1;
  let firstProbability = 0;
  for (let i = 0; i < end; i++) {
    const policy = policies[i]!;
    if (policy.randomness === 'none') continue;
    const result = policy.evaluate(trace, nowMs);
    if (result.sampled && first < 0) {
      first = i;
      firstProbability = result.probability;
    }
    if (policy.randomness === 'trace') maxShared = Math.max(maxShared, result.probability);
    else missOwn *= 1 - result.probability;
  }
  const probability = 1 - (1 - maxShared) * missOwn;
  if (first < 0) return { sampled: false, probability, index: -1 };
  return { sampled: true, probability: Math.min(1, Math.max(probability, firstProbability)), index: first };
}

/** All-of semantics (`and`): see policies/and.ts. */
export function combineAll(policies: readonly SamplingPolicy[], trace: TraceView, nowMs: number): PolicyResult {
  for (const policy of policies) {
    if (policy.randomness === 'none' && !policy.evaluate(trace, nowMs).sampled) return NOT_SAMPLED;
  }
  let sampled = true;
  let own = 1;
  let minShared = 1;
  for (const policy of policies) {
    if (policy.randomness === 'none') continue;
    const result = policy.evaluate(trace, nowMs);
    if (!result.sampled) sampled = false;
    if (policy.randomness === 'trace') minShared = Math.min(minShared, result.probability);
    else own *= result.probability;
  }
  return { sampled, probability: own * minShared };
}

/** The top-level decision for one trace. */
export function decideTrace(policies: readonly SamplingPolicy[], trace: TraceView, nowMs: number): TraceDecision {
  const result = combineAny(policies, trace, nowMs);
  return { keep: result.sampled, policy: result.sampled ? policies[result.index]!.name : null, probability: result.probability };
}

/** Convenience for callers holding rows: the decision for the spans of one trace. */
export function decideSpans(policies: readonly SamplingPolicy[], traceId: string, spans: readonly SpanRow[], nowMs: number): TraceDecision {
  return decideTrace(policies, traceView(traceId, spans), nowMs);
}
