/**
 * Samples when every sub-policy samples. Deterministic sub-policies are evaluated first and a false one
 * ends evaluation (so a rate limiter behind a condition only spends tokens on matching traces).
 * Probability = product of the deterministic and own-randomness (rate limiting) parts, times the MIN of
 * the trace-randomness (probabilistic) parts, since those share one random value and nest. Exact when the
 * own-randomness parts are independent of the rest (the rate limiter's estimate is itself approximate).
 */
import { combineAll } from '../combine.js';
import type { PolicyResult, Randomness, SamplingPolicy, TraceView } from './policy.js';

export class AndPolicy implements SamplingPolicy {
  readonly type = 'and';
  readonly randomness: Randomness;

  constructor(
    readonly name: string,
    readonly policies: readonly SamplingPolicy[],
  ) {
    this.randomness = randomnessOfComposite(policies);
  }

  evaluate(trace: TraceView, nowMs: number): PolicyResult {
    return combineAll(this.policies, trace, nowMs);
  }
}

export function randomnessOfComposite(policies: readonly SamplingPolicy[]): Randomness {
  if (policies.some((p) => p.randomness === 'own')) return 'own';
  if (policies.some((p) => p.randomness === 'trace')) return 'trace';
  return 'none';
}
