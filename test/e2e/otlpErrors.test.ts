/**
 * Every OTLP answer the real server gives, over a real HTTP client (fetch) and a raw gRPC client:
 * success, partial success and each error status. After every error the server must keep serving
 * (a fresh export succeeds and reads back) and the trace stored first must be unchanged.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { assertCallTree, type CallTree } from '../helpers/expected.js';
import {
  JSON_TYPE,
  PROTOBUF,
  decodeExportResponse,
  decodeStatus,
  grpc,
  grpcExport,
  jsonRequest,
  makeSpan,
  makeTrace,
  postOtlp,
  protobufRequest,
  randomTraceId,
} from '../helpers/otlp.js';
import { getJson, getTrace, removeTempDirs, startServer, type ServerHandle } from '../helpers/server.js';

const MAX_BODY_BYTES = 65_536;

let server: ServerHandle;
let baselineId: string;
let baselineTree: CallTree;

before(async () => {
  server = await startServer({ env: { DUCKTRACE_MAX_BODY_BYTES: String(MAX_BODY_BYTES) } });
  const spans = makeTrace(randomTraceId(), 3, 'e2e-baseline');
  baselineId = spans[0]!.spanContext().traceId;
  const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
  assert.equal(response.status, 200, response.body.toString());
  baselineTree = await getTrace<CallTree>(server.queryUrl, baselineId);
  assertCallTree(baselineTree, spans, baselineId);
});

after(async () => {
  const exit = await server?.stop();
  removeTempDirs();
  assert.equal(exit?.code, 0, `server exit after SIGTERM\n${exit?.stderr}`);
});

async function traceStatus(traceId: string): Promise<number> {
  return (await getJson(`${server.queryUrl}/api/v1/traces/${traceId}`)).status;
}

/** The trace is stored exactly as the spans say. */
async function assertStored(spans: ReadableSpan[]): Promise<void> {
  const traceId = spans[0]!.spanContext().traceId;
  assertCallTree(await getTrace<CallTree>(server.queryUrl, traceId), spans, traceId);
}

/** After an error: a fresh export over `via` succeeds and reads back, and the first trace is unchanged. */
async function assertStillServing(...via: Array<'http' | 'grpc'>): Promise<void> {
  for (const transport of via.length > 0 ? via : (['http'] as const)) {
    const spans = makeTrace(randomTraceId(), 2, `e2e-after-error-${transport}`);
    if (transport === 'http') {
      const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
      assert.equal(response.status, 200, `fresh export after the error: ${response.body.toString()}`);
    } else {
      const { error } = await grpcExport(server.otlpGrpcAddress, protobufRequest(spans));
      assert.equal(error, null, `fresh gRPC export after the error: ${error?.message}`);
    }
    await assertStored(spans);
  }
  assert.deepEqual(await getTrace<CallTree>(server.queryUrl, baselineId), baselineTree, 'the first trace is unchanged');
}

/** Peak resident set size of the server in KiB (Linux only). */
function peakRssKiB(): number | undefined {
  const path = `/proc/${server.pid}/status`;
  if (!existsSync(path)) return undefined;
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(path, 'utf8'));
  return match ? Number(match[1]) : undefined;
}

/** Zeros compress about 1000:1: a body well under the limit that inflates to `inflatedBytes`. */
function gzipBomb(inflatedBytes: number): Buffer {
  const bomb = gzipSync(Buffer.alloc(inflatedBytes), { level: 9 });
  assert.ok(bomb.length < MAX_BODY_BYTES, `the bomb itself (${bomb.length} bytes) is under the body limit`);
  return bomb;
}

/** Two valid spans, one whose trace id is 4 bytes and one whose span id is all zeros: 2 rejected. */
function mixedValidity(): { valid: ReadableSpan[]; all: ReadableSpan[] } {
  const traceId = randomTraceId();
  const valid = makeTrace(traceId, 1, 'e2e-partial');
  const shortTraceId = makeSpan({ traceId: 'abcd1234', name: 'short trace id', service: 'e2e-partial' });
  const zeroSpanId = makeSpan({ traceId, spanId: '0000000000000000', parentSpanId: valid[0]!.spanContext().spanId, name: 'zero span id', service: 'e2e-partial' });
  return { valid, all: [valid[0]!, shortTraceId, valid[1]!, zeroSpanId] };
}

/** A valid request bigger than the body limit. */
function oversizeSpans(): ReadableSpan[] {
  const traceId = randomTraceId();
  return [makeSpan({ traceId, name: 'too big', attributes: { big: 'x'.repeat(MAX_BODY_BYTES + 1024) } })];
}

describe('OTLP/HTTP success', () => {
  test('protobuf: 200 with an empty protobuf body, spans stored before the answer', async () => {
    const spans = makeTrace();
    const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
    assert.equal(response.status, 200, response.body.toString());
    assert.equal(response.headers.get('content-type'), PROTOBUF);
    assert.equal(response.body.length, 0, 'full success is an empty ExportTraceServiceResponse');
    await assertStored(spans);
  });

  test('JSON: 200 with {}', async () => {
    const spans = makeTrace();
    const response = await postOtlp(server.otlpHttpUrl, jsonRequest(spans), { contentType: JSON_TYPE });
    assert.equal(response.status, 200, response.body.toString());
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(response.body.toString()), {});
    await assertStored(spans);
  });

  test('JSON with a charset parameter in the Content-Type', async () => {
    const spans = makeTrace();
    const response = await postOtlp(server.otlpHttpUrl, jsonRequest(spans), { contentType: 'application/json; charset=utf-8' });
    assert.equal(response.status, 200, response.body.toString());
    await assertStored(spans);
  });

  test('empty requests succeed: a zero-byte protobuf body, {} and an empty resourceSpans in JSON', async () => {
    const protobuf = await postOtlp(server.otlpHttpUrl, Buffer.alloc(0), { contentType: PROTOBUF });
    assert.equal(protobuf.status, 200, protobuf.body.toString());
    assert.equal(protobuf.body.length, 0);
    for (const body of ['{}', '{"resourceSpans":[]}']) {
      const json = await postOtlp(server.otlpHttpUrl, body, { contentType: JSON_TYPE });
      assert.equal(json.status, 200, `${body}: ${json.body.toString()}`);
      assert.deepEqual(JSON.parse(json.body.toString()), {});
    }
    await assertStillServing();
  });

  test('gzip-compressed protobuf and JSON succeed', async () => {
    const viaProtobuf = makeTrace();
    const p = await postOtlp(server.otlpHttpUrl, protobufRequest(viaProtobuf), { contentType: PROTOBUF, gzip: true });
    assert.equal(p.status, 200, p.body.toString());
    assert.equal(p.body.length, 0);
    await assertStored(viaProtobuf);
    const viaJson = makeTrace();
    const j = await postOtlp(server.otlpHttpUrl, jsonRequest(viaJson), { contentType: JSON_TYPE, gzip: true });
    assert.equal(j.status, 200, j.body.toString());
    assert.deepEqual(JSON.parse(j.body.toString()), {});
    await assertStored(viaJson);
  });
});

describe('OTLP/HTTP partial success', () => {
  test('JSON: 200 with partialSuccess.rejectedSpans "2"; the valid spans are stored, the invalid ones not', async () => {
    const { valid, all } = mixedValidity();
    const response = await postOtlp(server.otlpHttpUrl, jsonRequest(all), { contentType: JSON_TYPE });
    assert.equal(response.status, 200, response.body.toString());
    const body = JSON.parse(response.body.toString()) as { partialSuccess?: { rejectedSpans?: unknown; errorMessage?: unknown } };
    assert.equal(body.partialSuccess?.rejectedSpans, '2', JSON.stringify(body));
    assert.equal(typeof body.partialSuccess?.errorMessage, 'string');
    assert.match(String(body.partialSuccess?.errorMessage), /trace id/i, 'the error message says why');
    assert.match(String(body.partialSuccess?.errorMessage), /span id/i, 'the error message says why');
    await assertStored(valid);
    await assertStillServing();
  });

  test('protobuf: 200 with partial_success.rejected_spans 2', async () => {
    const { valid, all } = mixedValidity();
    const response = await postOtlp(server.otlpHttpUrl, protobufRequest(all), { contentType: PROTOBUF });
    assert.equal(response.status, 200, response.body.toString());
    assert.equal(response.headers.get('content-type'), PROTOBUF);
    const decoded = decodeExportResponse(response.body);
    assert.equal(decoded.partialSuccess?.rejectedSpans, 2n);
    assert.notEqual(decoded.partialSuccess?.errorMessage ?? '', '');
    await assertStored(valid);
    await assertStillServing();
  });
});

describe('OTLP/HTTP errors', () => {
  test('400 with a protobuf google.rpc.Status for an undecodable protobuf body', async () => {
    // Field 1 (resource_spans) claims 2^28 bytes; then bytes with an invalid wire type (7).
    for (const garbage of [Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01]), Buffer.from([0x0f, 0xff, 0xff, 0xff])]) {
      const response = await postOtlp(server.otlpHttpUrl, garbage, { contentType: PROTOBUF });
      assert.equal(response.status, 400, response.body.toString());
      assert.equal(response.headers.get('content-type'), PROTOBUF);
      const status = decodeStatus(response.body);
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.notEqual(status.message, '');
      await assertStillServing();
    }
  });

  test('400 with a JSON google.rpc.Status for invalid JSON', async () => {
    const traceId = randomTraceId();
    const text = jsonRequest(makeTrace(traceId)).toString();
    const response = await postOtlp(server.otlpHttpUrl, text.slice(0, text.length - 5), { contentType: JSON_TYPE });
    assert.equal(response.status, 400, response.body.toString());
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const status = JSON.parse(response.body.toString()) as { code: unknown; message: unknown };
    assert.equal(status.code, 3);
    assert.equal(typeof status.message, 'string');
    assert.notEqual(status.message, '');
    assert.equal(await traceStatus(traceId), 404, 'nothing of a refused request is stored');
    await assertStillServing();
  });

  test('400 for a body marked gzip that is not gzip', async () => {
    const spans = makeTrace();
    const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF, contentEncoding: 'gzip' });
    assert.equal(response.status, 400, response.body.toString());
    assert.equal(decodeStatus(response.body).code, grpc.status.INVALID_ARGUMENT);
    assert.equal(await traceStatus(spans[0]!.spanContext().traceId), 404);
    await assertStillServing();
  });

  test('415 for Content-Type text/plain', async () => {
    const spans = makeTrace();
    const response = await postOtlp(server.otlpHttpUrl, jsonRequest(spans), { contentType: 'text/plain' });
    assert.equal(response.status, 415, response.body.toString());
    const status = JSON.parse(response.body.toString()) as { code: unknown; message: unknown };
    assert.equal(typeof status.code, 'number');
    assert.equal(typeof status.message, 'string');
    assert.equal(await traceStatus(spans[0]!.spanContext().traceId), 404);
    await assertStillServing();
  });

  test('415 for an unsupported Content-Encoding', async () => {
    const response = await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace()), { contentType: PROTOBUF, contentEncoding: 'br' });
    assert.equal(response.status, 415, response.body.toString());
    await assertStillServing();
  });

  test('413 for a protobuf body over DUCKTRACE_MAX_BODY_BYTES', async () => {
    const spans = oversizeSpans();
    const body = protobufRequest(spans);
    assert.ok(body.length > MAX_BODY_BYTES);
    const response = await postOtlp(server.otlpHttpUrl, body, { contentType: PROTOBUF });
    assert.equal(response.status, 413, response.body.toString().slice(0, 300));
    assert.equal(response.headers.get('content-type'), PROTOBUF);
    assert.equal(decodeStatus(response.body).code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await traceStatus(spans[0]!.spanContext().traceId), 404);
    await assertStillServing();
  });

  test('413 for a JSON body over DUCKTRACE_MAX_BODY_BYTES', async () => {
    const spans = oversizeSpans();
    const response = await postOtlp(server.otlpHttpUrl, jsonRequest(spans), { contentType: JSON_TYPE });
    assert.equal(response.status, 413, response.body.toString().slice(0, 300));
    assert.equal((JSON.parse(response.body.toString()) as { code: number }).code, grpc.status.RESOURCE_EXHAUSTED);
    assert.equal(await traceStatus(spans[0]!.spanContext().traceId), 404);
    await assertStillServing();
  });

  test('413 for a gzip bomb: a small body that inflates far past the limit', async () => {
    const bomb = gzipBomb(56 * 1024 * 1024);
    const peakBefore = peakRssKiB();
    for (const contentType of [PROTOBUF, JSON_TYPE]) {
      const response = await postOtlp(server.otlpHttpUrl, bomb, { contentType, contentEncoding: 'gzip' });
      assert.equal(response.status, 413, response.body.toString().slice(0, 300));
      assert.equal(response.headers.get('content-type')?.split(';')[0], contentType, 'the Status comes in the request encoding');
    }
    const peakAfter = peakRssKiB();
    if (peakBefore !== undefined && peakAfter !== undefined) {
      // Inflating 56 MiB would raise the peak by at least that much; stopping at the limit costs next to nothing.
      assert.ok(peakAfter - peakBefore < 24 * 1024, `peak RSS grew by ${peakAfter - peakBefore} KiB while refusing the bomb`);
    }
    await assertStillServing();
  });

  test('405 with Allow: POST for GET /v1/traces', async () => {
    const response = await fetch(`${server.otlpHttpUrl}/v1/traces`);
    assert.equal(response.status, 405, await response.text());
    assert.equal(response.headers.get('allow'), 'POST');
    await assertStillServing();
  });

  test('404 for another path on the OTLP port', async () => {
    const response = await fetch(`${server.otlpHttpUrl}/v1/metrics`, { method: 'POST', headers: { 'content-type': JSON_TYPE }, body: '{}' });
    assert.equal(response.status, 404, await response.text());
    await assertStillServing();
  });
});

describe('OTLP/gRPC', () => {
  test('success: OK with an empty ExportTraceServiceResponse, spans stored', async () => {
    const spans = makeTrace();
    const { error, response } = await grpcExport(server.otlpGrpcAddress, protobufRequest(spans));
    assert.equal(error, null, error?.message);
    assert.equal(response?.length, 0);
    await assertStored(spans);
  });

  test('gzip-compressed request succeeds', async () => {
    const spans = makeTrace();
    const { error } = await grpcExport(server.otlpGrpcAddress, protobufRequest(spans), { gzip: true });
    assert.equal(error, null, error?.message);
    await assertStored(spans);
  });

  test('INVALID_ARGUMENT for garbage bytes', async () => {
    const { error } = await grpcExport(server.otlpGrpcAddress, Buffer.from([0x0a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01]));
    assert.equal(error?.code, grpc.status.INVALID_ARGUMENT, error?.message);
    assert.notEqual(error?.details ?? '', '');
    await assertStillServing('grpc', 'http');
  });

  test('partial success: OK with partial_success.rejected_spans 2, the valid spans stored', async () => {
    const { valid, all } = mixedValidity();
    const { error, response } = await grpcExport(server.otlpGrpcAddress, protobufRequest(all));
    assert.equal(error, null, error?.message);
    const decoded = decodeExportResponse(response!);
    assert.equal(decoded.partialSuccess?.rejectedSpans, 2n);
    assert.notEqual(decoded.partialSuccess?.errorMessage ?? '', '');
    await assertStored(valid);
    await assertStillServing('grpc', 'http');
  });

  test('RESOURCE_EXHAUSTED for a message over DUCKTRACE_MAX_BODY_BYTES', async () => {
    const spans = oversizeSpans();
    const { error } = await grpcExport(server.otlpGrpcAddress, protobufRequest(spans));
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED, error?.message);
    assert.equal(await traceStatus(spans[0]!.spanContext().traceId), 404);
    await assertStillServing('grpc', 'http');
  });

  test('RESOURCE_EXHAUSTED for a gzip bomb', async () => {
    const peakBefore = peakRssKiB();
    // The client compresses these 56 MiB of zeros to a message far under the limit.
    const { error } = await grpcExport(server.otlpGrpcAddress, Buffer.alloc(56 * 1024 * 1024), { gzip: true });
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED, error?.message);
    const peakAfter = peakRssKiB();
    if (peakBefore !== undefined && peakAfter !== undefined) {
      assert.ok(peakAfter - peakBefore < 24 * 1024, `peak RSS grew by ${peakAfter - peakBefore} KiB while refusing the bomb`);
    }
    await assertStillServing('grpc', 'http');
  });

  test('UNIMPLEMENTED for another method', async () => {
    const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest('/opentelemetry.proto.collector.metrics.v1.MetricsService/Export', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => {
        client.close();
        resolve(e ?? null);
      });
    });
    assert.equal(error?.code, grpc.status.UNIMPLEMENTED, error?.message);
    await assertStillServing('grpc');
  });
});

describe('after all of the above', () => {
  test('the first trace is intact and the server reports healthy', async () => {
    assert.deepEqual(await getTrace<CallTree>(server.queryUrl, baselineId), baselineTree);
    const health = await getJson<{ status: string }>(`${server.queryUrl}/healthz`);
    assert.equal(health.status, 200);
    assert.equal(health.body.status, 'ok');
  });
});
