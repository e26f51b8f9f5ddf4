/**
 * Backpressure of the real server process, as the OTLP specification defines it: a throttled export is
 * answered HTTP 429 or 503 with Retry-After, or gRPC UNAVAILABLE, each with google.rpc.RetryInfo; nothing
 * acknowledged is lost, nothing refused is stored, and a real SDK exporter that retries gets through.
 * - A slowed writer (it commits once every 2 s) and a write queue of 30 spans: 429 once the queue is full.
 * - A write-ahead log capped at 64 KiB that the tail sampler does not release (it waits a minute): 503,
 *   then a SIGKILL and a restart that replays the full log into storage.
 * - A memory limit that large exports held by the tail sampler reach: 429 / UNAVAILABLE, while
 *   queries are still answered; the restart stores every acknowledged span.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  decodeRetryDelaySeconds,
  decodeStatus,
  grpc,
  grpcExport,
  JSON_TYPE,
  jsonRequest,
  makeSpan,
  makeTrace,
  postOtlp,
  PROTOBUF,
  protobufRequest,
} from '../helpers/otlp.js';
import { fetchMetrics, labelledMetricValue, makeTempDir, metricValue, removeTempDirs, sqlRows, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

/**
 * Writes a config file whose tail sampler keeps every trace, deciding it `decisionWaitMs` after its
 * first span or `quietAfterRootMs` after its root (and holding up to `maxSpans` when given); returns its path.
 */
function keepAllConfig(path: string, decisionWaitMs: number, quietAfterRootMs: number, maxSpans?: number): string {
  const limit = maxSpans === undefined ? '' : `    maxSpans: ${maxSpans}\n`;
  writeFileSync(path, `sampling:\n  tail:\n    enabled: true\n    decisionWaitMs: ${decisionWaitMs}\n    quietAfterRootMs: ${quietAfterRootMs}\n${limit}    policies:\n      - { name: keep-all, type: always_sample }\n`);
  return path;
}

/** trace id → number of stored spans, asserting first that no span is stored twice. */
async function storedTraces(server: ServerHandle): Promise<Map<string, number>> {
  const duplicates = await sqlRows(server, 'SELECT trace_id, span_id FROM spans GROUP BY ALL HAVING count(*) > 1');
  assert.deepEqual(duplicates, [], 'spans stored more than once');
  const rows = await sqlRows(server, 'SELECT trace_id, count(*) FROM spans GROUP BY trace_id');
  return new Map(rows.map(([traceId, n]) => [traceId!, Number(n)]));
}

const traceIdOf = (spans: ReadableSpan[]): string => spans[0]!.spanContext().traceId;

/** Asserts a throttled OTLP/HTTP answer: the status, Retry-After, and a google.rpc.Status with RetryInfo. */
function assertHttpThrottled(response: { status: number; headers: Headers; body: Buffer }, status: number, encoding: 'protobuf' | 'json', message: RegExp): void {
  assert.equal(response.status, status, response.body.toString());
  assert.equal(response.headers.get('retry-after'), '1');
  if (encoding === 'protobuf') {
    assert.equal(response.headers.get('content-type'), PROTOBUF);
    const decoded = decodeStatus(response.body);
    assert.equal(decoded.code, grpc.status.UNAVAILABLE);
    assert.match(decoded.message, message);
    assert.equal(decodeRetryDelaySeconds(response.body), 1);
  } else {
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const decoded = JSON.parse(response.body.toString()) as { code: number; message: string; details: Array<{ '@type': string; retryDelay: string }> };
    assert.equal(decoded.code, grpc.status.UNAVAILABLE);
    assert.match(decoded.message, message);
    assert.deepEqual(decoded.details, [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1s' }]);
  }
}

/** Asserts a throttled OTLP/gRPC answer: UNAVAILABLE with RetryInfo in grpc-status-details-bin. */
async function assertGrpcThrottled(server: ServerHandle, spans: ReadableSpan[], message: RegExp): Promise<void> {
  const { error } = await grpcExport(server.otlpGrpcAddress, protobufRequest(spans));
  assertGrpcErrorThrottled(error, message);
}

function assertGrpcErrorThrottled(error: Awaited<ReturnType<typeof grpcExport>>['error'], message: RegExp): void {
  assert.ok(error, 'the gRPC export is refused');
  assert.equal(error.code, grpc.status.UNAVAILABLE, error.details);
  assert.match(error.details, message);
  const details = error.metadata.get('grpc-status-details-bin')[0];
  assert.ok(Buffer.isBuffer(details), 'grpc-status-details-bin is set');
  assert.equal(decodeStatus(details).code, grpc.status.UNAVAILABLE);
  assert.equal(decodeRetryDelaySeconds(details), 1);
}

describe('a slowed writer behind a full write queue', () => {
  test('exports are refused with 429 / UNAVAILABLE and Retry-After until the writer catches up; an SDK exporter retries and gets through', async () => {
    // The writer commits 2 s after the first span it waits for; at most 30 spans may wait.
    const server = await startServer({ env: { DUCKTRACE_FLUSH_INTERVAL_MS: '2000', DUCKTRACE_FLUSH_MAX_SPANS: '1000000', DUCKTRACE_MAX_QUEUED_SPANS: '30' } });
    servers.push(server);

    const accepted: ReadableSpan[][] = [];
    for (let i = 0; i < 10; i++) {
      const spans = makeTrace(undefined, 2, 'backpressure');
      const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
      assert.equal(response.status, 200, response.body.toString());
      accepted.push(spans);
    }
    const full = await fetchMetrics(server);
    assert.equal(metricValue(full, 'ducktrace_writer_queue_spans'), 30, 'the queue holds the 30 accepted spans and no more');
    assert.equal(metricValue(full, 'ducktrace_spans_stored_total'), 0, 'the slowed writer has not committed yet');

    const refused = [makeTrace(undefined, 2, 'refused'), makeTrace(undefined, 2, 'refused'), makeTrace(undefined, 2, 'refused')];
    const queueFull = /the write queue is full \(30 spans waiting, limit 30\); retry later/;
    assertHttpThrottled(await postOtlp(server.otlpHttpUrl, protobufRequest(refused[0]!), { contentType: PROTOBUF }), 429, 'protobuf', queueFull);
    assertHttpThrottled(await postOtlp(server.otlpHttpUrl, jsonRequest(refused[1]!), { contentType: JSON_TYPE }), 429, 'json', queueFull);
    await assertGrpcThrottled(server, refused[2]!, queueFull);
    const afterRefusals = await fetchMetrics(server);
    assert.equal(labelledMetricValue(afterRefusals, 'ducktrace_spans_refused_total', { reason: 'overloaded' }) - labelledMetricValue(full, 'ducktrace_spans_refused_total', { reason: 'overloaded' }), 9);
    assert.equal(metricValue(afterRefusals, 'ducktrace_writer_queue_spans'), 30, 'refused spans take no room');

    // A real SDK exporter sent into the full queue: refused at first, it honours Retry-After and succeeds.
    const sdkTrace = makeTrace(undefined, 2, 'sdk-retried');
    const exporter = new OTLPTraceExporter({ url: `${server.otlpHttpUrl}/v1/traces`, timeoutMillis: 10_000 });
    const result = await new Promise<ExportResult>((resolve) => exporter.export(sdkTrace, resolve));
    await exporter.shutdown();
    assert.equal(result.code, ExportResultCode.SUCCESS, String(result.error));
    accepted.push(sdkTrace);
    assert.ok(labelledMetricValue(await fetchMetrics(server), 'ducktrace_spans_refused_total', { reason: 'overloaded' }) - labelledMetricValue(afterRefusals, 'ducktrace_spans_refused_total', { reason: 'overloaded' }) >= 3, "the SDK exporter's first attempt was refused");

    await waitFor(async () => ((await storedTraces(server)).size === accepted.length ? true : undefined), 'the accepted traces to be stored', 10_000, 100);
    const stored = await storedTraces(server);
    assert.deepEqual(
      [...stored].sort(),
      accepted.map((spans) => [traceIdOf(spans), 3] as [string, number]).sort(),
      'every accepted span is stored once, no refused span is',
    );
    const exit = await server.stop();
    assert.equal(exit.code, 0, exit.stderr);
  });
});

describe('a write-ahead log at its disk limit', () => {
  test('exports are refused with 503 / UNAVAILABLE and Retry-After; after a SIGKILL the restart replays every acknowledged span', async (t) => {
    const configDir = makeTempDir('ducktrace-backpressure-config-');
    // The tail sampler holds every trace for a minute, so no log record is released meanwhile.
    const holdConfig = keepAllConfig(join(configDir, 'hold.yaml'), 60_000, 60_000);
    const dataDir = makeTempDir();
    const walEnv = { DUCKTRACE_WAL_SEGMENT_BYTES: '65536', DUCKTRACE_WAL_MAX_BYTES: '65536' };
    const first = await startServer({ dataDir, env: { ...walEnv, DUCKTRACE_CONFIG: holdConfig } });
    servers.push(first);

    const accepted: ReadableSpan[][] = [];
    let refusal: Awaited<ReturnType<typeof postOtlp>> | undefined;
    for (let i = 0; i < 5_000 && refusal === undefined; i++) {
      const spans = makeTrace(undefined, 9, 'wal-full');
      const response = await postOtlp(first.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
      if (response.status === 200) accepted.push(spans);
      else refusal = response;
    }
    assert.ok(refusal, 'the log filled up');
    t.diagnostic(`${accepted.length} exports of 10 spans acknowledged before the log was full`);
    const walFull = /the write-ahead log is full \(\d+ of 65536 bytes in use until stored spans are released; walMaxBytes\); retry later/;
    assertHttpThrottled(refusal, 503, 'protobuf', walFull);
    const refused = [makeTrace(undefined, 9, 'refused'), makeTrace(undefined, 9, 'refused')];
    assertHttpThrottled(await postOtlp(first.otlpHttpUrl, jsonRequest(refused[0]!), { contentType: JSON_TYPE }), 503, 'json', walFull);
    await assertGrpcThrottled(first, refused[1]!, walFull);

    const text = await fetchMetrics(first);
    assert.ok(metricValue(text, 'ducktrace_wal_disk_bytes') <= 65536, `the log stays within its limit: ${metricValue(text, 'ducktrace_wal_disk_bytes')} bytes`);
    assert.equal(metricValue(text, 'ducktrace_tail_sampling_traces_pending'), accepted.length);
    assert.equal(labelledMetricValue(text, 'ducktrace_spans_refused_total', { reason: 'wal_full' }), 30);
    assert.equal(metricValue(text, 'ducktrace_spans_stored_total'), 0);
    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');

    // The restart decides the replayed traces at once and stores every acknowledged span.
    const decideConfig = keepAllConfig(join(configDir, 'decide.yaml'), 200, 100);
    const second = await startServer({ dataDir, env: { ...walEnv, DUCKTRACE_CONFIG: decideConfig } });
    servers.push(second);
    assert.match(second.stdout(), new RegExp(`write-ahead log: replaying ${accepted.length} records`));
    await waitFor(async () => ((await storedTraces(second)).size === accepted.length ? true : undefined), 'the replayed traces to be stored', 10_000, 100);
    const stored = await storedTraces(second);
    assert.deepEqual([...stored].sort(), accepted.map((spans) => [traceIdOf(spans), 10] as [string, number]).sort());

    // Once the replayed records are released, the log accepts exports again.
    await waitFor(async () => (metricValue(await fetchMetrics(second), 'ducktrace_wal_disk_bytes') < 1024 ? true : undefined), 'the replayed log to be released', 10_000, 50);
    const again = await postOtlp(second.otlpHttpUrl, protobufRequest(makeTrace(undefined, 9, 'wal-again')), { contentType: PROTOBUF });
    assert.equal(again.status, 200, again.body.toString());

    const exit = await second.stop();
    assert.equal(exit.code, 0, exit.stderr);
  });
});

/** One trace of `spans` spans, each with an 8,000-character attribute: an export of about 4 MB. */
function largeTrace(spans: number): ReadableSpan[] {
  const first = makeTrace(undefined, 0, 'memory-limit')[0]!;
  const traceId = first.spanContext().traceId;
  const payload = 'm'.repeat(8_000);
  return Array.from({ length: spans }, (_, i) =>
    makeSpan({ traceId, parentSpanId: i === 0 ? undefined : first.spanContext().spanId, spanId: i === 0 ? first.spanContext().spanId : undefined, name: `op ${i}`, service: 'memory-limit', kind: SpanKind.INTERNAL, attributes: { payload, i } }),
  );
}

describe('a server at its memory limit', () => {
  test('large exports held in memory bring 429 / UNAVAILABLE with Retry-After on every transport, queries are still answered, and every acknowledged span is stored after a restart', async (t) => {
    const configDir = makeTempDir('ducktrace-memory-config-');
    // The tail sampler holds every trace for a minute, so the memory they take is not given back meanwhile.
    const holdConfig = keepAllConfig(join(configDir, 'hold.yaml'), 60_000, 60_000, 10_000_000);
    const dataDir = makeTempDir();
    const limitMb = 320;
    const first = await startServer({ dataDir, env: { DUCKTRACE_CONFIG: holdConfig, DUCKTRACE_MEMORY_LIMIT_MB: String(limitMb), DUCKTRACE_MAX_BODY_BYTES: String(256 * 2 ** 20) } });
    servers.push(first);
    const atStart = await fetchMetrics(first);
    assert.equal(metricValue(atStart, 'ducktrace_memory_limit_bytes'), limitMb * 1024 * 1024);
    t.diagnostic(`memory in use at start: ${Math.round(metricValue(atStart, 'ducktrace_memory_in_use_bytes') / 2 ** 20)} MiB`);

    const accepted: ReadableSpan[][] = [];
    const memoryFull = /the server's memory is at its limit \(\d+ MiB in use, \d+ MiB wanted by exports being read, limit 320 MiB: memoryLimitMb\); retry later/;
    // Each export holds about 4 MB more until the limit is reached; 200 of them would hold 800 MB.
    const sendUntilRefused = async (send: (spans: ReadableSpan[]) => Promise<{ refused: boolean }>): Promise<void> => {
      for (let i = 0; i < 200; i++) {
        const spans = largeTrace(500);
        if ((await send(spans)).refused) return;
        accepted.push(spans);
      }
      assert.fail('200 large exports were all accepted under a 320 MiB memory limit');
    };
    await sendUntilRefused(async (spans) => {
      const response = await postOtlp(first.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
      if (response.status === 200) return { refused: false };
      assertHttpThrottled(response, 429, 'protobuf', memoryFull);
      return { refused: true };
    });
    t.diagnostic(`${accepted.length} exports of 500 spans acknowledged before the limit`);
    // An export whose announced body would not fit is refused before its body is read.
    const announced = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${first.otlpHttpUrl}/v1/traces`, { method: 'POST', headers: { 'content-type': JSON_TYPE, 'content-length': String(256 * 2 ** 20) } }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          request.destroy();
          resolve({ status: response.statusCode ?? 0, body });
        });
      });
      request.on('error', reject);
      request.write('{');
    });
    assert.equal(announced.status, 429, announced.body);
    assert.match(announced.body, memoryFull);
    await sendUntilRefused(async (spans) => {
      const response = await postOtlp(first.otlpHttpUrl, jsonRequest(spans), { contentType: JSON_TYPE });
      if (response.status === 200) return { refused: false };
      assertHttpThrottled(response, 429, 'json', memoryFull);
      return { refused: true };
    });
    await sendUntilRefused(async (spans) => {
      const { error } = await grpcExport(first.otlpGrpcAddress, protobufRequest(spans));
      if (!error) return { refused: false };
      assertGrpcErrorThrottled(error, memoryFull);
      return { refused: true };
    });

    const services = await fetch(`${first.queryUrl}/api/v1/services`);
    assert.equal(services.status, 200, 'queries are still answered');
    const text = await fetchMetrics(first);
    assert.ok(labelledMetricValue(text, 'ducktrace_exports_refused_total', { reason: 'memory_limit' }) >= 3);
    assert.equal(metricValue(text, 'ducktrace_spans_stored_total'), 0);
    assert.equal((await first.stop('SIGKILL')).signal, 'SIGKILL');

    const decideConfig = keepAllConfig(join(configDir, 'decide.yaml'), 200, 100);
    const second = await startServer({ dataDir, env: { DUCKTRACE_CONFIG: decideConfig } });
    servers.push(second);
    await waitFor(async () => ((await storedTraces(second)).size === accepted.length ? true : undefined), 'the replayed traces to be stored', 30_000, 100);
    const stored = await storedTraces(second);
    assert.deepEqual([...stored].sort(), accepted.map((spans) => [traceIdOf(spans), 500] as [string, number]).sort());
    const exit = await second.stop();
    assert.equal(exit.code, 0, exit.stderr);
  });
});
