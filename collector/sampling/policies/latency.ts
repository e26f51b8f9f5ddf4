/** Keeps traces whose duration (max end - min start over the spans held) is at least a threshold. */
import { deterministic, type PolicyResult, type SamplingPolicy, type TraceView } from './policy.js';

export class LatencyPolicy implements SamplingPolicy {
  readonly type = 'latency';
  readonly randomness = 'none';
  private readonly thresholdNs: bigint;

  constructor(
    readonly name: string,
    thresholdMs: number,
  ) {
    this.thresholdNs = BigInt(Math.round(thresholdMs * 1e6));
  }

  evaluate(trace: TraceView): PolicyResult {
    return deterministic(trace.durationNs >= this.thresholdNs);
  }
}
