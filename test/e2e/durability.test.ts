/**
 * Crash durability of the real server process (issue 4): concurrent OTLP/HTTP and OTLP/gRPC senders,
 * a SIGKILL in the middle of the stream, a restart on the same data directory, and then, read back
 * through POST /api/v1/sql:
 * - every span whose export was ACKNOWLEDGED (200 / OK) is stored exactly once when its trace is kept,
 * - nothing is stored twice (the write-ahead log replays records whose spans were already stored),
 * - nothing is stored that was never sent, or whose trace the tail sampler drops,
 * - an export in flight at the kill (no answer) is stored entirely or not at all,
 * - once every replayed trace is decided and committed, the write-ahead log is released (disk shrinks).
 *
 * Variant 1 runs tail sampling (errors, slow, baseline probabilistic 0.5): every trace is sent in one
 * export, so its decision depends on its spans only and the test computes it independently of the
 * server: ERROR status → `errors`; root of 1.5 s → `slow`; else the baseline keeps it iff the 56-bit
 * tail randomness (sha256 of 'ducktrace/tail/v1:' + trace id, first 14 hex digits) is >= 0x80000000000000.
 * Variant 2 runs without tail sampling and with a writer that commits only every 90 spans, so the kill
 * finds acknowledged spans that are in the write-ahead log only.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SpanKind, SpanStatusCode, type HrTime } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { readSegment, SEGMENT_HEADER_BYTES } from '../../collector/wal/writeAheadLog.js';
import { grpcExport, makeSpan, postOtlp, PROTOBUF, protobufRequest, randomSpanId, randomTraceId } from '../helpers/otlp.js';
import { fetchMetrics, makeTempDir, metricValue, removeTempDirs, sqlRows, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

// ---------------------------------------------------------------------------------------------------
// Traces, exports and what became of them

interface SentTrace {
  traceId: string;
  spanIds: string[];
  error: boolean;
  slow: boolean;
}

/** acked: 200 / OK. refused: a definite error answer. unknown: no answer (the connection died at the kill). */
type Outcome = 'pending' | 'acked' | 'refused' | 'unknown';

interface SentExport {
  trace: SentTrace;
  transport: 'http' | 'grpc';
  outcome: Outcome;
  detail: string;
}

let traceCounter = 0;

/** A root and two children in one trace; every 4th has an ERROR child, every 7th (not error) a 1.5 s root. */
function buildTrace(): { spans: ReadableSpan[]; trace: SentTrace } {
  const n = traceCounter++;
  const error = n % 4 === 1;
  const slow = !error && n % 7 === 3;
  const traceId = randomTraceId();
  const rootId = randomSpanId();
  const base: HrTime = [Math.floor(Date.now() / 1000) - 10, 100_000_000];
  const spans = [
    makeSpan({ traceId, spanId: rootId, name: 'GET /durable', service: 'durability', kind: SpanKind.SERVER, startTime: base, durationNs: slow ? 1_500_000_000 : 5_000_000 }),
    makeSpan({ traceId, parentSpanId: rootId, name: 'child 0', service: 'durability', startTime: [base[0], base[1] + 1_000], durationNs: 1_000_000 }),
    makeSpan({
      traceId,
      parentSpanId: rootId,
      name: 'child 1',
      service: 'durability',
      startTime: [base[0], base[1] + 2_000],
      durationNs: 2_000_000,
      ...(error ? { status: { code: SpanStatusCode.ERROR, message: 'boom' } } : {}),
    }),
  ];
  return { spans, trace: { traceId, spanIds: spans.map((s) => s.spanContext().spanId), error, slow } };
}

/** Tail randomness of a trace, computed here from the documented definition (not with the server's code). */
function tailRandomness(traceId: string): string {
  return createHash('sha256').update('ducktrace/tail/v1:').update(traceId).digest('hex').slice(0, 14);
}

/** The policy that keeps the trace under TAIL_CONFIG, or null when it is dropped. */
function expectedTailPolicy(trace: SentTrace): string | null {
  if (trace.error) return 'errors';
  if (trace.slow) return 'slow';
  return tailRandomness(trace.traceId) >= '80000000000000' ? 'baseline' : null;
}

const key = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;

/**
 * Senders, each exporting one trace at a time until `state.stop`. Every export is recorded before it is
 * sent, with its outcome once answered.
 */
function startLoad(server: ServerHandle, senders: { http: number; grpc: number }, state: { stop: boolean }): { exports: SentExport[]; done: Promise<void> } {
  const exports: SentExport[] = [];
  const loop = async (transport: 'http' | 'grpc'): Promise<void> => {
    while (!state.stop) {
      const { spans, trace } = buildTrace();
      const sent: SentExport = { trace, transport, outcome: 'pending', detail: '' };
      exports.push(sent);
      const body = protobufRequest(spans);
      if (transport === 'http') {
        try {
          const response = await postOtlp(server.otlpHttpUrl, body, { contentType: PROTOBUF });
          sent.outcome = response.status === 200 ? 'acked' : 'refused';
          sent.detail = `HTTP ${response.status}`;
        } catch (error) {
          sent.outcome = 'unknown';
          sent.detail = (error as Error).message;
        }
      } else {
        const result = await grpcExport(server.otlpGrpcAddress, body, { timeoutMs: 5_000 });
        // After the kill every call fails with UNAVAILABLE; before it none should fail (checked below).
        sent.outcome = result.error === null ? 'acked' : 'unknown';
        sent.detail = result.error ? `gRPC ${result.error.code}: ${result.error.details}` : 'OK';
      }
    }
  };
  const loops = [...Array.from({ length: senders.http }, () => loop('http')), ...Array.from({ length: senders.grpc }, () => loop('grpc'))];
  return { exports, done: Promise.all(loops).then(() => undefined) };
}

// ---------------------------------------------------------------------------------------------------
// Reading the server

/** Bytes of the segment files in the write-ahead log directory, and their recovered span keys. */
function readWalDir(dataDir: string): { files: string[]; bytes: number; spanKeys: Set<string> } {
  const dir = join(dataDir, 'wal');
  const files = readdirSync(dir).filter((name) => name.endsWith('.wal')).sort();
  const spanKeys = new Set<string>();
  let bytes = 0;
  for (const name of files) {
    const file = join(dir, name);
    bytes += statSync(file).size;
    for (const record of readSegment(readFileSync(file), BigInt(name.slice(0, 20))).records) {
      for (const span of record.spans) spanKeys.add(key(span.traceId, span.spanId));
    }
  }
  return { files, bytes, spanKeys };
}

/** Waits until everything replayed is decided, committed and released: only the fresh, empty segment is left. */
async function waitForWalReleased(server: ServerHandle, timeoutMs: number): Promise<void> {
  await waitFor(
    async () => {
      const text = await fetchMetrics(server);
      const done =
        metricValue(text, 'ducktrace_wal_disk_bytes') === SEGMENT_HEADER_BYTES &&
        metricValue(text, 'ducktrace_tail_sampling_traces_pending') === 0 &&
        metricValue(text, 'ducktrace_writer_queue_spans') === 0;
      return done ? true : undefined;
    },
    `every replayed record to be decided, stored and released (ducktrace_wal_disk_bytes back to ${SEGMENT_HEADER_BYTES})`,
    timeoutMs,
    50,
  );
}

interface Stored {
  /** span key → [sampling_policy, sample_weight] */
  spans: Map<string, [string, number]>;
  traces: Set<string>;
}

async function readStored(server: ServerHandle): Promise<Stored> {
  const duplicates = await sqlRows(server, 'SELECT trace_id, span_id, count(*) AS n FROM spans GROUP BY ALL HAVING count(*) > 1 ORDER BY ALL');
  assert.deepEqual(duplicates, [], `spans stored more than once (trace_id, span_id, copies): ${JSON.stringify(duplicates.slice(0, 10))}`);
  const rows = await sqlRows(server, 'SELECT trace_id, span_id, sampling_policy, sample_weight FROM spans');
  const spans = new Map<string, [string, number]>();
  const traces = new Set<string>();
  for (const [traceId, spanId, policy, weight] of rows) {
    spans.set(key(traceId!, spanId!), [policy!, Number(weight)]);
    traces.add(traceId!);
  }
  assert.equal(spans.size, rows.length, 'no duplicate (trace_id, span_id) among the rows');
  return { spans, traces };
}

/**
 * The checks shared by both variants. `policyOf` is the expected sampling_policy of a kept trace, or null
 * for a dropped one; `weightOf` the expected sample_weight of a kept trace.
 */
function checkStored(stored: Stored, exports: SentExport[], policyOf: (t: SentTrace) => string | null, weightOf: (t: SentTrace) => number): void {
  const byKey = new Map<string, SentExport>();
  for (const sent of exports) for (const spanId of sent.trace.spanIds) byKey.set(key(sent.trace.traceId, spanId), sent);

  // Nothing stored that was not sent, refused, or dropped by the tail sampler; stored as decided.
  for (const [spanKey, [policy, weight]] of stored.spans) {
    const sent = byKey.get(spanKey);
    assert.ok(sent, `stored span ${spanKey} was never sent`);
    assert.ok(sent.outcome === 'acked' || sent.outcome === 'unknown', `stored span ${spanKey} belongs to an export answered ${sent.detail}`);
    const expected = policyOf(sent.trace);
    assert.notEqual(expected, null, `stored span ${spanKey} belongs to a trace the tail policies drop (error ${sent.trace.error}, slow ${sent.trace.slow})`);
    assert.equal(policy, expected, `sampling_policy of stored span ${spanKey}`);
    assert.equal(weight, weightOf(sent.trace), `sample_weight of stored span ${spanKey} (policy ${policy})`);
  }

  // Every acknowledged span of a kept trace is stored; an unanswered export is stored entirely or not at all.
  const missing: string[] = [];
  for (const sent of exports) {
    const storedCount = sent.trace.spanIds.filter((spanId) => stored.spans.has(key(sent.trace.traceId, spanId))).length;
    if (sent.outcome === 'acked' && policyOf(sent.trace) !== null && storedCount !== sent.trace.spanIds.length) {
      missing.push(`${sent.trace.traceId} (${sent.transport}, ${storedCount} of ${sent.trace.spanIds.length} spans, error ${sent.trace.error})`);
    }
    if (sent.outcome === 'unknown') {
      assert.ok(storedCount === 0 || storedCount === sent.trace.spanIds.length, `export in flight at the kill half stored: ${storedCount} of ${sent.trace.spanIds.length} spans of ${sent.trace.traceId}`);
    }
  }
  assert.deepEqual(missing, [], `acknowledged spans of kept traces missing after the restart (${missing.length} traces)`);
}

function count<T>(items: T[], predicate: (item: T) => boolean): number {
  return items.reduce((n, item) => n + (predicate(item) ? 1 : 0), 0);
}

// ---------------------------------------------------------------------------------------------------

const TAIL_CONFIG = `
sampling:
  tail:
    enabled: true
    decisionWaitMs: 300
    quietAfterRootMs: 100
    policies:
      - { name: errors, type: status_code, statusCodes: [ERROR] }
      - { name: slow, type: latency, thresholdMs: 1000 }
      - { name: baseline, type: probabilistic, ratio: 0.5 }
`;

/** Load runs at least this long before the kill. */
const LOAD_MS = 1_200;

describe('SIGKILL mid-stream with tail sampling, then a restart on the same data directory', () => {
  test('acknowledged spans of kept traces are stored exactly once, dropped and unsent ones never; the log is released', async (t) => {
    const dataDir = makeTempDir();
    const configFile = join(makeTempDir('ducktrace-durability-config-'), 'ducktrace.yaml');
    writeFileSync(configFile, TAIL_CONFIG);
    // Small segments, so that the log rolls during the load and sealed segments get deleted.
    const env = { DUCKTRACE_CONFIG: configFile, DUCKTRACE_WAL_SEGMENT_BYTES: '65536' };
    const first = await startServer({ dataDir, env });
    servers.push(first);

    const state = { stop: false };
    const load = startLoad(first, { http: 4, grpc: 2 }, state);
    const started = Date.now();
    // Kill once the load has run a while, some traces are decided and stored, others still wait, and the
    // log on disk still holds records of stored traces (so the replay meets spans already stored).
    let atKill = { pendingTraces: 0, storedSpans: 0 };
    let storedBeforeKill = new Set<string>();
    await waitFor(
      async () => {
        const text = await fetchMetrics(first);
        atKill = { pendingTraces: metricValue(text, 'ducktrace_tail_sampling_traces_pending'), storedSpans: metricValue(text, 'ducktrace_spans_stored_total') };
        if (Date.now() - started < LOAD_MS || atKill.pendingTraces === 0 || atKill.storedSpans === 0) return undefined;
        storedBeforeKill = new Set((await sqlRows(first, 'SELECT DISTINCT trace_id FROM spans')).map((row) => row[0]!));
        return [...readWalDir(dataDir).spanKeys].some((spanKey) => storedBeforeKill.has(spanKey.slice(0, 32))) ? true : undefined;
      },
      'traces pending in the tail sampler while others are stored, with records of stored traces still in the log',
      10_000,
      20,
    );
    // Reading the log blocked this process (and its senders) for a moment: let every sender start a new
    // export, so that the kill finds exports in flight.
    const sentAtLook = load.exports.length;
    await waitFor(async () => (load.exports.length >= sentAtLook + 6 ? true : undefined), 'the senders to resume after the look at the log', 5_000, 1);
    state.stop = true;
    const exit = await first.stop('SIGKILL');
    await load.done;
    assert.equal(exit.signal, 'SIGKILL');

    const exports = load.exports;
    const acked = exports.filter((e) => e.outcome === 'acked');
    const unknown = exports.filter((e) => e.outcome === 'unknown');
    t.diagnostic(
      `${exports.length} exports: ${acked.length} acknowledged, ${unknown.length} in flight at the kill; ` +
        `at the kill ${atKill.pendingTraces} traces pending, ${storedBeforeKill.size} traces stored`,
    );
    assert.deepEqual(exports.filter((e) => e.outcome === 'refused' || e.outcome === 'pending'), [], 'no export refused or unfinished');
    assert.ok(acked.length >= 50, `enough load: ${acked.length} acknowledged exports`);
    assert.ok(unknown.length >= 1, 'exports were in flight at the kill');
    assert.ok(count(acked, (e) => e.trace.error) > 0 && count(acked, (e) => expectedTailPolicy(e.trace) === null) > 0, 'some error traces and some dropped traces were acknowledged');

    const wal = readWalDir(dataDir);
    t.diagnostic(`write-ahead log at the kill: ${wal.files.length} segments, ${wal.bytes} bytes, ${wal.spanKeys.size} spans`);
    assert.ok(wal.spanKeys.size > 0, 'the write-ahead log holds records at the kill');
    // The replay must meet spans already stored (the idempotency this test is about).
    const replayedStoredTrace = [...wal.spanKeys].some((spanKey) => storedBeforeKill.has(spanKey.slice(0, 32)));
    assert.ok(replayedStoredTrace, 'the write-ahead log at the kill holds spans of traces already stored');

    const second = await startServer({ dataDir, env });
    servers.push(second);
    assert.match(second.stdout(), /write-ahead log: replaying [1-9]\d* records/);
    await waitForWalReleased(second, 10_000);

    const stored = await readStored(second);
    checkStored(stored, exports, expectedTailPolicy, (trace) => (expectedTailPolicy(trace) === 'baseline' ? 2 : 1));
    const ackedErrors = acked.filter((e) => e.trace.error);
    const lostErrors = ackedErrors.filter((e) => !stored.traces.has(e.trace.traceId)).map((e) => e.trace.traceId);
    assert.deepEqual(lostErrors, [], `acknowledged error traces not stored (of ${ackedErrors.length})`);
    t.diagnostic(`${stored.spans.size} spans of ${stored.traces.size} traces stored; ${ackedErrors.length} acknowledged error traces`);

    const afterRestart = readWalDir(dataDir);
    assert.equal(afterRestart.files.length, 1, `only the fresh segment is left: ${afterRestart.files.join(', ')}`);
    assert.equal(afterRestart.bytes, SEGMENT_HEADER_BYTES);
    assert.ok(wal.bytes > afterRestart.bytes);

    const stop = await second.stop();
    assert.equal(stop.code, 0, stop.stderr);
  });
});

describe('SIGKILL right after acknowledgements without tail sampling, then a restart', () => {
  test('every acknowledged span is stored exactly once after the replay', async (t) => {
    const dataDir = makeTempDir();
    // The writer commits every 90 spans and otherwise waits a minute: acknowledged spans stay in the log only.
    const env = { DUCKTRACE_FLUSH_MAX_SPANS: '90', DUCKTRACE_FLUSH_INTERVAL_MS: '60000' };
    const first = await startServer({ dataDir, env });
    servers.push(first);

    const state = { stop: false };
    const load = startLoad(first, { http: 3, grpc: 2 }, state);
    // Kill at once when two batches are committed and more spans are acknowledged than stored.
    let atKill = { accepted: 0, stored: 0 };
    await waitFor(
      async () => {
        const text = await fetchMetrics(first);
        atKill = { accepted: metricValue(text, 'ducktrace_spans_accepted_total'), stored: metricValue(text, 'ducktrace_spans_stored_total') };
        return atKill.stored >= 180 && atKill.accepted > atKill.stored ? true : undefined;
      },
      'two batches committed and acknowledged spans waiting for the next',
      10_000,
      10,
    );
    state.stop = true;
    const exit = await first.stop('SIGKILL');
    await load.done;
    assert.equal(exit.signal, 'SIGKILL');

    const exports = load.exports;
    const acked = exports.filter((e) => e.outcome === 'acked');
    t.diagnostic(`${exports.length} exports: ${acked.length} acknowledged, ${count(exports, (e) => e.outcome === 'unknown')} in flight at the kill`);
    assert.deepEqual(exports.filter((e) => e.outcome === 'refused' || e.outcome === 'pending'), [], 'no export refused or unfinished');
    const ackedSpans = acked.length * 3;
    t.diagnostic(`last look before the kill: ${atKill.accepted} spans acknowledged, ${atKill.stored} stored`);
    const wal = readWalDir(dataDir);
    for (const sent of acked) {
      for (const spanId of sent.trace.spanIds) assert.ok(wal.spanKeys.has(key(sent.trace.traceId, spanId)), `acknowledged span ${sent.trace.traceId}/${spanId} is in the write-ahead log`);
    }

    // The restart commits at the usual pace.
    const second = await startServer({ dataDir });
    servers.push(second);
    assert.match(second.stdout(), /write-ahead log: replaying [1-9]\d* records/);
    await waitForWalReleased(second, 10_000);

    const stored = await readStored(second);
    checkStored(stored, exports, () => '', () => 1);
    t.diagnostic(`${stored.spans.size} spans stored of ${ackedSpans} acknowledged`);
    assert.ok(stored.spans.size >= ackedSpans);

    const stop = await second.stop();
    assert.equal(stop.code, 0, stop.stderr);
  });
});
