import assert from 'node:assert/strict';
import { test } from 'node:test';
import { typedAttributes } from './anyValue.js';
import { decodeExportTraceRequestJson } from './decodeJson.js';
import { DEFAULT_SPAN_LIMITS, MalformedRequestError } from './limits.js';

const decode = (body: unknown) => decodeExportTraceRequestJson(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), DEFAULT_SPAN_LIMITS);
const TRACE = '4BF92F3577B34DA6A3CE929D0E0E4736';
const requestWith = (span: Record<string, unknown>) => ({
  resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'web' } }] }, scopeSpans: [{ spans: [span] }] }],
});

test('OTLP/JSON forms: hex ids any case, int64 as strings or numbers, enums as integers or names, unknown fields ignored', () => {
  const result = decode(
    requestWith({
      traceId: TRACE,
      spanId: '00F067AA0BA902B7',
      name: 'GET /',
      kind: 'SPAN_KIND_SERVER',
      startTimeUnixNano: '1700000000000000001',
      endTimeUnixNano: 1700000000000000,
      status: { code: 2, message: 'boom' },
      futureField: { anything: [1, 2] },
      attributes: [
        { key: 'i', value: { intValue: '-9223372036854775808' } },
        { key: 'j', value: { intValue: 42 } },
        { key: 'd', value: { doubleValue: 'NaN' } },
        { key: 'e', value: { doubleValue: 1 } },
        { key: 'b', value: { bytesValue: 'AAH_-g' } },
        { key: 'n', value: {} },
      ],
    }),
  );
  const span = result.spans[0]!;
  assert.equal(span.traceId, TRACE.toLowerCase());
  assert.equal(span.kind, 2);
  assert.equal(span.statusCode, 2);
  assert.equal(span.startTimeUnixNano, 1700000000000000001n);
  assert.equal(span.durationNs, 1700000000000000n - 1700000000000000001n);
  assert.deepEqual(typedAttributes(span.attributes), [
    { key: 'i', type: 'int', value: '-9223372036854775808' },
    { key: 'j', type: 'int', value: 42 },
    { key: 'd', type: 'double', value: 'NaN' },
    { key: 'e', type: 'double', value: 1 },
    { key: 'b', type: 'bytes', value: 'AAH/+g==' },
    { key: 'n', type: 'empty', value: null },
  ]);
});

test('snake_case keys are not OTLP/JSON and are ignored like any unknown field', () => {
  const result = decode(requestWith({ traceId: TRACE, spanId: '00f067aa0ba902b7', start_time_unix_nano: '5' }));
  assert.equal(result.spans[0]!.startTimeUnixNano, 0n);
});

test('bad ids reject the span; bad structure fails the request', () => {
  const partial = decode({
    resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: '00f067aa0ba902b7' }, { traceId: TRACE, spanId: '00f067aa0ba902b7' }] }] }],
  });
  assert.equal(partial.spans.length, 1);
  assert.equal(partial.rejectedSpans, 1);
  assert.match(partial.rejectionReasons[0]!, /span.traceId is not an even-length hex string/);

  for (const body of ['{', '[]', '{"resourceSpans": 5}', JSON.stringify(requestWith({ traceId: TRACE, spanId: '00f067aa0ba902b7', kind: 1.5 })), JSON.stringify(requestWith({ traceId: TRACE, spanId: '00f067aa0ba902b7', attributes: [{ key: 'x', value: { intValue: '1.5' } }] }))]) {
    assert.throws(() => decode(body), MalformedRequestError, body);
  }
});

test('nesting beyond the depth limit rejects the span without recursing into it', () => {
  const levels = 100_000;
  const value = `${'{"arrayValue":{"values":['.repeat(levels)}{"stringValue":"leaf"}${']}}'.repeat(levels)}`;
  const span = JSON.stringify(requestWith({ traceId: TRACE, spanId: '00f067aa0ba902b7', attributes: [{ key: 'deep', value: 'DEEP' }] }));
  const result = decode(span.replace('"DEEP"', value));
  assert.equal(result.rejectedSpans, 1);
  assert.match(result.rejectionReasons[0]!, /deeper than 8 levels/);
});
