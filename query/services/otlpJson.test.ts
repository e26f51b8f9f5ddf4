import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeHandBuiltSpan, makeSdkSpans } from '../../test/fixtures/sdkSpans.js';
import { decodeExportTraceRequestJson } from '../../core/otlp/decodeJson.js';
import { decodeExportTraceRequestProtobuf } from '../../core/otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../../core/otlp/limits.js';
import { toOtlpJson } from './otlpJson.js';

test('the OTLP/JSON a trace is returned as decodes back to the same rows', async () => {
  const spans = [...(await makeSdkSpans()), makeHandBuiltSpan()];
  const rows = decodeExportTraceRequestProtobuf(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), DEFAULT_SPAN_LIMITS).spans;
  const document = toOtlpJson(rows);
  assert.equal(document.resourceSpans.length, 2, 'one entry per resource');
  const again = decodeExportTraceRequestJson(Buffer.from(JSON.stringify(document)), DEFAULT_SPAN_LIMITS);
  assert.equal(again.rejectedSpans, 0);
  assert.deepEqual(again.spans, rows);
});
