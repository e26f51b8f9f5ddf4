/**
 * Samples when any sub-policy samples, with the same rules as the top level (combine.ts): a deterministic
 * match gives probability 1; otherwise every probabilistic sub-policy is evaluated and the probability is
 * 1 - (1 - max of trace-randomness parts) * product of (1 - own-randomness parts).
 */
import { combineAny } from '../combine.js';
import { randomnessOfComposite } from './and.js';
import type { PolicyResult, Randomness, SamplingPolicy, TraceView } from './policy.js';

export class OrPolicy implements SamplingPolicy {
  readonly type = 'or';
  readonly randomness: Randomness;

  constructor(
    readonly name: string,
    readonly policies: readonly SamplingPolicy[],
  ) {
    this.randomness = randomnessOfComposite(policies);
  }

  evaluate(trace: TraceView, nowMs: number): PolicyResult {
    const { sampled, probability } = combineAny(this.policies, trace, nowMs);
    return { sampled, probability };
  }
}
