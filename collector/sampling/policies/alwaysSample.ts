/** Keeps every trace (probability 1). */
import { SAMPLED, type PolicyResult, type SamplingPolicy } from './policy.js';

export class AlwaysSamplePolicy implements SamplingPolicy {
  readonly type = 'always_sample';
  readonly randomness = 'none';

  constructor(readonly name: string) {}

  evaluate(): PolicyResult {
    return SAMPLED;
  }
}
