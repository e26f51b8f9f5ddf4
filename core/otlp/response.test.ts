/** The hand-written response encoders, read back with protobufjs (differential) and as JSON. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import protobuf from 'protobufjs';
import { encodeExportTraceResponse, encodeStatus, RETRY_INFO_TYPE_URL } from './response.js';

const ROOT = protobuf.Root.fromJSON({
  nested: {
    Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
    Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
    Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
    RetryInfo: { fields: { retry_delay: { type: 'Duration', id: 1 } } },
    ExportTracePartialSuccess: { fields: { rejected_spans: { type: 'int64', id: 1 }, error_message: { type: 'string', id: 2 } } },
    ExportTraceServiceResponse: { fields: { partial_success: { type: 'ExportTracePartialSuccess', id: 1 } } },
  },
});
const decode = (type: string, bytes: Uint8Array): Record<string, unknown> =>
  ROOT.lookupType(type).toObject(ROOT.lookupType(type).decode(bytes), { longs: Number, defaults: true, arrays: true });

test('a status without a retry delay has no details', () => {
  const status = decode('Status', encodeStatus(3, 'bad request: ünïcode', 'protobuf'));
  assert.deepEqual(status, { code: 3, message: 'bad request: ünïcode', details: [] });
  assert.deepEqual(JSON.parse(encodeStatus(3, 'bad', 'json').toString()), { code: 3, message: 'bad', details: [] });
});

test('a retryable status carries google.rpc.RetryInfo with the delay in seconds', () => {
  for (const seconds of [0, 1, 30, 300]) {
    const status = decode('Status', encodeStatus(14, 'the write queue is full', 'protobuf', seconds)) as { code: number; message: string; details: Array<{ type_url: string; value: Uint8Array }> };
    assert.equal(status.code, 14);
    assert.equal(status.message, 'the write queue is full');
    assert.equal(status.details.length, 1);
    assert.equal(status.details[0]!.type_url, RETRY_INFO_TYPE_URL);
    assert.deepEqual(decode('RetryInfo', status.details[0]!.value), { retry_delay: { seconds, nanos: 0 } });
  }
  assert.deepEqual(JSON.parse(encodeStatus(14, 'full', 'json', 2).toString()), {
    code: 14,
    message: 'full',
    details: [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: '2s' }],
  });
});

test('export responses: empty on success, partial_success when spans were rejected', () => {
  assert.equal(encodeExportTraceResponse(null, 'protobuf').length, 0);
  assert.deepEqual(JSON.parse(encodeExportTraceResponse(null, 'json').toString()), {});
  const partial = { rejectedSpans: 300, errorMessage: '300 span(s) rejected: span id is empty' };
  assert.deepEqual(decode('ExportTraceServiceResponse', encodeExportTraceResponse(partial, 'protobuf')), {
    partial_success: { rejected_spans: 300, error_message: partial.errorMessage },
  });
  assert.deepEqual(JSON.parse(encodeExportTraceResponse(partial, 'json').toString()), { partialSuccess: { rejectedSpans: '300', errorMessage: partial.errorMessage } });
});
