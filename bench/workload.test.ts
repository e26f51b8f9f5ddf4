/** The benchmark's workload has the shape the benchmark claims: checked on the decoded requests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanRow } from '../core/model/span.js';
import { decodeExportTraceRequestProtobuf } from '../core/otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../core/otlp/limits.js';
import { generateWorkload, MAX_DEPTH } from './workload.js';

test('20 services, traces of 1-50 spans at most 10 deep, 6-15 attributes, some events and errors, in time order, 512 spans a request', () => {
  const window = { startMs: Date.UTC(2026, 10, 24, 10), endMs: Date.UTC(2026, 10, 24, 11) };
  const workload = generateWorkload({ spans: 20_000, batchSize: 512, encoding: 'protobuf', seed: 7, window });
  assert.equal(workload.requests.length, Math.ceil(20_000 / 512));
  const rows: SpanRow[] = workload.requests.flatMap((body) => decodeExportTraceRequestProtobuf(body, DEFAULT_SPAN_LIMITS).spans);
  assert.equal(rows.length, 20_000);
  assert.equal(decodeExportTraceRequestProtobuf(workload.requests[0]!, DEFAULT_SPAN_LIMITS).spans.length, 512);

  const traces = new Map<string, SpanRow[]>();
  for (const row of rows) traces.set(row.traceId, [...(traces.get(row.traceId) ?? []), row]);
  assert.equal(traces.size, workload.traces);
  let errors = 0;
  let maxDepth = 0;
  for (const spans of traces.values()) {
    assert.ok(spans.length >= 1 && spans.length <= 50, `trace of ${spans.length} spans`);
    const parentOf = new Map(spans.map((s) => [s.spanId, s.parentSpanId]));
    for (const span of spans) {
      let depth = 1;
      for (let parent = span.parentSpanId; parent !== ''; parent = parentOf.get(parent) ?? '') depth++;
      maxDepth = Math.max(maxDepth, depth);
    }
    if (spans.some((s) => s.statusCode === 2)) errors++;
  }
  assert.equal(maxDepth, MAX_DEPTH, 'chains reach but never pass the deepest allowed');
  assert.ok(errors / traces.size > 0.005 && errors / traces.size < 0.03, `${errors} of ${traces.size} traces failed`);
  assert.equal(new Set(rows.map((r) => r.serviceName)).size, 20);
  for (const row of rows) assert.ok(row.attributes.keys.length >= 6 && row.attributes.keys.length <= 15, `${row.attributes.keys.length} attributes`);
  assert.ok(rows.some((r) => r.events.length > 0));

  // The serializer groups a request's spans by resource, so order holds from request to request.
  const firstStarts = workload.requests.map((body) => decodeExportTraceRequestProtobuf(body, DEFAULT_SPAN_LIMITS).spans.reduce((min, s) => (s.startTimeUnixNano < min ? s.startTimeUnixNano : min), 2n ** 63n));
  for (let i = 1; i < firstStarts.length; i++) assert.ok(firstStarts[i]! >= firstStarts[i - 1]!, `request ${i} starts before request ${i - 1}`);
  const starts = rows.map((r) => r.startTimeUnixNano);
  assert.ok(starts.every((t) => t >= BigInt(window.startMs) * 1_000_000n && t < BigInt(window.endMs) * 1_000_000n), 'inside the window');
});
