/**
 * Durability and lifecycle of the real server process: SIGTERM commits every export already accepted
 * (even ones still waiting for their batch) and exits 0; a restart on the same data directory serves
 * every trace identically; a second server on a data directory in use refuses to start, clearly.
 * Also the query API's 404 and 400.
 */
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { assertCallTree, type CallTree } from '../helpers/expected.js';
import { JSON_TYPE, PROTOBUF, grpcExport, jsonRequest, makeTrace, postOtlp, protobufRequest } from '../helpers/otlp.js';
import {
  getJson,
  getTrace,
  logMessages,
  makeTempDir,
  metricValue,
  removeTempDirs,
  runServerToExit,
  startServer,
  waitFor,
  type ServerExit,
  type ServerHandle,
} from '../helpers/server.js';

/** Long enough that exports are still waiting for their batch when SIGTERM arrives. */
const SLOW_FLUSH_MS = 2500;
/** A stop commits at most one batch: SLOW_FLUSH_MS plus a checkpoint. Beyond this the server is killed. */
const STOP_TIMEOUT_MS = 10_000;

let dataDir: string;
let first: ServerHandle;
let second: ServerHandle | undefined;
/** Trace id → the call tree read back before the restart. */
const before_restart = new Map<string, CallTree>();
/** Spans of the exports in flight at SIGTERM. */
const inFlight: ReadableSpan[][] = [];

before(async () => {
  dataDir = makeTempDir();
  first = await startServer({ dataDir, env: { DUCKTRACE_FLUSH_INTERVAL_MS: String(SLOW_FLUSH_MS) } });
});

after(async () => {
  await first?.stop('SIGKILL').catch(() => undefined);
  await second?.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

describe('first run', () => {
  test('traces exported over protobuf, JSON and gRPC read back as sent', async () => {
    const batches = [makeTrace(undefined, 3, 'restart-protobuf'), makeTrace(undefined, 2, 'restart-json'), makeTrace(undefined, 4, 'restart-grpc')];
    const [viaProtobuf, viaJson, viaGrpc] = batches as [ReadableSpan[], ReadableSpan[], ReadableSpan[]];
    const [p, j, g] = await Promise.all([
      postOtlp(first.otlpHttpUrl, protobufRequest(viaProtobuf), { contentType: PROTOBUF }),
      postOtlp(first.otlpHttpUrl, jsonRequest(viaJson), { contentType: JSON_TYPE }),
      grpcExport(first.otlpGrpcAddress, protobufRequest(viaGrpc)),
    ]);
    assert.equal(p.status, 200, p.body.toString());
    assert.equal(j.status, 200, j.body.toString());
    assert.equal(g.error, null, g.error?.message);
    for (const spans of batches) {
      const traceId = spans[0]!.spanContext().traceId;
      const tree = await getTrace<CallTree>(first.queryUrl, traceId, SLOW_FLUSH_MS + 2_000);
      assertCallTree(tree, spans, traceId);
      before_restart.set(traceId, tree);
    }
  });

  test('a second server on the same data directory exits 1 with a clear message and no stack trace', async () => {
    const exit = await runServerToExit(dataDir);
    assert.equal(exit.code, 1, `exit code\n${exit.stdout}\n${exit.stderr}`);
    const fatal = logMessages(exit.stdout, ['fatal']);
    assert.ok(
      fatal.includes(`ducktrace: data directory ${dataDir} is in use by another running ducktrace (pid ${first.pid})`),
      `the log's fatal entry names the directory and the pid holding it:\n${exit.stdout}`,
    );
    assert.ok(!exit.stdout.includes('    at ') && !exit.stdout.includes('"stack"'), `no stack trace:\n${exit.stdout}`);
    assert.equal(exit.stderr, '');
    assert.doesNotMatch(exit.stdout, /listening on/, 'it never started listening');
    // The running server is untouched.
    for (const [traceId, tree] of before_restart) assert.deepEqual(await getTrace<CallTree>(first.queryUrl, traceId, SLOW_FLUSH_MS + 2_000), tree);
  });

  test('SIGTERM commits the exports still waiting for their batch, answers them, and exits 0', async () => {
    const viaProtobuf = makeTrace(undefined, 5, 'restart-in-flight');
    const viaJson = makeTrace(undefined, 1, 'restart-in-flight');
    const viaGrpc = makeTrace(undefined, 2, 'restart-in-flight');
    inFlight.push(viaProtobuf, viaJson, viaGrpc);
    const spanCount = inFlight.reduce((n, spans) => n + spans.length, 0);
    const answers = Promise.all([
      postOtlp(first.otlpHttpUrl, protobufRequest(viaProtobuf), { contentType: PROTOBUF }),
      postOtlp(first.otlpHttpUrl, jsonRequest(viaJson), { contentType: JSON_TYPE }),
      grpcExport(first.otlpGrpcAddress, protobufRequest(viaGrpc)),
    ]);
    // Accepted: queued for the writer, not yet committed (the batch waits SLOW_FLUSH_MS).
    await waitFor(
      async () => {
        const text = await (await fetch(`${first.queryUrl}/metrics`)).text();
        return metricValue(text, 'ducktrace_writer_queue_spans') >= spanCount ? true : undefined;
      },
      `all ${spanCount} in-flight spans to be queued`,
      SLOW_FLUSH_MS - 300,
      10,
    );
    const stopped = first.stop('SIGTERM', STOP_TIMEOUT_MS);
    stopped.catch(() => undefined);
    const [p, j, g] = await answers;
    assert.equal(p.status, 200, `in-flight protobuf export: ${p.body.toString()}`);
    assert.equal(j.status, 200, `in-flight JSON export: ${j.body.toString()}`);
    assert.equal(g.error, null, `in-flight gRPC export: ${g.error?.message}`);
    let exit: ServerExit;
    try {
      exit = await stopped;
    } catch (error) {
      assert.fail(`every in-flight export was answered, but the server did not exit within ${STOP_TIMEOUT_MS} ms of SIGTERM and was killed: ${(error as Error).message}`);
    }
    assert.equal(exit.code, 0, `exit code after SIGTERM\n${exit.stdout}\n${exit.stderr}`);
    assert.match(exit.stdout, /SIGTERM received/);
    assert.ok(!exit.stderr.includes('    at '), `no stack trace:\n${exit.stderr}`);
    const wal = join(dataDir, 'ducktrace.duckdb.wal');
    assert.ok(!existsSync(wal) || statSync(wal).size === 0, 'a clean stop leaves no WAL to replay');
  });
});

describe('second run on the same data directory', () => {
  before(async () => {
    second = await startServer({ dataDir });
  });

  test('every trace acknowledged before the restart is there, identical', async () => {
    assert.equal(before_restart.size, 3);
    for (const [traceId, tree] of before_restart) assert.deepEqual(await getTrace<CallTree>(second!.queryUrl, traceId), tree);
  });

  test('every export in flight at SIGTERM was committed', async () => {
    assert.equal(inFlight.length, 3);
    for (const spans of inFlight) {
      const traceId = spans[0]!.spanContext().traceId;
      assertCallTree(await getTrace<CallTree>(second!.queryUrl, traceId), spans, traceId);
    }
  });

  test('the services of both runs are listed', async () => {
    const response = await getJson<{ services: string[] }>(`${second!.queryUrl}/api/v1/services`);
    assert.equal(response.status, 200);
    for (const service of ['restart-protobuf', 'restart-json', 'restart-grpc', 'restart-in-flight']) {
      assert.ok(response.body.services.includes(service), `${service} in ${JSON.stringify(response.body)}`);
    }
  });

  test('a trace id in upper case finds the same trace', async () => {
    const [traceId, tree] = [...before_restart][0]!;
    assert.deepEqual(await getTrace<CallTree>(second!.queryUrl, traceId.toUpperCase()), tree);
  });

  test('404 {error:{code,message}} for an unknown trace id', async () => {
    const response = await getJson<{ error: { code: string; message: string } }>(`${second!.queryUrl}/api/v1/traces/0123456789abcdef0123456789abcdef`);
    assert.equal(response.status, 404);
    assert.equal(response.body.error.code, 'not_found');
    assert.equal(typeof response.body.error.message, 'string');
    assert.notEqual(response.body.error.message, '');
  });

  test('400 {error:{code,message}} for malformed trace ids', async () => {
    for (const bad of ['xyz', '0123456789abcdef0123456789abcde', '0123456789abcdef0123456789abcdef0', 'g123456789abcdef0123456789abcdef', '00000000000000000000000000000000']) {
      const response = await getJson<{ error: { code: string; message: string } }>(`${second!.queryUrl}/api/v1/traces/${bad}`);
      assert.equal(response.status, 400, `${bad}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'invalid_argument');
      assert.notEqual(response.body.error.message, '');
    }
  });

  test('SIGINT also stops it cleanly with exit code 0', async () => {
    const exit = await second!.stop('SIGINT');
    assert.equal(exit.code, 0, `${exit.stdout}\n${exit.stderr}`);
    assert.match(exit.stdout, /SIGINT received/);
  });
});

test('npm start caps the JavaScript heap at DUCKTRACE_HEAP_MEMORY_MB, /metrics shows the cap and the memory in use, and SIGTERM through npm stops it cleanly', async () => {
  // A UI directory of its own, so that npm start does not build the UI first.
  const server = await startServer({ npmStart: true, env: { DUCKTRACE_HEAP_MEMORY_MB: '300', DUCKTRACE_UI_DIR: makeTempDir() }, timeoutMs: 60_000 });
  try {
    const text = await (await fetch(`${server.queryUrl}/metrics`)).text();
    // V8's limit is the old space plus the young generation, which V8 sizes at up to 192 MB on Node 24;
    // uncapped, the limit on this machine is several GB.
    const limitMb = metricValue(text, 'ducktrace_js_heap_limit_bytes') / 2 ** 20;
    assert.ok(limitMb >= 300 && limitMb <= 300 + 256, `heap limit ${limitMb} MB`);
    const used = metricValue(text, 'ducktrace_js_heap_used_bytes');
    assert.ok(used > 0 && used < metricValue(text, 'process_resident_memory_bytes'));
  } finally {
    const exit = await server.stop('SIGTERM', STOP_TIMEOUT_MS);
    assert.equal(exit.code, 0, `${exit.stdout}\n${exit.stderr}`);
  }
});
