/**
 * Differential test: spans made by the OpenTelemetry JS SDK, serialized by @opentelemetry/otlp-transformer
 * as protobuf and as JSON, must decode to exactly the same rows, and those rows must say what the spans say.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SPAN_KIND_NAMES, type SpanRow } from '../model/span.js';
import {
  expectedAttributes,
  expectedFlags,
  hrTimeToNanos,
  makeHandBuiltSpan,
  makeSdkSpans,
} from '../../test/fixtures/sdkSpans.js';
import { typedAttributes } from './anyValue.js';
import { decodeExportTraceRequestJson } from './decodeJson.js';
import { decodeExportTraceRequestProtobuf } from './decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from './limits.js';

let spans: ReadableSpan[];
let fromProtobuf: SpanRow[];
let fromJson: SpanRow[];

before(async () => {
  spans = [...(await makeSdkSpans()), makeHandBuiltSpan()];
  const protobuf = Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!);
  const json = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);
  const p = decodeExportTraceRequestProtobuf(protobuf, DEFAULT_SPAN_LIMITS);
  const j = decodeExportTraceRequestJson(json, DEFAULT_SPAN_LIMITS);
  assert.equal(p.rejectedSpans, 0, p.rejectionReasons.join('; '));
  assert.equal(j.rejectedSpans, 0, j.rejectionReasons.join('; '));
  fromProtobuf = p.spans;
  fromJson = j.spans;
});

describe('protobuf and JSON decode the same spans to the same rows', () => {
  test('identical rows from both encodings', () => {
    assert.equal(spans.length, 6, 'five SDK spans and one hand-built span');
    assert.equal(fromProtobuf.length, spans.length);
    const key = (r: SpanRow) => r.spanId;
    assert.deepEqual([...fromJson].sort((a, b) => key(a).localeCompare(key(b))), [...fromProtobuf].sort((a, b) => key(a).localeCompare(key(b))));
  });

  test('every row says what its SDK span says', () => {
    for (const span of spans) {
      const row = fromProtobuf.find((r) => r.spanId === span.spanContext().spanId);
      assert.ok(row, `span ${span.name} decoded`);
      const context = span.spanContext();
      assert.equal(row.traceId, context.traceId);
      assert.equal(row.parentSpanId, span.parentSpanContext?.spanId ?? '');
      assert.equal(row.traceState, context.traceState?.serialize() ?? '');
      assert.equal(row.flags, expectedFlags(span));
      assert.equal(row.name, span.name);
      assert.equal(SPAN_KIND_NAMES[row.kind], ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'][span.kind]);
      assert.equal(row.startTimeUnixNano, hrTimeToNanos(span.startTime));
      assert.equal(row.durationNs, hrTimeToNanos(span.endTime) - hrTimeToNanos(span.startTime));
      assert.equal(row.statusCode, span.status.code);
      assert.equal(row.statusMessage, span.status.message ?? '');
      assert.deepEqual(typedAttributes(row.attributes), expectedAttributes(span.attributes));
      assert.equal(row.droppedAttributesCount, span.droppedAttributesCount);
      assert.equal(row.droppedEventsCount, span.droppedEventsCount);
      assert.equal(row.droppedLinksCount, span.droppedLinksCount);
      assert.deepEqual(
        row.events.map((e) => ({ time: e.timeUnixNano, name: e.name, attributes: typedAttributes(e.attributes), dropped: e.droppedAttributesCount })),
        span.events.map((e) => ({ time: hrTimeToNanos(e.time), name: e.name, attributes: expectedAttributes(e.attributes), dropped: e.droppedAttributesCount ?? 0 })),
      );
      assert.deepEqual(
        row.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId, attributes: typedAttributes(l.attributes), flags: l.flags & 0xff })),
        span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId, attributes: expectedAttributes(l.attributes), flags: l.context.traceFlags })),
      );
      assert.deepEqual(typedAttributes(row.resourceAttributes), expectedAttributes(span.resource.attributes));
      assert.equal(row.serviceName, span.resource.attributes['service.name']);
      assert.equal(row.scopeName, span.instrumentationScope.name);
      assert.equal(row.scopeVersion, span.instrumentationScope.version ?? '');
      assert.equal(row.scopeSchemaUrl, span.instrumentationScope.schemaUrl ?? '');
      assert.equal(row.sampleWeight, 1);
    }
  });

  test('the fixture covers every AnyValue type', () => {
    const types = new Set<string>();
    const walk = (values: Array<{ type: string; value: unknown }>): void => {
      for (const v of values) {
        types.add(v.type);
        if (v.type === 'array' || v.type === 'kvlist') walk(v.value as Array<{ type: string; value: unknown }>);
      }
    };
    for (const row of fromProtobuf) walk(typedAttributes(row.attributes));
    assert.deepEqual([...types].sort(), ['array', 'bool', 'bytes', 'double', 'int', 'kvlist', 'string']);
  });
});
