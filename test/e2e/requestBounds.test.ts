/**
 * The work one request can force on the real server, bounded:
 * - spans per request (maxSpansPerRequest, never more than maxQueuedSpans): a small gzip body that
 *   inflates to a million empty spans is refused 413 / RESOURCE_EXHAUSTED before its spans are decoded;
 * - OTLP/JSON tokens: a 20,000,000-digit number, as a number or as a string, is refused 400;
 * - gRPC messages are let in to be read only while the memory limit has room for the largest one: past
 *   it a call waits, then is refused UNAVAILABLE with RetryInfo, its message unread; concurrent large
 *   exports against a low memory limit get OK or UNAVAILABLE, and every acknowledged span is stored.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  decodeRetryDelaySeconds,
  decodeStatus,
  grpc,
  grpcExport,
  JSON_TYPE,
  makeSpan,
  makeTrace,
  postOtlp,
  PROTOBUF,
  protobufRequest,
  randomSpanId,
  randomTraceId,
  startUnfinishedExport,
  type GrpcAnswer,
} from '../helpers/otlp.js';
import { fetchMetrics, getJson, labelledMetricValue, makeTempDir, metricValue, removeTempDirs, sqlRows, startServer, waitFor, type ServerHandle } from '../helpers/server.js';
import { emptySpansRequest } from '../fixtures/protobufWriter.js';

const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

async function start(env: Record<string, string> = {}, dataDir?: string): Promise<ServerHandle> {
  const server = await startServer({ env, dataDir });
  servers.push(server);
  return server;
}


const emptySpansJson = (n: number): Buffer => Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[${Array(n).fill('{}').join(',')}]}]}]}`);

/** `n` valid spans of one trace, under one resource and scope. */
function validSpansJson(n: number): Buffer {
  const traceId = randomTraceId();
  const now = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: n }, () => ({ traceId, spanId: randomSpanId(), name: 'op', startTimeUnixNano: String(now), endTimeUnixNano: String(now + 1000n) }));
  return Buffer.from(JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'bounds' } }] }, scopeSpans: [{ spans }] }] }));
}

const spanWith = (startTimeUnixNano: string): Buffer =>
  Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","name":"op","startTimeUnixNano":${startTimeUnixNano}}]}]}]}`);

async function healthz(server: ServerHandle): Promise<number> {
  return (await getJson(`${server.queryUrl}/healthz`)).status;
}

describe('spans per request', () => {
  test('2 KB of gzip inflating to 1,000,000 empty spans is refused 413 / RESOURCE_EXHAUSTED before any span is decoded', async () => {
    const server = await start();
    const tooMany = /^the request holds more than 100000 spans, the most one request may hold \(maxSpansPerRequest, never more than maxQueuedSpans\); send smaller batches$/;
    const protobuf = emptySpansRequest(1_000_000);
    const [response, health] = await Promise.all([postOtlp(server.otlpHttpUrl, protobuf, { contentType: PROTOBUF, gzip: true }), healthz(server)]);
    assert.equal(health, 200);
    assert.equal(response.status, 413, response.body.toString());
    const status = decodeStatus(response.body);
    assert.equal(status.code, grpc.status.RESOURCE_EXHAUSTED);
    assert.match(status.message, tooMany);

    const json = await postOtlp(server.otlpHttpUrl, emptySpansJson(1_000_000), { contentType: JSON_TYPE, gzip: true });
    assert.equal(json.status, 413, json.body.toString());
    assert.match((JSON.parse(json.body.toString()) as { message: string }).message, tooMany);

    // Not retryable: no RetryInfo, as the OTLP specification says for a request too large.
    const { error } = await grpcExport(server.otlpGrpcAddress, protobuf, { gzip: true });
    assert.equal(error?.code, grpc.status.RESOURCE_EXHAUSTED, error?.message);
    assert.match(error.details, tooMany);
    assert.deepEqual(error.metadata.get('grpc-status-details-bin'), []);

    const metrics = await fetchMetrics(server);
    assert.equal(labelledMetricValue(metrics, 'ducktrace_exports_refused_total', { reason: 'too_many_spans' }), 3);
    assert.equal(metricValue(metrics, 'ducktrace_spans_received_total'), 0, 'no span was decoded');
    const fine = await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace()), { contentType: PROTOBUF });
    assert.equal(fine.status, 200);
  });

  test('a request of maxSpansPerRequest spans is accepted and one more is refused; maxQueuedSpans caps the setting', async () => {
    const server = await start({ DUCKTRACE_MAX_SPANS_PER_REQUEST: '50' });
    assert.equal((await postOtlp(server.otlpHttpUrl, validSpansJson(50), { contentType: JSON_TYPE })).status, 200);
    const over = await postOtlp(server.otlpHttpUrl, validSpansJson(51), { contentType: JSON_TYPE });
    assert.equal(over.status, 413);
    assert.match(over.body.toString(), /the request holds more than 50 spans/);
    // Each span of the SDK's own here has a resource of its own: resourceSpans count alike.
    const resources = await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace(undefined, 50)), { contentType: PROTOBUF });
    assert.equal(resources.status, 413);
    assert.match(decodeStatus(resources.body).message, /the request holds more than 50 resourceSpans/);

    // A request larger than the write queue could never be admitted: refused as too large, not as overload to retry for ever.
    const small = await start({ DUCKTRACE_MAX_QUEUED_SPANS: '20' });
    const refused = await postOtlp(small.otlpHttpUrl, validSpansJson(21), { contentType: JSON_TYPE });
    assert.equal(refused.status, 413, refused.body.toString());
    assert.equal(refused.headers.get('retry-after'), null);
    assert.match(refused.body.toString(), /the request holds more than 20 spans/);
  });
});

describe('OTLP/JSON tokens', () => {
  test('a 20,000,000-digit number in 20 KB of gzip is refused 400, as a number and as a string', async () => {
    const server = await start();
    const digits = '7'.repeat(20_000_000);
    const [asNumber, asString, health] = await Promise.all([
      postOtlp(server.otlpHttpUrl, spanWith(digits), { contentType: JSON_TYPE, gzip: true }),
      postOtlp(server.otlpHttpUrl, spanWith(`"${digits}"`), { contentType: JSON_TYPE, gzip: true }),
      healthz(server),
    ]);
    assert.equal(health, 200);
    for (const [response, message] of [
      [asNumber, /^cannot decode the ExportTraceServiceRequest: json: a number is longer than 64 characters at byte \d+$/],
      [asString, /^cannot decode the ExportTraceServiceRequest: json: span.startTimeUnixNano is longer than 64 characters$/],
    ] as const) {
      assert.equal(response.status, 400, response.body.toString());
      const status = JSON.parse(response.body.toString()) as { code: number; message: string };
      assert.equal(status.code, grpc.status.INVALID_ARGUMENT);
      assert.match(status.message, message);
    }
  });
});

/** Asserts a gRPC refusal for memory: UNAVAILABLE with RetryInfo, naming memoryLimitMb. */
function assertMemoryRefusal(code: number | undefined, details: string | undefined, statusDetails: unknown): void {
  assert.equal(code, grpc.status.UNAVAILABLE, details);
  assert.match(details ?? '', /the server's memory is at its limit \(\d+ MiB in use, \d+ MiB wanted by exports being read, limit \d+ MiB: memoryLimitMb\); retry later/);
  assert.ok(Buffer.isBuffer(statusDetails), 'grpc-status-details-bin is set');
  assert.equal(decodeRetryDelaySeconds(statusDetails), 1);
}

const detailsOf = (answer: GrpcAnswer): Buffer | undefined => {
  const value = answer.headers['grpc-status-details-bin'];
  return typeof value === 'string' ? Buffer.from(value, 'base64') : undefined;
};

describe('gRPC messages and the memory limit', () => {
  test('a message is read only while the memory limit has room for the largest; other calls wait, then are refused UNAVAILABLE unread', async () => {
    // Room for two messages of maxBodyBytes (48 MiB), read twice over, in 256 MiB beside the server's own memory.
    const server = await start({ DUCKTRACE_MEMORY_LIMIT_MB: '256', DUCKTRACE_MAX_BODY_BYTES: String(48 * 2 ** 20) });
    const unfinished = [0, 1, 2].map(() => startUnfinishedExport(server.otlpGrpcAddress, 40 * 2 ** 20, 1024));
    const noAnswer = new Promise<null>((resolve) => setTimeout(() => resolve(null), 8_000));
    const answers = await Promise.all(unfinished.map((call) => Promise.race([call.answer, noAnswer])));
    const refused = answers.filter((a): a is GrpcAnswer => a !== null);
    assert.ok(refused.length >= 1, 'the third call at least finds no room');
    assert.ok(refused.length <= 2, 'the first call is let in to be read');
    for (const answer of refused) assertMemoryRefusal(answer.grpcStatus, answer.grpcMessage, detailsOf(answer));

    // A complete export too waits for room while those messages are read, and is refused.
    const waiting = await grpcExport(server.otlpGrpcAddress, protobufRequest(makeTrace()), { ownConnection: true });
    assertMemoryRefusal(waiting.error?.code, waiting.error?.details, waiting.error?.metadata.get('grpc-status-details-bin')[0]);
    // OTLP/HTTP announces its size: a small export still fits.
    assert.equal((await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace()), { contentType: PROTOBUF })).status, 200);

    // Dropped, the calls being read give their room back.
    for (const call of unfinished) call.close();
    const spans = makeTrace(undefined, 2, 'after-the-reads');
    await waitFor(async () => ((await grpcExport(server.otlpGrpcAddress, protobufRequest(spans))).error === null ? true : undefined), 'a gRPC export to be let in', 10_000, 200);
    assert.ok(labelledMetricValue(await fetchMetrics(server), 'ducktrace_exports_refused_total', { reason: 'memory_limit', transport: 'grpc' }) >= 2);
  });

  test('concurrent large exports against a low memory limit get OK or UNAVAILABLE, and every acknowledged span is stored', async () => {
    const configDir = makeTempDir('ducktrace-bounds-config-');
    const config = (name: string, waitMs: number): string => {
      const path = join(configDir, name);
      writeFileSync(path, `sampling:\n  tail:\n    enabled: true\n    decisionWaitMs: ${waitMs}\n    quietAfterRootMs: ${waitMs}\n    maxSpans: 10000000\n    policies:\n      - { name: keep-all, type: always_sample }\n`);
      return path;
    };
    const dataDir = makeTempDir();
    // The tail sampler holds every trace for a minute, so that what is accepted stays in memory.
    const first = await start({ DUCKTRACE_CONFIG: config('hold.yaml', 60_000), DUCKTRACE_MEMORY_LIMIT_MB: '256', DUCKTRACE_MAX_BODY_BYTES: String(16 * 2 ** 20) }, dataDir);
    const traces = Array.from({ length: 24 }, (_, t) => largeTrace(600, `bounds-${t}`));
    const answers = await Promise.all(traces.map((spans) => grpcExport(first.otlpGrpcAddress, protobufRequest(spans), { ownConnection: true, timeoutMs: 60_000 })));
    const accepted: ReadableSpan[][] = [];
    for (const [i, { error }] of answers.entries()) {
      if (error === null) accepted.push(traces[i]!);
      else assertMemoryRefusal(error.code, error.details, error.metadata.get('grpc-status-details-bin')[0]);
    }
    assert.ok(accepted.length >= 1 && accepted.length < traces.length, `${accepted.length} of ${traces.length} exports of about 5 MB acknowledged under a 256 MiB limit`);
    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');

    const second = await start({ DUCKTRACE_CONFIG: config('decide.yaml', 100) }, dataDir);
    const traceIdOf = (spans: ReadableSpan[]): string => spans[0]!.spanContext().traceId;
    const stored = async (): Promise<Map<string, number>> => new Map((await sqlRows(second, 'SELECT trace_id, count(*) FROM spans GROUP BY trace_id')).map(([id, n]) => [id!, Number(n)]));
    await waitFor(async () => ((await stored()).size === accepted.length ? true : undefined), 'the acknowledged traces to be stored', 30_000, 200);
    assert.deepEqual([...(await stored())].sort(), accepted.map((spans) => [traceIdOf(spans), 600] as [string, number]).sort(), 'every acknowledged span is stored, no refused one');
  });
});

/** One trace of `spans` spans, each with an 8,000-character attribute. */
function largeTrace(spans: number, service: string): ReadableSpan[] {
  const root = makeTrace(undefined, 0, service)[0]!;
  const { traceId, spanId } = root.spanContext();
  const payload = 'g'.repeat(8_000);
  return Array.from({ length: spans }, (_, i) =>
    makeSpan({ traceId, spanId: i === 0 ? spanId : undefined, parentSpanId: i === 0 ? undefined : spanId, name: `op ${i}`, service, kind: SpanKind.INTERNAL, attributes: { payload, i } }),
  );
}
