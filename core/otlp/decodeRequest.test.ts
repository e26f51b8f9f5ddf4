import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeExportTraceRequest } from './decodeRequest.js';
import { DEFAULT_SPAN_LIMITS } from './limits.js';
import { request, span } from '../../test/fixtures/protobufWriter.js';

const spans = (n: number) => Array.from({ length: n }, (_, i) => span([], (i + 1).toString(16).padStart(16, '0')));

test('a large request is decoded while the event loop goes on turning', async () => {
  for (const [encoding, body] of [
    ['protobuf', request(spans(60_000))],
    ['json', Buffer.from(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: 20_000 }, (_, i) => ({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: (i + 1).toString(16).padStart(16, '0'), name: 'op'.repeat(20) })) }] }] }))],
  ] as const) {
    let turns = 0;
    let done = false;
    const tick = (): void => {
      turns++;
      if (!done) setImmediate(tick);
    };
    setImmediate(tick);
    const result = await decodeExportTraceRequest(body, encoding, DEFAULT_SPAN_LIMITS);
    done = true;
    assert.equal(result.spans.length, encoding === 'json' ? 20_000 : 60_000, result.rejectionReasons.join());
    // Decoded at once, the loop would turn only after the decoding, once.
    assert.ok(turns >= 3, `${encoding}: the event loop turned ${turns} times while the request was decoded`);
  }
});
