/**
 * Samples nothing. At the top level it also ends evaluation: policies listed after it are not consulted,
 * so a trace no earlier policy kept is dropped (see combine.ts). Inside `and` it makes the whole `and` false.
 */
import { NOT_SAMPLED, type PolicyResult, type SamplingPolicy } from './policy.js';

export const NEVER_SAMPLE = 'never_sample';

export class NeverSamplePolicy implements SamplingPolicy {
  readonly type = NEVER_SAMPLE;
  readonly randomness = 'none';

  constructor(readonly name: string) {}

  evaluate(): PolicyResult {
    return NOT_SAMPLED;
  }
}
