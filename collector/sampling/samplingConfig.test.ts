import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../core/config.js';
import { buildPolicies, defaultSamplingConfig, headSamplerConfigOf, parseSamplingConfig, tailSamplerOptionsOf } from './samplingConfig.js';

const EXAMPLE = `
sampling:
  head: { ratio: 1.0, services: { noisy-service: 0.1 } }
  tail:
    enabled: true
    decisionWaitMs: 10000
    quietAfterRootMs: 2000
    maxTraces: 50000
    maxSpans: 1000000
    decisionCacheSize: 100000
    policies:
      - { name: errors, type: status_code, statusCodes: [ERROR] }
      - { name: slow, type: latency, thresholdMs: 1000 }
      - { name: checkout, type: string_attribute, key: http.route, values: [/checkout], invert: false }
      - { name: big, type: span_count, min: 100 }
      - { name: 5xx, type: numeric_attribute, key: http.response.status_code, min: 500, max: 599 }
      - { name: per-service-cap, type: rate_limiting, tracesPerSecond: 100 }
      - { name: baseline, type: probabilistic, ratio: 0.1 }
      - name: both
        type: and
        policies:
          - { type: string_attribute, key: db.system, regex: "post.*" }
          - { type: or, policies: [{ type: always_sample }, { type: never_sample }] }
`;

test('the example config parses, and builds policies and sampler options', () => {
  const config = parseSamplingConfig((parseYaml(EXAMPLE) as { sampling: unknown }).sampling, 'ducktrace.yaml');
  assert.equal(config.head.ratio, 1);
  assert.deepEqual({ ...config.head.services }, { 'noisy-service': 0.1 });
  assert.equal(config.tail.enabled, true);
  assert.equal(config.tail.maxSpansPerTrace, 10_000);
  assert.deepEqual(config.tail.policies[0], { name: 'errors', type: 'status_code', statusCodes: ['ERROR'] });
  assert.deepEqual(config.tail.policies[2], { name: 'checkout', type: 'string_attribute', key: 'http.route', values: ['/checkout'], regex: undefined, invert: false, scope: 'any' });
  const both = config.tail.policies[7]!;
  assert.ok(both.type === 'and');
  assert.equal(both.policies[0]!.name, 'sampling.tail.policies[7].policies[0]', 'sub-policies are named by path');
  const policies = buildPolicies(config.tail.policies);
  assert.deepEqual(policies.map((p) => [p.name, p.type, p.randomness]), [
    ['errors', 'status_code', 'none'],
    ['slow', 'latency', 'none'],
    ['checkout', 'string_attribute', 'none'],
    ['big', 'span_count', 'none'],
    ['5xx', 'numeric_attribute', 'none'],
    ['per-service-cap', 'rate_limiting', 'own'],
    ['baseline', 'probabilistic', 'trace'],
    ['both', 'and', 'none'],
  ]);
  assert.deepEqual(headSamplerConfigOf(config), { defaultRatio: 1, perService: { 'noisy-service': 0.1 } });
  const options = tailSamplerOptionsOf(config);
  assert.equal(options.decisionWaitMs, 10_000);
  assert.equal(options.policies.length, 8);
});

test('no sampling section means no sampling', () => {
  assert.deepEqual(parseSamplingConfig(undefined, 'f'), defaultSamplingConfig());
  assert.deepEqual(parseSamplingConfig({}, 'f'), defaultSamplingConfig());
  assert.equal(defaultSamplingConfig().head.ratio, 1);
  assert.equal(defaultSamplingConfig().tail.enabled, false);
});

test('every bad value is refused with its key path and value', () => {
  const tail = (policies: unknown[], extra: Record<string, unknown> = {}) => ({ tail: { enabled: true, policies, ...extra } });
  const cases: Array<[unknown, string]> = [
    [tail([{ name: 'a', type: 'always_sample' }, { name: 'b', type: 'always_sample' }, { name: 's', type: 'latency', thresholdMs: 'fast' }]), 'f.yaml: sampling.tail.policies[2].thresholdMs="fast": expected a number >= 0'],
    [tail([{ name: 's', type: 'latency', thresholdMs: -1 }]), 'sampling.tail.policies[0].thresholdMs=-1: expected a number >= 0'],
    [tail([{ name: 's', type: 'latency' }]), 'sampling.tail.policies[0].thresholdMs=undefined: required for type latency'],
    [tail([{ name: 'x', type: 'magic' }]), 'sampling.tail.policies[0].type="magic": expected one of status_code, latency'],
    [tail([{ name: 'x', type: 'latency', thresholdMs: 1, colour: 'red' }]), 'sampling.tail.policies[0].colour="red": unknown key; known: name, type, thresholdMs'],
    [tail([{ type: 'always_sample' }]), 'sampling.tail.policies[0].name=undefined: expected a non-empty string'],
    [tail([{ name: 'a', type: 'always_sample' }, { name: 'a', type: 'never_sample' }]), 'sampling.tail.policies[1].name="a": policy names must be unique'],
    [tail([{ name: 'p', type: 'probabilistic', ratio: 0 }]), 'sampling.tail.policies[0].ratio=0: expected a number from'],
    [tail([{ name: 'p', type: 'probabilistic', ratio: 1.5 }]), 'sampling.tail.policies[0].ratio=1.5'],
    [tail([{ name: 'r', type: 'rate_limiting', tracesPerSecond: 0 }]), 'sampling.tail.policies[0].tracesPerSecond=0: expected a number from 0 (exclusive)'],
    [tail([{ name: 'c', type: 'status_code', statusCodes: ['FAILED'] }]), 'sampling.tail.policies[0].statusCodes[0]="FAILED": expected one of UNSET, OK, ERROR'],
    [tail([{ name: 's', type: 'string_attribute', key: 'k' }]), 'sampling.tail.policies[0].values=undefined: expected a non-empty list of values, or a regex'],
    [tail([{ name: 's', type: 'string_attribute', key: 'k', regex: '(a+)+' }]), 'sampling.tail.policies[0].regex="(a+)+": a quantifier on a group'],
    [tail([{ name: 's', type: 'string_attribute', key: 'k', values: ['x'], scope: 'trace' }]), 'sampling.tail.policies[0].scope[0]="trace": expected one of any, span, resource'],
    [tail([{ name: 'n', type: 'numeric_attribute', key: 'k' }]), 'sampling.tail.policies[0].min=undefined: expected min, max or both'],
    [tail([{ name: 'n', type: 'numeric_attribute', key: 'k', min: 5, max: 1 }]), 'sampling.tail.policies[0].max=1: expected a number >= min (5)'],
    [tail([{ name: 'c', type: 'span_count', min: 1.5 }]), 'sampling.tail.policies[0].min=1.5: expected a whole number'],
    [tail([{ name: 'a', type: 'and', policies: [] }]), 'sampling.tail.policies[0].policies=[]: expected at least one policy'],
    [tail([{ name: 'a', type: 'or', policies: [{ type: 'latency', thresholdMs: 'x' }] }]), 'sampling.tail.policies[0].policies[0].thresholdMs="x"'],
    [tail([]), 'sampling.tail.policies=[]: tail sampling is enabled, so at least one policy is needed'],
    [tail([{ name: 'a', type: 'always_sample' }], { decisionWaitMs: 1000, quietAfterRootMs: 2000 }), 'sampling.tail.quietAfterRootMs=2000: expected at most decisionWaitMs (1000)'],
    [tail([{ name: 'a', type: 'always_sample' }], { maxTraces: 0 }), 'sampling.tail.maxTraces=0: expected a whole number from 1'],
    [tail([{ name: 'a', type: 'always_sample' }], { enabled: 'yes' }), 'sampling.tail.enabled="yes": expected true or false'],
    [tail([{ name: 'a', type: 'always_sample' }], { wait: 1 }), 'sampling.tail.wait=1: unknown key'],
    [{ head: { ratio: 2 } }, 'sampling.head.ratio=2: expected a number from 0 to 1'],
    [{ head: { services: { a: '0.5' } } }, 'sampling.head.services["a"]="0.5": expected a number from 0 to 1'],
    [{ head: { rate: 1 } }, 'sampling.head.rate=1: unknown key'],
    [{ mode: 'x' }, 'sampling.mode="x": unknown key; known: head, tail'],
    ['all', 'sampling="all": expected a mapping'],
    [tail({} as unknown as unknown[]), 'sampling.tail.policies={}: expected a list of policies'],
  ];
  for (const [raw, message] of cases) {
    assert.throws(() => parseSamplingConfig(raw, 'f.yaml'), (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.ok(error.message.includes(message), `${error.message}\n  should include\n${message}`);
      return true;
    });
  }
});

test('composites nest at most 8 deep, and a service called __proto__ is just a key', () => {
  let policy: unknown = { type: 'always_sample' };
  for (let i = 0; i < 10; i++) policy = { type: 'or', policies: [policy] };
  assert.throws(() => parseSamplingConfig({ tail: { policies: [{ name: 'deep', ...(policy as object) }] } }, 'f'), /nest at most 8 deep/);
  const config = parseSamplingConfig(JSON.parse('{"head":{"services":{"__proto__":0.5}}}'), 'f');
  assert.equal(Object.keys(config.head.services).length, 1);
  assert.deepEqual(headSamplerConfigOf(config).perService, JSON.parse('{"__proto__":0.5}'));
});

test('the example configuration in the repository is valid', () => {
  const path = fileURLToPath(new URL('../../ducktrace.example.yaml', import.meta.url));
  const loaded = loadConfig({ DUCKTRACE_CONFIG: path });
  const config = parseSamplingConfig(loaded.sampling, path);
  assert.equal(config.tail.enabled, true);
  assert.deepEqual(config.tail.policies.map((p) => p.name), ['errors', 'slow', 'checkout', 'big-orders', 'baseline']);
});
