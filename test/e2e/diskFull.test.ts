/**
 * A full data disk (issue 20, point 2), on a real full disk: the data directory on a tmpfs of a few
 * MiB, filled by a file. While DuckDB cannot write, exports are refused with a retryable 503 (gRPC
 * UNAVAILABLE), /readyz says not ready and why, and what is stored is still answered; nothing
 * acknowledged is lost (the write-ahead log holds it). Once the file is removed, the server recovers
 * by itself (DuckDB's database attached again, its write-ahead log replayed) and stores every
 * acknowledged span exactly once. Before, DuckDB's first checkpoint on the full disk invalidated the
 * database for good: every query a 500 until a restart, and /readyz ready throughout.
 *
 * The same in-process for a checkpoint the writer forces on the full disk, which DuckDB answers by
 * invalidating the database: it is attached again at once and answers what it holds.
 *
 * Mounting needs root (or sudo without a password); where neither is there the tests say so and are
 * skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, openSync, rmSync, statSync, truncateSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { decodeRetryDelaySeconds, decodeStatus, grpc, grpcExport, makeSpan, postOtlp, PROTOBUF, protobufRequest, randomSpanId, randomTraceId } from '../helpers/otlp.js';
import { getJson, makeTempDir, removeTempDirs, sqlRows, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';
import { generateTraces } from '../fixtures/generatedTraces.js';
import type { DucktraceError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import type { SpanRow } from '../../core/model/span.js';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBTraceReader } from '../../core/storage/duckdb/spanReader.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import { StorageRecovery } from '../../core/storage/duckdb/storageRecovery.js';

const DISK = '16m';
let mountPoint = '';
let mounted = false;
let withSudo = false;
let mountProblem = '';
const servers: ServerHandle[] = [];

function run(command: string, args: string[]): void {
  execFileSync(withSudo ? 'sudo' : command, withSudo ? ['-n', command, ...args] : args, { stdio: 'pipe' });
}

before(() => {
  mountPoint = makeTempDir('ducktrace-disk-full-');
  for (const sudo of [false, true]) {
    withSudo = sudo;
    try {
      run('mount', ['-t', 'tmpfs', '-o', `size=${DISK},mode=1777`, 'tmpfs', mountPoint]);
      mounted = true;
      return;
    } catch (error) {
      mountProblem = `${mountProblem}${sudo ? 'sudo -n mount' : 'mount'}: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}; `;
    }
  }
  console.warn(`\n*** diskFull.test.ts SKIPPED: cannot mount a tmpfs to fill (${mountProblem}); run it as root or with passwordless sudo ***\n`);
});

after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  if (mounted) run('umount', ['-l', mountPoint]);
  removeTempDirs();
});

/** One trace of `n` spans, each with a long attribute: lz4 makes little of it in the write-ahead log, DuckDB's own log holds it whole. */
function bulkyTrace(n: number): ReadableSpan[] {
  const traceId = randomTraceId();
  const rootId = randomSpanId();
  const start: [number, number] = [Math.floor(Date.now() / 1000) - 30, 0];
  return Array.from({ length: n }, (_, i) =>
    makeSpan({
      traceId,
      spanId: i === 0 ? rootId : randomSpanId(),
      parentSpanId: i === 0 ? undefined : rootId,
      name: `op ${i}`,
      service: 'disk-full',
      startTime: [start[0], 1000 * i],
      durationNs: 1000 + i,
      attributes: { payload: `${i}`.padEnd(16_000, 'x') },
    }),
  );
}

/** Writes `file` until the disk refuses more. */
function fillDisk(file: string): void {
  const chunk = Buffer.alloc(256 * 1024, 1);
  const fd = openSync(file, 'w');
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

test('a full data disk: exports refused with 503 / UNAVAILABLE, not ready, stored data still answered; free space and it recovers by itself, each acknowledged span stored once', async (t) => {
  if (!mounted) {
    t.skip(`cannot mount a tmpfs (${mountProblem})`);
    return;
  }
  const dataDir = join(mountPoint, 'data');
  const server = await startServer({ dataDir, env: { DUCKTRACE_WAL_SEGMENT_BYTES: '262144', DUCKTRACE_WAL_MAX_BYTES: '4194304' } });
  servers.push(server);

  const acknowledged = new Set<string>();
  const refused = new Set<string>();
  const send = async (spans: ReadableSpan[]): Promise<{ status: number; headers: Headers; body: Buffer }> => {
    const result = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
    for (const span of spans) (result.status === 200 ? acknowledged : refused).add(`${span.spanContext().traceId}/${span.spanContext().spanId}`);
    return result;
  };

  const stored = bulkyTrace(5);
  assert.equal((await send(stored)).status, 200);
  const storedTraceId = stored[0]!.spanContext().traceId;
  await waitForStored(server.queryUrl, 5_000);

  // Leave 192 KiB free: the write-ahead log takes a few more small records, DuckDB's own log soon cannot.
  const filler = join(mountPoint, 'filler');
  fillDisk(filler);
  truncateSync(filler, statSync(filler).size - 192 * 1024);

  let refusal: { status: number; headers: Headers; body: Buffer } | undefined;
  for (let i = 0; i < 200 && !refusal; i++) {
    const result = await send(bulkyTrace(10));
    if (result.status !== 200) refusal = result;
  }
  assert.ok(refusal, 'an export is refused once the disk is full');
  assert.equal(refusal.status, 503, refusal.body.toString());
  assert.equal(refusal.headers.get('retry-after'), '1');
  assert.equal(decodeStatus(refusal.body).code, grpc.status.UNAVAILABLE);

  const readiness = await waitFor(async () => {
    const answer = await getJson<{ status: string; reason?: string }>(`${server.queryUrl}/readyz`);
    return answer.status === 503 ? answer.body : undefined;
  }, '/readyz to say not ready');
  assert.equal(readiness.status, 'not ready');
  assert.match(readiness.reason ?? '', /storage cannot write: .*disk .*full/);
  assert.ok(!(readiness.reason ?? '').includes(mountPoint), `no path in ${readiness.reason}`);

  // Refused while storage cannot write, whatever the transport.
  const refusedHttp = await send(bulkyTrace(2));
  assert.equal(refusedHttp.status, 503);
  assert.equal(decodeRetryDelaySeconds(refusedHttp.body), 1);
  assert.match(decodeStatus(refusedHttp.body).message, /storage cannot write .*disk .*full.*retry/);
  const grpcSpans = bulkyTrace(2);
  const { error } = await grpcExport(server.otlpGrpcAddress, protobufRequest(grpcSpans));
  assert.ok(error, 'the gRPC export is refused');
  assert.equal(error.code, grpc.status.UNAVAILABLE, error.details);
  for (const span of grpcSpans) refused.add(`${span.spanContext().traceId}/${span.spanContext().spanId}`);

  // What is stored is still answered (a moment's 503 while DuckDB's database is attached again aside).
  const trace = await waitFor(async () => {
    const answer = await getJson<{ spans: unknown[] }>(`${server.queryUrl}/api/v1/traces/${storedTraceId}`);
    return answer.status === 200 ? answer.body : undefined;
  }, 'the stored trace to be answered during the outage');
  assert.equal(trace.spans.length, stored.length);

  rmSync(filler);
  await waitFor(async () => ((await fetch(`${server.queryUrl}/readyz`)).status === 200 ? true : undefined), 'the server to recover by itself', 60_000, 100);
  const after_ = bulkyTrace(3);
  assert.equal((await send(after_)).status, 200);
  await waitForStored(server.queryUrl, 30_000);

  const rows = await sqlRows(server, 'SELECT trace_id, span_id, count(*) FROM spans GROUP BY ALL');
  const duplicates = rows.filter((row) => row[2] !== '1');
  assert.deepEqual(duplicates, [], 'spans stored more than once');
  const keys = new Set(rows.map(([traceId, spanId]) => `${traceId}/${spanId}`));
  assert.deepEqual([...acknowledged].filter((key) => !keys.has(key)), [], 'every acknowledged span is stored');
  assert.deepEqual([...refused].filter((key) => keys.has(key)), [], 'no refused span is stored');
  assert.equal(keys.size, acknowledged.size);
});

test('a checkpoint on the full disk invalidates DuckDB’s database: attached again at once, it answers what it holds, and writes again once there is room', async (t) => {
  if (!mounted) {
    t.skip(`cannot mount a tmpfs (${mountProblem})`);
    return;
  }
  const dir = join(mountPoint, 'in-process');
  const db = await Database.open(dir);
  const lines: string[] = [];
  const recovery = new StorageRecovery(db, createLogger('info', (line) => lines.push((JSON.parse(line) as { msg: string }).msg)), { minDelayMs: 20, maxDelayMs: 100 });
  // Traces of their own per batch: generateTraces numbers its traces from 1.
  const batch = (traces: number, tag: string, startNs: bigint): SpanRow[] =>
    generateTraces(traces, startNs, 1_000_000n).map((span) => ({ ...span, traceId: `${tag}${span.traceId.slice(1)}` }));
  const first = batch(300, '1', 1_700_000_000_000_000_000n);
  // The writer checkpoints after the second batch: the first is written before the disk is full, the second on it.
  const writer = await DuckDBTraceWriter.create(db, { checkpointSpans: first.length + 1 });
  const reader = await DuckDBTraceReader.create(db, 5_000);
  try {
    await writer.append(first);
    const filler = join(mountPoint, 'in-process-filler');
    fillDisk(filler);
    truncateSync(filler, statSync(filler).size - 128 * 1024);
    const second = batch(3, '2', 1_700_000_100_000_000_000n);
    // The batch itself goes into DuckDB's own log; the checkpoint after it finds no room.
    await writer.append(second);
    assert.equal(db.health.healthy, false, 'the failed checkpoint marks storage failing');
    await assert.rejects(writer.append(batch(1, '3', 1_700_000_200_000_000_000n)), (error: DucktraceError) => error.code === 'storage_unavailable');

    // Attached again: both batches are there (the second from DuckDB's write-ahead log).
    const trace = await waitFor(async () => {
      const spans = await reader.getTraceSpans(second[0]!.traceId).catch(() => undefined);
      return spans && spans.length > 0 ? spans : undefined;
    }, 'reads to work again');
    const spanIds = (spans: Array<{ spanId: string }>): string[] => spans.map((s) => s.spanId).sort();
    assert.deepEqual(spanIds(trace), spanIds(second.filter((s) => s.traceId === second[0]!.traceId)));
    assert.equal((await reader.getTraceSpans(first[0]!.traceId)).length, first.filter((s) => s.traceId === first[0]!.traceId).length);
    assert.ok(lines.some((line) => /attached again/.test(line)), lines.join('\n'));
    assert.equal(db.health.healthy, false, 'no checkpoint is tried while the disk is full');

    rmSync(filler);
    await waitFor(async () => (db.health.healthy ? true : undefined), 'storage to recover once there is room');
    await writer.append(batch(5, '4', 1_700_000_300_000_000_000n));
  } finally {
    await recovery.stop();
    await writer.close();
    reader.close();
    db.close();
  }
});
