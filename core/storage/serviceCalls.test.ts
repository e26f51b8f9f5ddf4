import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ATTRIBUTE_TYPE, SPAN_KIND_CLIENT, type SpanRow } from '../model/span.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { CallHistogram, CallPairing, DURATION_BUCKET_GROWTH, durationBucket, peerOf, type Call } from './serviceCalls.js';

const T = 'a'.repeat(32);
const at = 1_800_000_000_000_000_000n;

function span(spanId: string, parentSpanId: string, serviceName: string, fields: Partial<SpanRow> = {}): SpanRow {
  return spanRow({ traceId: T, spanId: spanId.repeat(16), parentSpanId: parentSpanId.repeat(16), serviceName, name: 'op', startTimeUnixNano: at, durationNs: 1000n, ...fields });
}

function client(spanId: string, parentSpanId: string, serviceName: string, peer: Record<string, string>): SpanRow {
  return span(spanId, parentSpanId, serviceName, {
    kind: SPAN_KIND_CLIENT,
    attributes: { keys: Object.keys(peer), values: Object.values(peer), types: ATTRIBUTE_TYPE.string.repeat(Object.keys(peer).length) },
  });
}

const edges = (calls: Call[]) => calls.map((c) => `${c.caller}>${c.callee}${c.calleeIsPeer ? ' (peer)' : ''} ${c.weight}`);

describe('CallPairing', () => {
  test('a call across services is found whichever of caller and callee arrives first', () => {
    const parent = span('1', '', 'web');
    const child = span('2', '1', 'shop', { durationNs: 5000n, sampleWeight: 4, statusCode: 2 });
    for (const batches of [[[parent], [child]], [[child], [parent]], [[child, parent]]]) {
      const pairing = new CallPairing();
      const calls = batches.flatMap((batch) => pairing.add(batch));
      assert.deepEqual(calls, [{ caller: 'web', callee: 'shop', calleeIsPeer: false, startNs: at, durationNs: 5000n, weight: 4, error: true }]);
    }
  });

  test('a parent on the same service, or of another trace with the same span id, makes no call', () => {
    const pairing = new CallPairing();
    assert.deepEqual(pairing.add([span('1', '', 'web'), span('2', '1', 'web')]), []);
    assert.deepEqual(pairing.add([span('3', '', 'web', { traceId: 'b'.repeat(32) }), span('4', '3', 'shop')]), []);
  });

  test('a client span naming its peer is a call to the peer until an instrumented callee turns up, then it is withdrawn', () => {
    const pairing = new CallPairing();
    const call = client('1', '', 'shop', { 'server.address': 'payments.internal', 'peer.service': 'payments' });
    assert.deepEqual(edges(pairing.add([call])), ['shop>payments (peer) 1']);
    assert.deepEqual(edges(pairing.add([span('2', '1', 'payments')])), ['shop>payments 1', 'shop>payments (peer) -1']);
    // A second callee of the same client span withdraws nothing more.
    assert.deepEqual(edges(pairing.add([span('3', '1', 'fraud')])), ['shop>fraud 1']);
  });

  test('a client span whose callee arrived first, or that names its own service, is no peer call', () => {
    const pairing = new CallPairing();
    assert.deepEqual(pairing.add([span('2', '1', 'payments')]), []);
    assert.deepEqual(edges(pairing.add([client('1', '', 'shop', { 'db.system': 'redis' })])), ['shop>payments 1']);
    assert.deepEqual(pairing.add([client('5', '', 'shop', { 'peer.service': 'shop' })]), []);
  });

  test('the peer is named by peer.service, then db.system.name, db.system, server.address; empty names and non-client spans name none', () => {
    assert.equal(peerOf(client('1', '', 's', { 'server.address': 'h', 'db.system': 'redis', 'db.system.name': 'valkey' })), 'valkey');
    assert.equal(peerOf(client('1', '', 's', { 'peer.service': '', 'server.address': 'h' })), 'h');
    assert.equal(peerOf(client('1', '', 's', {})), null);
    assert.equal(peerOf({ ...client('1', '', 's', { 'peer.service': 'p' }), kind: 2 }), null);
  });

  test('spans wait one to two windows for their partner, and a full generation is retired early', () => {
    let now = 0;
    const pairing = new CallPairing({ windowMs: 1000, maxSpans: 3 }, () => now);
    pairing.add([span('1', '', 'web')]);
    now = 1500;
    assert.equal(pairing.add([span('2', '1', 'shop')]).length, 1, 'within two windows');
    now = 3100;
    pairing.add([span('5', '', 'other')]);
    assert.deepEqual(pairing.add([span('3', '1', 'shop')]), [], 'the parent has left after two windows');
    for (let i = 0; i < 20; i++) pairing.add([span(String.fromCharCode(97 + (i % 6)), '', 'web', { traceId: i.toString(16).padStart(32, '0') })]);
    assert.ok(pairing.heldSpans <= 6, `at most two generations of 3 spans, held ${pairing.heldSpans}`);
  });
});

describe('duration buckets and sums', () => {
  test('each bucket is 5% wide: a duration lies in (growth^(b-1), growth^b]', () => {
    for (const d of [1n, 2n, 999n, 1000n, 123_456_789n, 10n ** 12n]) {
      const b = durationBucket(d);
      assert.ok(DURATION_BUCKET_GROWTH ** (b - 1) < Number(d) * (1 + 1e-12) && Number(d) <= DURATION_BUCKET_GROWTH ** b * (1 + 1e-12), `${d} in bucket ${b}`);
    }
    assert.equal(durationBucket(0n), 0);
    assert.equal(durationBucket(-5n), 0);
  });

  test('calls are summed per minute, edge and bucket; a withdrawn call cancels; merge adds rows back', () => {
    const histogram = new CallHistogram();
    const call = { caller: 'a', callee: 'b', calleeIsPeer: true, startNs: at + 5n, durationNs: 1000n, weight: 2, error: true };
    histogram.add([call, { ...call, startNs: at + 59_000_000_000n, durationNs: 1001n, weight: 1, error: false }, { ...call, startNs: at + 60_000_000_000n }]);
    assert.deepEqual(
      histogram.rows().map((r) => [r.minuteNs - at, r.calls, r.errors, r.durationSum]),
      [
        [0n, 3, 2, 3001],
        [60_000_000_000n, 2, 2, 2000],
      ],
    );
    histogram.add([{ ...call, weight: -2 }]);
    const rows = histogram.take();
    assert.equal(histogram.size, 0);
    assert.deepEqual(rows[0]!.calls, 1);
    histogram.merge(rows);
    histogram.merge(rows);
    assert.deepEqual(histogram.rows().map((r) => r.calls), [2, 4]);
  });
});
