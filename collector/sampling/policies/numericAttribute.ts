/**
 * Keeps traces where some span (or resource) has the int or double attribute `key` within [min, max]
 * (either bound optional, inclusive); `invert` keeps the traces where none does.
 */
import { ATTRIBUTE_TYPE } from '../../../core/model/span.js';
import { deterministic, someAttribute, type AttributeScope, type PolicyResult, type SamplingPolicy, type TraceView } from './policy.js';

export interface NumericAttributeOptions {
  key: string;
  min?: number | undefined;
  max?: number | undefined;
  invert?: boolean | undefined;
  scope?: AttributeScope | undefined;
}

export class NumericAttributePolicy implements SamplingPolicy {
  readonly type = 'numeric_attribute';
  readonly randomness = 'none';
  private readonly min: number;
  private readonly max: number;

  constructor(
    readonly name: string,
    private readonly options: NumericAttributeOptions,
  ) {
    this.min = options.min ?? -Infinity;
    this.max = options.max ?? Infinity;
  }

  evaluate(trace: TraceView): PolicyResult {
    const matched = someAttribute(trace, this.options.key, this.options.scope ?? 'any', (type, text) => {
      if (type !== ATTRIBUTE_TYPE.int && type !== ATTRIBUTE_TYPE.double) return false;
      const value = Number(text);
      return value >= this.min && value <= this.max;
    });
    return deterministic(matched !== (this.options.invert ?? false));
  }
}
