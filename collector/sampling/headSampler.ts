/**
 * Head sampling in the collector: a consistent, per-span decision by trace randomness, so every collector
 * (and every SDK using OpenTelemetry's TraceIdRatioBased / consistent probability samplers) keeps the same
 * traces. Pure logic: no I/O, no clock.
 *
 * For a span of service s with configured ratio p (perService[s], else defaultRatio):
 * - R is `ot=rv:` from the span's tracestate, else the low 56 bits of the trace id.
 * - Without an upstream threshold, T = probabilityToThreshold(p); keep iff R >= T; weight 2^56 / (2^56 - T).
 * - With an upstream threshold `ot=th:` (T_up, p_up = (2^56 - T_up) / 2^56) that is consistent (R >= T_up),
 *   this stage is the specification's *proportional downstream sampler*: T = threshold(p * p_up), never lower
 *   than T_up, keep iff R >= T, weight = 2^56 / (2^56 - T) = 1 / (p_up * p) (up to threshold rounding).
 *   Note the product threshold matters: with the same R, comparing R against the head threshold alone
 *   would keep with probability min(p_up, p), not p_up * p, and weights 1/(p_up * p) would be biased.
 * - An upstream threshold with R < T_up is inconsistent (the span could not have been kept with it), and
 *   is ignored, as the specification asks ("erase the threshold when it is apparently inconsistent").
 * - A span with no usable randomness (malformed trace id and no `rv`) is kept with weight 1 / p_up.
 * - p = 0 drops every span of the service; p = 1 only applies the upstream weight.
 *
 * Kept rows are MUTATED in place (no copies on the hot path): `sampleWeight` is set (overwritten: head
 * sampling is the first stage after decoding), and when this stage raised the threshold (p < 1) the
 * tracestate's `ot=th:` is rewritten to the effective threshold, as the specification requires of a stage
 * that changes it. Per-service ratios are per *span*: a trace crossing services with different ratios is
 * complete when kept at the lowest ratio, and loses the lower-ratio services' spans otherwise.
 */
import type { SpanRow } from '../../core/model/span.js';
import {
  parseOtelTraceState,
  probabilityToThreshold,
  randomnessOf,
  thresholdHex14,
  thresholdToAdjustedCount,
  thresholdToProbability,
  thresholdToTh,
  withOtelThreshold,
} from './consistentProbability.js';

export interface HeadSamplerConfig {
  /** Ratio for services not listed, from 0 (drop all) to 1 (keep all). */
  defaultRatio: number;
  /** Ratio by service name (the span's `serviceName`). */
  perService: Record<string, number>;
}

export interface HeadSampleResult {
  /** The kept rows (the same objects, mutated: sampleWeight, maybe traceState). */
  kept: SpanRow[];
  keptCount: number;
  droppedCount: number;
}

/** Cumulative counts since construction, for metrics. */
export interface HeadSamplerCounters {
  spansKept: number;
  spansDropped: number;
  /** Spans that arrived with a usable upstream `ot=th:` threshold. */
  upstreamThresholds: number;
  /** Spans whose upstream threshold was inconsistent with their randomness, and so ignored. */
  inconsistentThresholds: number;
  /** Spans without usable randomness (kept unsampled). */
  noRandomness: number;
}

interface Rule {
  ratio: number;
  threshold: bigint;
  hex: string;
  weight: number;
  th: string;
}

const MAX_PRODUCT_CACHE = 4096;

export class HeadSampler {
  readonly counters: HeadSamplerCounters = { spansKept: 0, spansDropped: 0, upstreamThresholds: 0, inconsistentThresholds: 0, noRandomness: 0 };
  private readonly defaultRule: Rule;
  private readonly serviceRules = new Map<string, Rule>();
  /** Effective rules for (ratio, upstream th) pairs, computed once. */
  private readonly productRules = new Map<string, Rule>();

  constructor(config: HeadSamplerConfig) {
    this.defaultRule = ruleOf(config.defaultRatio, 'defaultRatio');
    for (const service of Object.keys(config.perService)) {
      this.serviceRules.set(service, ruleOf(config.perService[service]!, `perService["${service}"]`));
    }
  }

  /** True when no configured ratio is below 1 (rows still get upstream weights from `ot=th:`). */
  get keepsEverything(): boolean {
    return this.defaultRule.ratio === 1 && [...this.serviceRules.values()].every((r) => r.ratio === 1);
  }

  sample(rows: SpanRow[]): HeadSampleResult {
    const kept: SpanRow[] = [];
    for (const row of rows) if (this.sampleRow(row)) kept.push(row);
    const droppedCount = rows.length - kept.length;
    this.counters.spansKept += kept.length;
    this.counters.spansDropped += droppedCount;
    return { kept, keptCount: kept.length, droppedCount };
  }

  /** Decides one span; when kept, sets its weight (and threshold) and returns true. Does not count. */
  sampleRow(row: SpanRow): boolean {
    const rule = this.serviceRules.get(row.serviceName) ?? this.defaultRule;
    if (rule.ratio === 0) return false;
    const state = parseOtelTraceState(row.traceState);
    const r = randomnessOf(row.traceId, state);
    let upstream = state.threshold;
    if (upstream !== undefined && r !== undefined && r < thresholdHex14(upstream)) {
      this.counters.inconsistentThresholds++;
      upstream = undefined;
    }
    if (upstream !== undefined) this.counters.upstreamThresholds++;
    if (r === undefined) {
      this.counters.noRandomness++;
      row.sampleWeight = upstream === undefined ? 1 : thresholdToAdjustedCount(upstream);
      return true;
    }
    if (upstream === undefined || upstream === 0n) {
      if (r < rule.hex) return false;
      row.sampleWeight = rule.weight;
      if (rule.ratio < 1) row.traceState = withOtelThreshold(row.traceState, rule.th);
      return true;
    }
    if (rule.ratio === 1) {
      row.sampleWeight = thresholdToAdjustedCount(upstream);
      return true;
    }
    const effective = this.productRule(rule, upstream);
    if (r < effective.hex) return false;
    row.sampleWeight = effective.weight;
    row.traceState = withOtelThreshold(row.traceState, effective.th);
    return true;
  }

  private productRule(rule: Rule, upstream: bigint): Rule {
    const key = `${rule.ratio}|${upstream}`;
    let effective = this.productRules.get(key);
    if (effective === undefined) {
      const p = Math.max(rule.ratio * thresholdToProbability(upstream), 2 ** -56);
      let threshold = probabilityToThreshold(p);
      if (threshold < upstream) threshold = upstream; // a downstream stage never lowers the threshold
      effective = thresholdRule(p, threshold);
      if (this.productRules.size >= MAX_PRODUCT_CACHE) this.productRules.clear();
      this.productRules.set(key, effective);
    }
    return effective;
  }
}

function ruleOf(ratio: number, what: string): Rule {
  if (!(ratio >= 0 && ratio <= 1)) throw new RangeError(`head sampling ${what}=${ratio}: expected a number from 0 to 1`);
  if (ratio === 0) return { ratio: 0, threshold: 0n, hex: '', weight: 0, th: '' };
  // Ratios below 2^-56 cannot be expressed; they round up to the smallest probability.
  return thresholdRule(ratio, probabilityToThreshold(Math.max(ratio, 2 ** -56)));
}

function thresholdRule(ratio: number, threshold: bigint): Rule {
  return { ratio, threshold, hex: thresholdHex14(threshold), weight: thresholdToAdjustedCount(threshold), th: thresholdToTh(threshold) };
}
