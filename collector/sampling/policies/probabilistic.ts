/**
 * Keeps a fixed share p of traces, consistently by trace id: every collector and every run keeps the same
 * traces for the same p, and a trace kept at p is kept at every p' >= p.
 *
 * The randomness is 56 bits of SHA-256 of the trace id (with a fixed salt), compared with the
 * OpenTelemetry threshold of p (keep iff R' >= T, p reported as (2^56 - T) / 2^56 exactly). It is
 * deliberately NOT the trace id's low 56 bits the head sampler uses: after head sampling at p_h, the traces
 * that reach the tail have those bits >= T_h, so a second comparison of the same bits would keep
 * min(p, p_h) / p_h of them rather than p, and weights 1 / (p_h * p) would be wrong (e.g. head 0.5 and tail
 * 0.1 keep 10% of all traces, not 5%). Hashed randomness is independent of the head decision, so the
 * probabilities multiply, and it does not depend on SDKs generating random low bits.
 */
import { createHash } from 'node:crypto';
import { probabilityToThreshold, thresholdHex14, thresholdToProbability } from '../consistentProbability.js';
import type { PolicyResult, SamplingPolicy, TraceView } from './policy.js';

const SALT = 'ducktrace/tail/v1:';
const memo = new WeakMap<TraceView, string>();

/** The trace's tail randomness: 14 hex digits (56 bits), shared by every probabilistic policy. */
export function tailRandomness(trace: TraceView): string {
  let r = memo.get(trace);
  if (r === undefined) {
    r = tailRandomnessOfId(trace.traceId);
    memo.set(trace, r);
  }
  return r;
}

export function tailRandomnessOfId(traceId: string): string {
  return createHash('sha256').update(SALT).update(traceId).digest('hex').slice(0, 14);
}

export class ProbabilisticPolicy implements SamplingPolicy {
  readonly type = 'probabilistic';
  readonly randomness = 'trace';
  /** The probability actually applied (the ratio rounded to its threshold). */
  readonly probability: number;
  private readonly thresholdHex: string;

  constructor(
    readonly name: string,
    ratio: number,
  ) {
    const threshold = probabilityToThreshold(ratio);
    this.thresholdHex = thresholdHex14(threshold);
    this.probability = thresholdToProbability(threshold);
  }

  evaluate(trace: TraceView): PolicyResult {
    return { sampled: tailRandomness(trace) >= this.thresholdHex, probability: this.probability };
  }
}
