import assert from 'node:assert/strict';
import { test } from 'node:test';
import { random } from '../../../test/fixtures/random.js';
import { HeadSampler } from '../headSampler.js';
import { hex, span, view } from '../testTraces.js';
import { ProbabilisticPolicy, tailRandomnessOfId } from './probabilistic.js';

const ids = (n: number, seed: number) => {
  const rand = random(seed);
  return Array.from({ length: n }, () => Array.from({ length: 4 }, () => hex(Math.floor(rand() * 2 ** 32), 8)).join(''));
};

test('probabilistic keeps p of traces, consistently by trace id, nested across ratios', () => {
  const tenth = new ProbabilisticPolicy('base', 0.1);
  const fifth = new ProbabilisticPolicy('more', 0.2);
  assert.equal(tenth.probability, 0.100006103515625);
  let kept = 0;
  for (const traceId of ids(20_000, 5)) {
    const trace = view([span(traceId, 1)]);
    const r = tenth.evaluate(trace);
    assert.equal(r.probability, tenth.probability);
    assert.equal(new ProbabilisticPolicy('again', 0.1).evaluate(view([span(traceId, 1)])).sampled, r.sampled, 'same id, same decision');
    if (r.sampled) {
      kept++;
      assert.ok(fifth.evaluate(trace).sampled, 'kept at 0.1 implies kept at 0.2');
    }
  }
  // Binomial(20000, 0.1): sd 42; 5 sd.
  assert.ok(Math.abs(kept - 2000) < 210, `kept ${kept}`);
  // Sequential ids are fine too: the randomness is hashed.
  let sequential = 0;
  for (let i = 1; i <= 20_000; i++) if (tailRandomnessOfId(hex(i, 32)) >= 'e6660000000000') sequential++;
  assert.ok(Math.abs(sequential - 2000) < 210, `sequential kept ${sequential}`);
});

test('after head sampling, the tail probability multiplies: head 0.5 then tail 0.1 keeps 5%', () => {
  const head = new HeadSampler({ defaultRatio: 0.5, perService: {} });
  const tail = new ProbabilisticPolicy('base', 0.1);
  const all = ids(40_000, 9);
  let weight = 0;
  let kept = 0;
  for (const traceId of all) {
    const row = span(traceId, 1);
    if (head.sample([row]).keptCount === 0) continue;
    const r = tail.evaluate(view([row]));
    if (!r.sampled) continue;
    kept++;
    weight += row.sampleWeight / r.probability;
  }
  // Expected 2000 kept (sd 44); the weighted count estimates 40000 (sd ~ 880).
  assert.ok(Math.abs(kept - 2000) < 220, `kept ${kept}`);
  assert.ok(Math.abs(weight - 40_000) < 4400, `weighted ${weight}`);
});
