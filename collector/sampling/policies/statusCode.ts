/** Keeps traces with a span whose status code is in a list (by default: ERROR). */
import { STATUS_CODE_NAMES } from '../../../core/model/span.js';
import { deterministic, type PolicyResult, type SamplingPolicy, type TraceView } from './policy.js';

export type StatusCodeName = (typeof STATUS_CODE_NAMES)[number];

export class StatusCodePolicy implements SamplingPolicy {
  readonly type = 'status_code';
  readonly randomness = 'none';
  private readonly codes: Set<number>;
  private readonly errorOnly: boolean;

  constructor(
    readonly name: string,
    statusCodes: readonly StatusCodeName[] = ['ERROR'],
  ) {
    this.codes = new Set(statusCodes.map((code) => STATUS_CODE_NAMES.indexOf(code)));
    this.errorOnly = this.codes.size === 1 && statusCodes[0] === 'ERROR';
  }

  evaluate(trace: TraceView): PolicyResult {
    if (this.errorOnly) return deterministic(trace.hasError);
    return deterministic(trace.spans.some((span) => this.codes.has(span.statusCode)));
  }
}
