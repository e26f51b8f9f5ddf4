import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jaegerProtoRoot, readProto3Json } from '../../test/fixtures/jaeger/protos.js';
import { uiTraceSummaries } from '../../test/fixtures/jaeger/uiClient.js';
import type { TraceSummary } from '../services/search.js';
import { toV3TraceSummaries, v3Error } from './v3.js';

const ROOT = jaegerProtoRoot();
const RESPONSE = 'jaeger.api_v3.FindTraceSummariesResponse';

const found: TraceSummary[] = [
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    rootService: 'web',
    rootOperation: 'GET /',
    hasRoot: true,
    startTimeUnixNano: '1700000000123456789',
    durationNs: '2500001',
    spanCount: 4,
    errorCount: 1,
    orphanCount: 0,
    services: [
      { service: 'db', spanCount: 1, errorCount: 0 },
      { service: 'web', spanCount: 3, errorCount: 1 },
    ],
  },
  {
    traceId: '00000000000000000000000000000abc',
    rootService: 'worker',
    rootOperation: 'poll',
    hasRoot: false,
    startTimeUnixNano: '1700000001000000000',
    durationNs: '0',
    spanCount: 1,
    errorCount: 0,
    orphanCount: 1,
    services: [{ service: 'worker', spanCount: 1, errorCount: 0 }],
  },
];

test("summaries in jaeger.api_v3's fields: Unix-nanosecond bounds as decimal strings, error and orphan span counts", () => {
  assert.deepEqual(toV3TraceSummaries(found), {
    summaries: [
      {
        traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
        rootServiceName: 'web',
        rootOperationName: 'GET /',
        minStartTimeUnixNano: '1700000000123456789',
        maxEndTimeUnixNano: '1700000000125956790',
        spanCount: 4,
        errorSpanCount: 1,
        orphanSpanCount: 0,
        services: [
          { name: 'db', spanCount: 1, errorSpanCount: 0 },
          { name: 'web', spanCount: 3, errorSpanCount: 1 },
        ],
      },
      {
        // No span without a parent: Jaeger names no root.
        traceId: '00000000000000000000000000000abc',
        rootServiceName: '',
        rootOperationName: '',
        minStartTimeUnixNano: '1700000001000000000',
        maxEndTimeUnixNano: '1700000001000000000',
        spanCount: 1,
        errorSpanCount: 0,
        orphanSpanCount: 1,
        services: [{ name: 'worker', spanCount: 1, errorSpanCount: 0 }],
      },
    ],
  });
});

test("the answer reads as Jaeger's FindTraceSummariesResponse (jaeger-idl's proto) and loses nothing on the way", () => {
  const answer = JSON.parse(JSON.stringify(toV3TraceSummaries(found)));
  const message = readProto3Json(ROOT, RESPONSE, answer);
  assert.deepEqual(ROOT.lookupType(RESPONSE).toObject(message, { longs: String, defaults: true, arrays: true }), answer);
  // The old answer named fields the proto does not have.
  assert.throws(() => readProto3Json(ROOT, RESPONSE, { result: { traceSummaries: [] } }), /has no field with this JSON name/);
  assert.throws(() => readProto3Json(ROOT, 'jaeger.api_v3.TraceSummary', { traceId: 'ab', startTime: '2023-11-14T22:13:20Z' }), /startTime/);
});

test("Jaeger UI's v3 client makes result rows of it: start and duration in microseconds, trace name, counts", () => {
  const rows = uiTraceSummaries(JSON.parse(JSON.stringify(toV3TraceSummaries(found))));
  assert.deepEqual(rows, [
    {
      traceID: '4bf92f3577b34da6a3ce929d0e0e4736',
      traceName: 'web: GET /',
      rootServiceName: 'web',
      rootOperationName: 'GET /',
      startTime: 1700000000123456,
      duration: 2500,
      spanCount: 4,
      errorSpanCount: 1,
      orphanSpanCount: 0,
      services: [
        { name: 'db', spanCount: 1, errorSpanCount: 0 },
        { name: 'web', spanCount: 3, errorSpanCount: 1 },
      ],
    },
    {
      traceID: '00000000000000000000000000000abc',
      traceName: '',
      rootServiceName: '',
      rootOperationName: '',
      startTime: 1700000001000000,
      duration: 0,
      spanCount: 1,
      errorSpanCount: 0,
      orphanSpanCount: 1,
      services: [{ name: 'worker', spanCount: 1, errorSpanCount: 0 }],
    },
  ]);
  // Under `result`, as the summaries were answered before, the UI finds no rows: "No trace results".
  assert.deepEqual(uiTraceSummaries({ result: toV3TraceSummaries(found) }), []);
});

test('the error object is GRPCGatewayError', () => {
  const error = v3Error(400, 'bad');
  assert.deepEqual(error, { error: { httpCode: 400, message: 'bad' } });
  const message = readProto3Json(ROOT, 'jaeger.api_v3.GRPCGatewayError', error);
  assert.deepEqual(ROOT.lookupType('jaeger.api_v3.GRPCGatewayError').toObject(message), error);
});
