/** Keeps traces with at least `min` (and at most `max`, if given) spans held. */
import { deterministic, type PolicyResult, type SamplingPolicy, type TraceView } from './policy.js';

export class SpanCountPolicy implements SamplingPolicy {
  readonly type = 'span_count';
  readonly randomness = 'none';

  constructor(
    readonly name: string,
    private readonly min: number,
    private readonly max: number = Infinity,
  ) {}

  evaluate(trace: TraceView): PolicyResult {
    return deterministic(trace.spanCount >= this.min && trace.spanCount <= this.max);
  }
}
