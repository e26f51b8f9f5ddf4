import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlwaysSamplePolicy } from './policies/alwaysSample.js';
import { NeverSamplePolicy } from './policies/neverSample.js';
import { ProbabilisticPolicy } from './policies/probabilistic.js';
import { StatusCodePolicy } from './policies/statusCode.js';
import { TailSampler, type Decision } from './tailSampler.js';
import { hex, span } from './testTraces.js';

const errorsOnly = () => [new StatusCodePolicy('errors')];
const ids = (ds: Decision<number>[]) => ds.map((d) => d.traceId);

test('a decision is due decisionWaitMs after the last span, or quietAfterRootMs after it once the root is in', () => {
  const sampler = new TailSampler<number>({ policies: errorsOnly(), decisionWaitMs: 10_000, quietAfterRootMs: 2_000 });
  assert.deepEqual(sampler.add([span(1, 2)], 1, 0), []);
  assert.deepEqual(sampler.add([span(2, 2)], 2, 1_000), []);
  assert.deepEqual(sampler.poll(9_999), []);
  assert.equal(sampler.nextDueMs(), 10_000);
  // Another span of trace 1 at 5 s pushes its decision to 15 s.
  sampler.add([span(1, 3)], 3, 5_000);
  assert.deepEqual(ids(sampler.poll(11_000)), [hex(2, 32)]);
  assert.deepEqual(sampler.poll(14_999), []);
  // The root arrives at 14 s: due 2 s later, unless more spans come.
  sampler.add([span(1, 1, { statusCode: 2 })], 4, 14_000);
  sampler.add([span(1, 4)], 5, 15_500);
  assert.deepEqual(sampler.poll(17_499), []);
  const [d] = sampler.poll(17_500);
  assert.equal(d?.traceId, hex(1, 32));
  assert.equal(d.keep, true);
  assert.equal(d.policy, 'errors');
  assert.equal(d.early, false);
  assert.deepEqual([...d.tags].sort(), [1, 3, 4, 5]);
  assert.equal(d.spans.length, 4);
  assert.ok(d.spans.every((s) => s.samplingPolicy === 'errors' && s.sampleWeight === 1));
  assert.equal(sampler.tracesPending, 0);
  assert.equal(sampler.spansPending, 0);
  assert.equal(sampler.counters.tracesKept.get('errors'), 1);
  assert.equal(sampler.counters.tracesDropped, 1);
});

test('kept spans weigh 1 / probability; dropped traces still report their tags', () => {
  const sampler = new TailSampler<string>({ policies: [new ProbabilisticPolicy('base', 0.5)], decisionWaitMs: 1 });
  const decisions: Decision<string>[] = [];
  for (let t = 1; t <= 200; t++) sampler.add([span(t, 1), span(t, 2)], `wal-${t}`, 0);
  decisions.push(...sampler.poll(1));
  assert.equal(decisions.length, 200);
  for (const d of decisions) {
    assert.deepEqual([...d.tags], [`wal-${Number.parseInt(d.traceId, 16)}`]);
    assert.equal(d.probability, 0.5);
    for (const s of d.spans) assert.equal(s.sampleWeight, d.keep ? 2 : 1);
  }
  const kept = decisions.filter((d) => d.keep).length;
  assert.ok(kept > 70 && kept < 130, String(kept));
});

test('late spans follow the cached decision; past the cache they start a new trace', () => {
  const sampler = new TailSampler<number>({ policies: errorsOnly(), decisionWaitMs: 100, quietAfterRootMs: 10, decisionCacheSize: 2 });
  sampler.add([span(1, 1, { statusCode: 2 }), span(2, 1)], 1, 0);
  assert.equal(sampler.poll(10).length, 2);
  const [lateKept] = sampler.add([span(1, 5)], 2, 20);
  assert.deepEqual({ ...lateKept!, spans: lateKept!.spans.length }, { traceId: hex(1, 32), keep: true, policy: 'errors', probability: 1, spans: 1, tags: new Set([2]), early: false, late: true });
  const [lateDropped] = sampler.add([span(2, 5), span(2, 6)], 3, 20);
  assert.equal(lateDropped?.keep, false);
  assert.deepEqual(lateDropped?.tags, new Set([3]), 'the caller can release the record');
  assert.equal(sampler.counters.lateSpansKept, 1);
  assert.equal(sampler.counters.lateSpansDropped, 2);
  // Two more decisions push trace 1 out of the 2-entry cache (trace 2 was touched last, so 1 goes first).
  sampler.add([span(3, 1), span(4, 1)], 4, 30);
  sampler.poll(40);
  assert.deepEqual(sampler.add([span(1, 7)], 5, 50), []);
  assert.equal(sampler.tracesPending, 1);
});

test('memory bounds decide the oldest traces early and count it; a per-trace cap drops and counts', () => {
  const sampler = new TailSampler<number>({ policies: [new AlwaysSamplePolicy('all')], maxTraces: 3, maxSpans: 5, maxSpansPerTrace: 3 });
  sampler.add([span(1, 1)], 1, 0);
  sampler.add([span(2, 1)], 2, 1);
  sampler.add([span(1, 2)], 3, 2); // trace 1 stays the oldest by first arrival
  assert.deepEqual(sampler.add([span(3, 1)], 4, 3), []);
  const early = sampler.add([span(4, 1)], 5, 4);
  assert.deepEqual(ids(early), [hex(1, 32)]);
  assert.equal(early[0]!.early, true);
  assert.deepEqual(early[0]!.tags, new Set([1, 3]));
  assert.equal(sampler.counters.earlyDecisions, 1);
  // 3 traces, 3 spans pending; 3 more spans of trace 4: one over its cap of 3 is dropped, 5 pending.
  assert.deepEqual(sampler.add([span(4, 2), span(4, 3), span(4, 4)], 6, 5), []);
  assert.equal(sampler.counters.droppedSpans, 1);
  assert.equal(sampler.spansPending, 5);
  // One more span exceeds maxSpans 5: the oldest (trace 2) is decided early.
  const more = sampler.add([span(3, 2)], 7, 5);
  assert.deepEqual(ids(more), [hex(2, 32)]);
  assert.equal(sampler.spansPending, 5);
  assert.equal(sampler.counters.earlyDecisions, 2);
  const rest = sampler.drain(6);
  assert.equal(rest.length, 2);
  assert.deepEqual(rest.find((d) => d.traceId === hex(4, 32))?.tags, new Set([5, 6]), 'the dropped span\'s tag is still reported');
  assert.equal(sampler.tracesPending, 0);
});

test('reconfigure: pending traces stay and are decided by the new policies', () => {
  const sampler = new TailSampler<number>({ policies: [new AlwaysSamplePolicy('all')], decisionWaitMs: 1000, quietAfterRootMs: 1000 });
  sampler.add([span(1, 1)], 1, 0);
  sampler.reconfigure({ policies: [new NeverSamplePolicy('none')], decisionWaitMs: 100, quietAfterRootMs: 100 });
  assert.equal(sampler.tracesPending, 1);
  const [decision] = sampler.poll(150);
  assert.equal(decision?.keep, false, 'decided by the new policy');
  assert.deepEqual([...decision!.tags], [1]);
});
