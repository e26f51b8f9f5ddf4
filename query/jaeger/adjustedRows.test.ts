import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { SpanRow } from '../../core/model/span.js';
import { decodeExportTraceRequestProtobuf } from '../../core/otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../../core/otlp/limits.js';
import { makeHandBuiltSpan, makeSdkSpans } from '../../test/fixtures/sdkSpans.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { buildCallTree } from '../services/callTree.js';
import { adjustedRows } from './adjustedRows.js';

test('a trace the adjusters leave alone comes back as exactly its stored rows', async () => {
  const spans = [...(await makeSdkSpans()), makeHandBuiltSpan()];
  const rows = decodeExportTraceRequestProtobuf(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), DEFAULT_SPAN_LIMITS).spans;
  const byTrace = new Map<string, SpanRow[]>();
  for (const row of rows) byTrace.set(row.traceId, [...(byTrace.get(row.traceId) ?? []), row]);
  assert.equal(byTrace.size, 2);
  for (const [traceId, traceRows] of byTrace) {
    const back = adjustedRows(buildCallTree(traceId, traceRows, { adjust: true }));
    const key = (r: SpanRow) => r.spanId;
    assert.deepEqual([...back].sort((a, b) => key(a).localeCompare(key(b))), [...traceRows].sort((a, b) => key(a).localeCompare(key(b))));
  }
});

test('a skewed span comes back shifted, its events with it; a duplicate id renamed', () => {
  const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
  const parent = spanRow({ traceId, spanId: '1111111111111111', serviceName: 'a', name: 'p', startTimeUnixNano: 1_000_000n, durationNs: 1_000n });
  const child = spanRow({
    traceId,
    spanId: '2222222222222222',
    parentSpanId: '1111111111111111',
    serviceName: 'b',
    name: 'c',
    startTimeUnixNano: 500_000n,
    durationNs: 100n,
    events: [{ timeUnixNano: 500_010n, name: 'e', attributes: { keys: [], values: [], types: '' }, droppedAttributesCount: 0 }],
  });
  const twin = { ...parent, name: 'twin', startTimeUnixNano: 1_000_100n, durationNs: 10n };
  const back = adjustedRows(buildCallTree(traceId, [parent, child, twin], { adjust: true }));
  const shifted = back.find((r) => r.name === 'c')!;
  // Centred: 1_000_000 + (1_000 - 100) / 2.
  assert.equal(shifted.startTimeUnixNano, 1_000_450n);
  assert.equal(shifted.events[0]!.timeUnixNano, 1_000_460n);
  assert.deepEqual({ ...shifted, startTimeUnixNano: child.startTimeUnixNano, events: child.events }, child);
  const renamed = back.find((r) => r.name === 'twin')!;
  assert.equal(renamed.spanId, '1111111111111112');
});
