/**
 * The sampling section of the config file (YAML or JSON, parsed elsewhere into a plain object), its
 * validation, and the policy objects built from it. With no `sampling` section nothing is sampled: head
 * ratio 1 (spans keep only upstream `ot=th:` weights) and tail sampling disabled.
 *
 * ```yaml
 * sampling:
 *   head: { ratio: 1.0, services: { noisy-service: 0.1 } }
 *   tail:
 *     enabled: true
 *     decisionWaitMs: 10000      # after the trace's last span
 *     quietAfterRootMs: 2000     # after the last span, once the root has arrived
 *     maxTraces: 50000
 *     maxSpans: 1000000
 *     maxSpansPerTrace: 10000
 *     decisionCacheSize: 100000
 *     policies:
 *       - { name: errors, type: status_code, statusCodes: [ERROR] }
 *       - { name: slow, type: latency, thresholdMs: 1000 }
 *       - { name: checkout, type: string_attribute, key: http.route, values: [/checkout], invert: false }
 *       - { name: per-service-cap, type: rate_limiting, tracesPerSecond: 100 }
 *       - { name: baseline, type: probabilistic, ratio: 0.1 }
 *       - { name: both, type: and, policies: [ ... ] }
 * ```
 */
import { ConfigError } from '../../core/config.js';
import { STATUS_CODE_NAMES } from '../../core/model/span.js';
import type { HeadSamplerConfig } from './headSampler.js';
import { AlwaysSamplePolicy } from './policies/alwaysSample.js';
import { AndPolicy } from './policies/and.js';
import { LatencyPolicy } from './policies/latency.js';
import { NeverSamplePolicy } from './policies/neverSample.js';
import { NumericAttributePolicy } from './policies/numericAttribute.js';
import { OrPolicy } from './policies/or.js';
import type { AttributeScope, SamplingPolicy } from './policies/policy.js';
import { ProbabilisticPolicy } from './policies/probabilistic.js';
import { RateLimitingPolicy } from './policies/rateLimiting.js';
import { SpanCountPolicy } from './policies/spanCount.js';
import { compileSafeRegex, StringAttributePolicy } from './policies/stringAttribute.js';
import { StatusCodePolicy, type StatusCodeName } from './policies/statusCode.js';
import { TAIL_DEFAULTS, type TailSamplerOptions } from './tailSampler.js';

export interface HeadSamplingConfig {
  /** Keep ratio for services not listed, 0 to 1. */
  ratio: number;
  /** Keep ratio by service name. */
  services: Record<string, number>;
}

interface Named {
  name: string;
}

export type PolicyConfig = Named &
  (
    | { type: 'status_code'; statusCodes: StatusCodeName[] }
    | { type: 'latency'; thresholdMs: number }
    | { type: 'string_attribute'; key: string; values: string[]; regex?: string | undefined; invert: boolean; scope: AttributeScope }
    | { type: 'numeric_attribute'; key: string; min?: number | undefined; max?: number | undefined; invert: boolean; scope: AttributeScope }
    | { type: 'span_count'; min: number; max?: number | undefined }
    | { type: 'rate_limiting'; tracesPerSecond: number; burst?: number | undefined; windowMs: number }
    | { type: 'probabilistic'; ratio: number }
    | { type: 'always_sample' }
    | { type: 'never_sample' }
    | { type: 'and'; policies: PolicyConfig[] }
    | { type: 'or'; policies: PolicyConfig[] }
  );

export type PolicyType = PolicyConfig['type'];

export interface TailSamplingConfig {
  enabled: boolean;
  decisionWaitMs: number;
  quietAfterRootMs: number;
  maxTraces: number;
  maxSpans: number;
  maxSpansPerTrace: number;
  decisionCacheSize: number;
  policies: PolicyConfig[];
}

export interface SamplingConfig {
  head: HeadSamplingConfig;
  tail: TailSamplingConfig;
}

export function defaultSamplingConfig(): SamplingConfig {
  return { head: { ratio: 1, services: {} }, tail: { enabled: false, ...TAIL_DEFAULTS, policies: [] } };
}

const MAX_POLICY_DEPTH = 8;
const MAX_POLICIES = 1000;
const HOUR_MS = 3_600_000;

/** The keys each policy type takes besides name and type. */
const POLICY_KEYS: Record<PolicyType, readonly string[]> = {
  status_code: ['statusCodes'],
  latency: ['thresholdMs'],
  string_attribute: ['key', 'values', 'regex', 'invert', 'scope'],
  numeric_attribute: ['key', 'min', 'max', 'invert', 'scope'],
  span_count: ['min', 'max'],
  rate_limiting: ['tracesPerSecond', 'burst', 'windowMs'],
  probabilistic: ['ratio'],
  always_sample: [],
  never_sample: [],
  and: ['policies'],
  or: ['policies'],
};

/**
 * Validates the value of the config file's `sampling` key (undefined or null: the defaults). Every error is
 * a ConfigError naming `where` (e.g. the file path), the key path and the value, e.g.
 * `ducktrace.yaml: sampling.tail.policies[2].thresholdMs="fast": expected a number >= 0`.
 */
export function parseSamplingConfig(raw: unknown, where: string): SamplingConfig {
  const v = new Validator(where);
  const config = defaultSamplingConfig();
  if (raw === undefined || raw === null) return config;
  const sampling = v.object(raw, 'sampling', ['head', 'tail']);
  if (sampling.head !== undefined && sampling.head !== null) {
    const head = v.object(sampling.head, 'sampling.head', ['ratio', 'services']);
    if (head.ratio !== undefined) config.head.ratio = v.number(head.ratio, 'sampling.head.ratio', 0, 1);
    if (head.services !== undefined && head.services !== null) {
      const services = v.object(head.services, 'sampling.head.services', null);
      // A null prototype, so a service named "__proto__" is just a key.
      config.head.services = Object.create(null) as Record<string, number>;
      for (const [service, ratio] of Object.entries(services)) {
        config.head.services[service] = v.number(ratio, `sampling.head.services[${JSON.stringify(service)}]`, 0, 1);
      }
    }
  }
  if (sampling.tail !== undefined && sampling.tail !== null) {
    const p = 'sampling.tail';
    const tail = v.object(sampling.tail, p, ['enabled', 'decisionWaitMs', 'quietAfterRootMs', 'maxTraces', 'maxSpans', 'maxSpansPerTrace', 'decisionCacheSize', 'policies']);
    const t = config.tail;
    if (tail.enabled !== undefined) t.enabled = v.boolean(tail.enabled, `${p}.enabled`);
    if (tail.decisionWaitMs !== undefined) t.decisionWaitMs = v.integer(tail.decisionWaitMs, `${p}.decisionWaitMs`, 0, HOUR_MS);
    if (tail.quietAfterRootMs !== undefined) t.quietAfterRootMs = v.integer(tail.quietAfterRootMs, `${p}.quietAfterRootMs`, 0, HOUR_MS);
    if (tail.maxTraces !== undefined) t.maxTraces = v.integer(tail.maxTraces, `${p}.maxTraces`, 1, 100_000_000);
    if (tail.maxSpans !== undefined) t.maxSpans = v.integer(tail.maxSpans, `${p}.maxSpans`, 1, 1_000_000_000);
    if (tail.maxSpansPerTrace !== undefined) t.maxSpansPerTrace = v.integer(tail.maxSpansPerTrace, `${p}.maxSpansPerTrace`, 1, 100_000_000);
    if (tail.decisionCacheSize !== undefined) t.decisionCacheSize = v.integer(tail.decisionCacheSize, `${p}.decisionCacheSize`, 0, 100_000_000);
    if (t.quietAfterRootMs > t.decisionWaitMs) {
      v.fail(`${p}.quietAfterRootMs`, t.quietAfterRootMs, `expected at most decisionWaitMs (${t.decisionWaitMs})`);
    }
    if (tail.policies !== undefined && tail.policies !== null) t.policies = v.policies(tail.policies, `${p}.policies`, 0, true);
    if (t.enabled && t.policies.length === 0) v.fail(`${p}.policies`, tail.policies ?? [], 'tail sampling is enabled, so at least one policy is needed');
  }
  return config;
}

class Validator {
  private count = 0;

  constructor(private readonly where: string) {}

  fail(path: string, value: unknown, expected: string): never {
    let text: string;
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
    if (text.length > 100) text = `${text.slice(0, 100)}...`;
    throw new ConfigError(`${this.where ? `${this.where}: ` : ''}${path}=${text}: ${expected}`);
  }

  /** A plain mapping; with `keys`, refuses any other key. */
  object(raw: unknown, path: string, keys: readonly string[] | null): Record<string, unknown> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) this.fail(path, raw, 'expected a mapping');
    const record = raw as Record<string, unknown>;
    if (keys !== null) {
      for (const key of Object.keys(record)) {
        if (!keys.includes(key)) this.fail(`${path}.${key}`, record[key], `unknown key; known: ${keys.join(', ') || '(none)'}`);
      }
    }
    return record;
  }

  number(raw: unknown, path: string, min: number, max: number, minExclusive = false): number {
    const ok = typeof raw === 'number' && Number.isFinite(raw) && (minExclusive ? raw > min : raw >= min) && raw <= max;
    if (!ok) {
      const range = max === Infinity ? `${minExclusive ? '>' : '>='} ${min}` : `from ${min}${minExclusive ? ' (exclusive)' : ''} to ${max}`;
      this.fail(path, raw, `expected a number ${range}`);
    }
    return raw as number;
  }

  integer(raw: unknown, path: string, min: number, max: number): number {
    if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < min || raw > max) this.fail(path, raw, `expected a whole number from ${min} to ${max}`);
    return raw;
  }

  boolean(raw: unknown, path: string): boolean {
    if (typeof raw !== 'boolean') this.fail(path, raw, 'expected true or false');
    return raw;
  }

  string(raw: unknown, path: string): string {
    if (typeof raw !== 'string' || raw === '') this.fail(path, raw, 'expected a non-empty string');
    return raw;
  }

  stringList(raw: unknown, path: string, allowed?: readonly string[]): string[] {
    if (!Array.isArray(raw)) this.fail(path, raw, 'expected a list of strings');
    return raw.map((item, i) => {
      if (typeof item !== 'string') this.fail(`${path}[${i}]`, item, 'expected a string');
      if (allowed && !allowed.includes(item)) this.fail(`${path}[${i}]`, item, `expected one of ${allowed.join(', ')}`);
      return item;
    });
  }

  policies(raw: unknown, path: string, depth: number, topLevel: boolean): PolicyConfig[] {
    if (!Array.isArray(raw)) this.fail(path, raw, 'expected a list of policies');
    if (depth > 0 && raw.length === 0) this.fail(path, raw, 'expected at least one policy');
    const policies = raw.map((item, i) => this.policy(item, `${path}[${i}]`, depth, topLevel ? null : `${path}[${i}]`));
    if (topLevel) {
      const seen = new Set<string>();
      policies.forEach((policy, i) => {
        if (seen.has(policy.name)) this.fail(`${path}[${i}].name`, policy.name, 'policy names must be unique');
        seen.add(policy.name);
      });
    }
    return policies;
  }

  /** `defaultName` null: the name is required (top level); sub-policies default to their path. */
  private policy(raw: unknown, path: string, depth: number, defaultName: string | null): PolicyConfig {
    if (++this.count > MAX_POLICIES) this.fail(path, '...', `at most ${MAX_POLICIES} policies in all`);
    const record = this.object(raw, path, null);
    const type = record.type;
    if (typeof type !== 'string' || !Object.hasOwn(POLICY_KEYS, type)) {
      this.fail(`${path}.type`, type, `expected one of ${Object.keys(POLICY_KEYS).join(', ')}`);
    }
    const t = type as PolicyType;
    this.object(raw, path, ['name', 'type', ...POLICY_KEYS[t]]);
    const name = record.name === undefined && defaultName !== null ? defaultName : this.string(record.name, `${path}.name`);
    const required = (key: string): unknown => {
      if (record[key] === undefined) this.fail(`${path}.${key}`, undefined, `required for type ${t}`);
      return record[key];
    };
    const optional = <R>(key: string, parse: (value: unknown, keyPath: string) => R): R | undefined =>
      record[key] === undefined ? undefined : parse(record[key], `${path}.${key}`);
    const scope = () => (optional('scope', (x, p) => this.stringList([x], p, ['any', 'span', 'resource'])[0]) ?? 'any') as AttributeScope;
    switch (t) {
      case 'status_code': {
        const codes = optional('statusCodes', (x, p) => this.stringList(x, p, STATUS_CODE_NAMES)) ?? ['ERROR'];
        if (codes.length === 0) this.fail(`${path}.statusCodes`, codes, 'expected at least one status code');
        return { name, type: t, statusCodes: codes as StatusCodeName[] };
      }
      case 'latency':
        return { name, type: t, thresholdMs: this.number(required('thresholdMs'), `${path}.thresholdMs`, 0, Infinity) };
      case 'string_attribute': {
        const key = this.string(required('key'), `${path}.key`);
        const values = optional('values', (x, p) => this.stringList(x, p)) ?? [];
        const regex = optional('regex', (x, p) => {
          const pattern = typeof x === 'string' ? x : this.fail(p, x, 'expected a string');
          try {
            compileSafeRegex(pattern);
          } catch (error) {
            this.fail(p, x, (error as Error).message);
          }
          return pattern;
        });
        if (values.length === 0 && regex === undefined) this.fail(`${path}.values`, record.values, 'expected a non-empty list of values, or a regex');
        return { name, type: t, key, values, regex, invert: optional('invert', (x, p) => this.boolean(x, p)) ?? false, scope: scope() };
      }
      case 'numeric_attribute': {
        const key = this.string(required('key'), `${path}.key`);
        const min = optional('min', (x, p) => this.number(x, p, -Infinity, Infinity));
        const max = optional('max', (x, p) => this.number(x, p, -Infinity, Infinity));
        if (min === undefined && max === undefined) this.fail(`${path}.min`, undefined, 'expected min, max or both');
        if (min !== undefined && max !== undefined && max < min) this.fail(`${path}.max`, max, `expected a number >= min (${min})`);
        return { name, type: t, key, min, max, invert: optional('invert', (x, p) => this.boolean(x, p)) ?? false, scope: scope() };
      }
      case 'span_count': {
        const min = this.integer(required('min'), `${path}.min`, 0, Number.MAX_SAFE_INTEGER);
        const max = optional('max', (x, p) => this.integer(x, p, min, Number.MAX_SAFE_INTEGER));
        return { name, type: t, min, max };
      }
      case 'rate_limiting':
        return {
          name,
          type: t,
          tracesPerSecond: this.number(required('tracesPerSecond'), `${path}.tracesPerSecond`, 0, 1e9, true),
          burst: optional('burst', (x, p) => this.number(x, p, 1, 1e9)),
          windowMs: optional('windowMs', (x, p) => this.integer(x, p, 10, HOUR_MS)) ?? 10_000,
        };
      case 'probabilistic':
        return { name, type: t, ratio: this.number(required('ratio'), `${path}.ratio`, 2 ** -56, 1) };
      case 'always_sample':
      case 'never_sample':
        return { name, type: t };
      case 'and':
      case 'or':
        if (depth >= MAX_POLICY_DEPTH) this.fail(`${path}.policies`, '...', `composites nest at most ${MAX_POLICY_DEPTH} deep`);
        return { name, type: t, policies: this.policies(required('policies'), `${path}.policies`, depth + 1, false) };
    }
  }
}

/** The policy objects of validated policy configs, in order. */
export function buildPolicies(configs: readonly PolicyConfig[]): SamplingPolicy[] {
  return configs.map(buildPolicy);
}

function buildPolicy(c: PolicyConfig): SamplingPolicy {
  switch (c.type) {
    case 'status_code':
      return new StatusCodePolicy(c.name, c.statusCodes);
    case 'latency':
      return new LatencyPolicy(c.name, c.thresholdMs);
    case 'string_attribute':
      return new StringAttributePolicy(c.name, c);
    case 'numeric_attribute':
      return new NumericAttributePolicy(c.name, c);
    case 'span_count':
      return new SpanCountPolicy(c.name, c.min, c.max);
    case 'rate_limiting':
      return new RateLimitingPolicy(c.name, c);
    case 'probabilistic':
      return new ProbabilisticPolicy(c.name, c.ratio);
    case 'always_sample':
      return new AlwaysSamplePolicy(c.name);
    case 'never_sample':
      return new NeverSamplePolicy(c.name);
    case 'and':
      return new AndPolicy(c.name, buildPolicies(c.policies));
    case 'or':
      return new OrPolicy(c.name, buildPolicies(c.policies));
  }
}

export function headSamplerConfigOf(config: SamplingConfig): HeadSamplerConfig {
  return { defaultRatio: config.head.ratio, perService: { ...config.head.services } };
}

/** The TailSampler options of an enabled tail config (policies built). */
export function tailSamplerOptionsOf(config: SamplingConfig): TailSamplerOptions {
  const { enabled: _enabled, policies, ...bounds } = config.tail;
  return { ...bounds, policies: buildPolicies(policies) };
}
