import assert from 'node:assert/strict';
import { test } from 'node:test';
import { random } from '../../test/fixtures/random.js';
import { HeadSampler } from './headSampler.js';
import { hex, span } from './testTraces.js';

const HIGH = '4bf92f3577b34da6a3'; // 18 hex digits: the trace id's high 72 bits, not used
const id = (low56: bigint) => HIGH + hex(low56, 14);

function decide(sampler: HeadSampler, traceId: string, traceState = '', serviceName = 'svc') {
  const row = span(traceId, 1, { traceState, serviceName });
  const kept = sampler.sample([row]).kept;
  return kept.length === 1 ? { weight: row.sampleWeight, traceState: row.traceState } : null;
}

test('known vectors: keep iff the low 56 bits >= T, at p = 0.5 and 0.25', () => {
  const half = new HeadSampler({ defaultRatio: 0.5, perService: {} });
  assert.deepEqual(decide(half, id(0x80000000000000n)), { weight: 2, traceState: 'ot=th:8' });
  assert.equal(decide(half, id(0x7fffffffffffffn)), null);
  assert.notEqual(decide(half, id(0xffffffffffffffn)), null);
  assert.equal(decide(half, id(0n)), null);
  const quarter = new HeadSampler({ defaultRatio: 0.25, perService: {} });
  assert.deepEqual(decide(quarter, id(0xc0000000000000n)), { weight: 4, traceState: 'ot=th:c' });
  assert.equal(decide(quarter, id(0xbfffffffffffffn)), null);
  // The high bits do not matter.
  assert.equal(decide(quarter, `ffffffffffffffffff${hex(0xbfffffffffffffn, 14)}`), null);
});

test('the same trace id gets the same decision in every instance, and lower ratios keep subsets', () => {
  const rand = random(11);
  const ids = Array.from({ length: 4000 }, () => Array.from({ length: 4 }, () => hex(Math.floor(rand() * 2 ** 32), 8)).join(''));
  const a = new HeadSampler({ defaultRatio: 0.3, perService: {} });
  const b = new HeadSampler({ defaultRatio: 0.3, perService: {} });
  const low = new HeadSampler({ defaultRatio: 0.1, perService: {} });
  let kept = 0;
  for (const traceId of ids) {
    const da = decide(a, traceId) !== null;
    assert.equal(decide(b, traceId) !== null, da);
    if (decide(low, traceId) !== null) assert.ok(da, 'kept at 0.1 implies kept at 0.3');
    if (da) kept++;
  }
  // Binomial(4000, 0.3): sd 29; 5 sd.
  assert.ok(Math.abs(kept - 1200) < 145, `kept ${kept}`);
});

test('an upstream ot=th multiplies into the weight (proportional downstream threshold)', () => {
  const all = new HeadSampler({ defaultRatio: 1, perService: {} });
  assert.deepEqual(decide(all, id(0x90000000000000n), 'ot=th:8'), { weight: 2, traceState: 'ot=th:8' });
  const half = new HeadSampler({ defaultRatio: 0.5, perService: {} });
  // p_up 0.5 * p 0.5 = 0.25: threshold c, weight 4.
  assert.deepEqual(decide(half, id(0xc0000000000000n), 'ot=th:8'), { weight: 4, traceState: 'ot=th:c' });
  assert.equal(decide(half, id(0xb0000000000000n), 'ot=th:8'), null);
  // 14-digit th, right-padded; weight 1 / (p_up * p).
  assert.equal(decide(half, id(0xf3000000000000n), 'x=1,ot=th:e666'), null);
  const r = decide(half, id(0xf4000000000000n), 'x=1,ot=th:e666');
  assert.ok(r && Math.abs(r.weight - 1 / (0.100006103515625 * 0.5)) < 1e-3, JSON.stringify(r));
  assert.match(r.traceState, /^ot=th:f333.*,x=1$/);
});

test('ot=rv overrides the trace id randomness', () => {
  const half = new HeadSampler({ defaultRatio: 0.5, perService: {} });
  assert.notEqual(decide(half, id(0n), 'ot=rv:80000000000000'), null);
  assert.equal(decide(half, id(0xffffffffffffffn), 'ot=rv:7fffffffffffff'), null);
  // A malformed rv falls back to the trace id.
  assert.equal(decide(half, id(0n), 'ot=rv:8'), null);
});

test('bad or inconsistent tracestates never throw and count as no threshold', () => {
  const all = new HeadSampler({ defaultRatio: 1, perService: {} });
  for (const ts of ['ot=th:zz', 'ot=th:123456789abcdef', ',,=,', 'ot=th:', '\u0000ot=th:8', 'ot=th:c'.repeat(2000)]) {
    assert.deepEqual(decide(all, id(0x10000000000000n), ts), { weight: 1, traceState: ts });
  }
  // R = 0x10.. < T_up = 0xc0..: the span could not have been kept with that threshold.
  assert.deepEqual(decide(all, id(0x10000000000000n), 'ot=th:c'), { weight: 1, traceState: 'ot=th:c' });
  assert.equal(all.counters.inconsistentThresholds, 1);
});

test('per-service ratios, counts, and ratio 0 and 1', () => {
  const sampler = new HeadSampler({ defaultRatio: 1, perService: { noisy: 0, half: 0.5 } });
  const rows = [
    span(id(0xffffffffffffffn), 1, { serviceName: 'noisy' }),
    span(id(0xffffffffffffffn), 2, { serviceName: 'half' }),
    span(id(0x10000000000000n), 3, { serviceName: 'half' }),
    span(id(0x10000000000000n), 4, { serviceName: 'other' }),
  ];
  const result = sampler.sample(rows);
  assert.deepEqual(result.kept.map((r) => [r.spanId, r.sampleWeight]), [[hex(2, 16), 2], [hex(4, 16), 1]]);
  assert.equal(result.keptCount, 2);
  assert.equal(result.droppedCount, 2);
  assert.equal(rows[3]!.traceState, '', 'ratio 1 leaves the tracestate alone');
  assert.deepEqual([sampler.counters.spansKept, sampler.counters.spansDropped], [2, 2]);
  assert.throws(() => new HeadSampler({ defaultRatio: 1.5, perService: {} }), RangeError);
});
