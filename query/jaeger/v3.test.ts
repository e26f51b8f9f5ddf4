import assert from 'node:assert/strict';
import { test } from 'node:test';
import { protoDuration, rfc3339Nano, toV3TraceSummary, v3Error } from './v3.js';

test('RFC 3339 with nanoseconds and protobuf durations', () => {
  assert.equal(rfc3339Nano(1_700_000_000_000_000_007n), '2023-11-14T22:13:20.000000007Z');
  assert.equal(rfc3339Nano(0n), '1970-01-01T00:00:00.000000000Z');
  assert.equal(protoDuration(1_500_000_000n), '1.500000000s');
  assert.equal(protoDuration(12_345n), '0.000012345s');
  assert.equal(protoDuration(-2_000_000_001n), '-2.000000001s');
});

test('a summary in api_v3 style, and the error object', () => {
  assert.deepEqual(
    toV3TraceSummary({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      rootService: 'web',
      rootOperation: 'GET /',
      hasRoot: true,
      startTimeUnixNano: '1700000000123456789',
      durationNs: '2500000',
      spanCount: 3,
      errorCount: 1,
      orphanCount: 0,
      services: [{ service: 'web', spanCount: 3, errorCount: 1 }],
    }),
    {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      rootServiceName: 'web',
      rootSpanName: 'GET /',
      hasRoot: true,
      startTime: '2023-11-14T22:13:20.123456789Z',
      duration: '0.002500000s',
      spanCount: 3,
      errorCount: 1,
      orphanCount: 0,
      services: [{ serviceName: 'web', spanCount: 3, errorCount: 1 }],
    },
  );
  assert.deepEqual(v3Error(400, 'bad'), { error: { httpCode: 400, message: 'bad' } });
});
