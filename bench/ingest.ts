/**
 * `npm run bench`: ingest throughput over OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC into a real
 * server process, beside its ceilings measured in the same run (DuckDB append alone, an HTTP no-op
 * server, decoding alone), query latency per endpoint over what was stored, stored bytes per span, and
 * the server's memory under 8 times the load, with its memory limit far and binding.
 * `-- --quick` runs a smaller load; `--spans N` (per transport), `--rounds N` (per query case) and
 * `--out FILE` choose the load and where the JSON goes (default bench/results/latest.json); `--scale N`
 * the fill for the second round of queries; `--profile DIR` has the servers write CPU profiles.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeExportTraceRequestProtobuf } from '../core/otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../core/otlp/limits.js';
import { DATABASE_FILE } from '../core/storage/duckdb/database.js';
import { decodeToObjectGraph } from './objectGraphDecoder.js';
import { metricValue } from '../test/helpers/server.js';
import { decodeWorkload, lz4Bytes, measureDuckdbAppend, startNoopServer } from './ceilings.js';
import { measureQueries, queryCases } from './queries.js';
import { generateWorkload, type Workload } from './workload.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
/** Per transport: the full run stores about 1M spans over the three, where the first query figures are taken. */
const SPANS = Number(valueOf('--spans') ?? (quick ? 100_000 : 340_000));
/** After that, the full run fills the server up to this many spans and measures the queries again (0: not). */
const SCALE = Number(valueOf('--scale') ?? (quick ? 0 : 10_000_000));
const SCALE_CHUNK = 500_000;
/** Requests per query case at that scale, where one request can take seconds. */
const SCALE_ROUNDS = Number(valueOf('--scale-rounds') ?? 10);
/** Requests in flight, in all, from LOAD_PROCESSES separate processes. */
const CONCURRENCY = Number(valueOf('--concurrency') ?? 8);
const LOAD_PROCESSES = Number(valueOf('--processes') ?? 2);
/** The overload case sends with this many times CONCURRENCY requests in flight. */
const OVERLOAD = 8;
/** memoryLimitMb of a second server given the overload, low enough for the limit to bind. */
const BINDING_MEMORY_LIMIT_MB = 256;
/** Requests per query case. */
const ROUNDS = Number(valueOf('--rounds') ?? (quick ? 20 : 50));
const OUT = valueOf('--out') ?? join(ROOT, 'bench/results/latest.json');
/** `--profile DIR`: the servers write V8 CPU profiles there (open them in Chrome DevTools or speedscope). */
const PROFILE_DIR = valueOf('--profile');
/** The server's defaults for flushMaxSpans and writerConnections: the append ceiling writes the same way. */
const FLUSH_MAX_SPANS = 20_000;
const WRITER_CONNECTIONS = 4;
const BATCH = 512;

function valueOf(flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : undefined;
}

interface ServerProcess {
  child: ChildProcess;
  exited: Promise<unknown[]>;
  otlpHttp: number;
  otlpGrpc: number;
  http: number;
}

async function startServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const profile = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
  // The heap cap npm start sets when DUCKTRACE_HEAP_MEMORY_MB is.
  const heap = process.env.DUCKTRACE_HEAP_MEMORY_MB ? [`--max-old-space-size=${process.env.DUCKTRACE_HEAP_MEMORY_MB}`] : [];
  const child = spawn(process.execPath, [...profile, ...heap, '--import', 'tsx', 'main.ts'], {
    cwd: ROOT,
    env: { UV_THREADPOOL_SIZE: '16', ...process.env, DUCKTRACE_DATA_DIR: dataDir, DUCKTRACE_OTLP_HTTP_PORT: '0', DUCKTRACE_OTLP_GRPC_PORT: '0', DUCKTRACE_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const exited = once(child, 'exit');
  return new Promise((resolve, reject) => {
    exited.then(([code]) => reject(new Error(`server exited with ${code}: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      // Shown as it comes, so that the server's warnings (a failed write, a slow checkpoint) are in the run's log.
      process.stderr.write(chunk.toString().replace(/^(?=.)/gm, 'server: '));
      output += chunk.toString();
      const port = (name: string) => Number(new RegExp(`${name} listening on http://[^:]+:(\\d+)`).exec(output)?.[1]);
      if (port('otlp-http') && port('otlp-grpc') && port('query')) {
        resolve({ child, exited, otlpHttp: port('otlp-http'), otlpGrpc: port('otlp-grpc'), http: port('query') });
      }
    });
  });
}

/** utime + stime of a process, in seconds, and its peak resident set. */
function processStats(pid: number): { cpuSec: number; peakRssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return { cpuSec: ticks / 100, peakRssMb: Number(hwm) / 1024 };
}

/** Polls the server's metrics until `spans` spans in all are stored. */
async function waitForStored(port: number, spans: number): Promise<void> {
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    if (metricValue(text, 'ducktrace_spans_stored_total') >= spans) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

type Transport = 'http-protobuf' | 'http-json' | 'grpc';

interface LoadClient {
  ready: Promise<void>;
  done: Promise<{ latencies: number[]; throttled: number }>;
  go(): void;
}

/** A load-generating process (bench/loadClient.ts) with its share of the requests written to `file`. */
function startLoadClient(requests: Buffer[], file: string, transport: Transport, port: number, concurrency: number): LoadClient {
  const framed: Buffer[] = [];
  for (const body of requests) {
    const length = Buffer.alloc(4);
    length.writeUInt32LE(body.length);
    framed.push(length, body);
  }
  writeFileSync(file, Buffer.concat(framed));
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/loadClient.ts', '--transport', transport, '--port', String(port), '--concurrency', String(concurrency), '--file', file], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  const ready = new Promise<void>((resolve) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.startsWith('ready\n')) resolve();
    });
  });
  const done = once(child, 'close').then(([code]) => {
    if (code !== 0) throw new Error(`load client exited with ${code}: ${output}`);
    return JSON.parse(output.trim().split('\n').at(-1)!) as { latencies: number[]; throttled: number };
  });
  return { ready, done, go: () => child.stdin!.end('go\n') };
}

/**
 * Sends every request from LOAD_PROCESSES separate processes, CONCURRENCY in flight in all, then waits
 * for `untilDone` (for the server: until it has stored them all, so the rate counts spans stored and
 * durable, not just answered, since answers come once the write-ahead log has them).
 */
async function drive(
  workload: Workload,
  transport: Transport,
  port: number,
  untilDone: () => Promise<void>,
  concurrency = CONCURRENCY,
): Promise<{ spansPerSec: number; p50: number; p99: number; throttled: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-load-'));
  try {
    const clients = Array.from({ length: LOAD_PROCESSES }, (_, p) =>
      startLoadClient(
        workload.requests.filter((_, i) => i % LOAD_PROCESSES === p),
        join(dir, `requests-${p}.bin`),
        transport,
        port,
        Math.max(1, Math.round(concurrency / LOAD_PROCESSES)),
      ),
    );
    await Promise.all(clients.map((client) => client.ready));
    const started = performance.now();
    for (const client of clients) client.go();
    const results = await Promise.all(clients.map((client) => client.done));
    const latencies = results.flatMap((result) => result.latencies);
    await untilDone();
    const seconds = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return { spansPerSec: workload.spans / seconds, p50: at(0.5), p99: at(0.99), throttled: results.reduce((n, result) => n + result.throttled, 0) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Samples the server's memory from /metrics every 250 ms until stopped: the highest JavaScript memory in
 * use as its memory limit counts it (heap, garbage included, and buffers), and the highest RSS.
 */
function sampleMemory(port: number): { stop(): Promise<{ inUseMb: number; rssMb: number }> } {
  let inUse = 0;
  let rss = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      inUse = Math.max(inUse, metricValue(text, 'ducktrace_memory_in_use_bytes'));
      rss = Math.max(rss, metricValue(text, 'process_resident_memory_bytes'));
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { inUseMb: inUse / 2 ** 20, rssMb: rss / 2 ** 20 };
    },
  };
}

/** Best of three passes, so that JIT warm-up and a badly timed GC do not decide the figure. */
function measureDecode(workload: Workload, decode: (body: Buffer) => unknown): number {
  let best = 0;
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    for (const body of workload.requests) decode(body);
    best = Math.max(best, workload.spans / ((performance.now() - started) / 1000));
  }
  return best;
}

/** Spans in the file, and the bytes of the blocks in use (the file also holds free blocks DuckDB will reuse). */
async function countStored(dataDir: string): Promise<{ spans: number; usedBytes: number }> {
  const instance = await DuckDBInstance.create(join(dataDir, DATABASE_FILE), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const spans = Number((await connection.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjects()[0]!.n);
  const size = (await connection.runAndReadAll('SELECT used_blocks, block_size FROM pragma_database_size()')).getRowObjects()[0]!;
  connection.closeSync();
  instance.closeSync();
  return { spans, usedBytes: Number(size.used_blocks) * Number(size.block_size) };
}

async function main(): Promise<void> {
  console.log(`ducktrace ingest benchmark: ${SPANS} spans per transport, batches of ${BATCH}, ${CONCURRENCY} requests in flight from ${LOAD_PROCESSES} load processes, ${cpus().length} cores`);
  const protobufLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'protobuf', seed: 1 });
  const decodeRows = measureDecode(protobufLoad, (body) => decodeExportTraceRequestProtobuf(body, DEFAULT_SPAN_LIMITS));
  const decodeGraph = measureDecode(protobufLoad, decodeToObjectGraph);
  const jsonLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'json', seed: 2 });
  const grpcLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'protobuf', seed: 3 });

  const dataDir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-'));
  const server = await startServer(dataDir);
  const stored = (spans: number) => () => waitForStored(server.http, spans);
  const normalMemory = sampleMemory(server.http);
  const httpProtobuf = await drive(protobufLoad, 'http-protobuf', server.otlpHttp, stored(protobufLoad.spans));
  const memoryAtLoad = await normalMemory.stop();
  const httpJson = await drive(jsonLoad, 'http-json', server.otlpHttp, stored(protobufLoad.spans + jsonLoad.spans));
  const grpcResult = await drive(grpcLoad, 'grpc', server.otlpGrpc, stored(protobufLoad.spans + jsonLoad.spans + grpcLoad.spans));
  const walMetrics = await (await fetch(`http://127.0.0.1:${server.http}/metrics`)).text();
  const walRatio = metricValue(walMetrics, 'ducktrace_wal_uncompressed_bytes_total') / metricValue(walMetrics, 'ducktrace_wal_compressed_bytes_total');
  // CPU and memory of ingest alone, before the query cases.
  const stats = processStats(server.child.pid!);
  const queryResults = await measureQueries(server.http, queryCases(protobufLoad.traceIds, 'service-01'), ROUNDS);
  // The protobuf load again with OVERLOAD times as many requests in flight: how memory follows load below the limit.
  const overloadLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'protobuf', seed: 4 });
  const overloadMemory = sampleMemory(server.http);
  const overload = await drive(overloadLoad, 'http-protobuf', server.otlpHttp, stored(expectedStored(protobufLoad, jsonLoad, grpcLoad, overloadLoad)), CONCURRENCY * OVERLOAD);
  const memoryAtOverload = await overloadMemory.stop();
  const memoryLimitMb = metricValue(await (await fetch(`http://127.0.0.1:${server.http}/metrics`)).text(), 'ducktrace_memory_limit_bytes') / 2 ** 20;
  const sent = expectedStored(protobufLoad, jsonLoad, grpcLoad, overloadLoad);
  const scaleResults = SCALE > sent ? await fillAndQuery(server, sent) : {};
  server.child.kill('SIGTERM');
  const [code] = await server.exited;
  if (code !== 0) throw new Error(`server did not stop cleanly (exit ${code})`);

  const { spans: storedSpans, usedBytes } = await countStored(dataDir);
  const expected = Math.max(SCALE, sent);
  if (storedSpans !== expected) throw new Error(`stored ${storedSpans} spans, sent ${expected} in ${dataDir}`);
  const fileBytes = statSync(join(dataDir, DATABASE_FILE)).size;
  const otlpBytes = protobufLoad.requests.reduce((n, b) => n + b.length, 0);
  const gzipBytes = protobufLoad.requests.reduce((n, b) => n + gzipSync(b).length, 0);
  const lz4RequestBytes = lz4Bytes(protobufLoad.requests);
  if (!process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });

  // The same protobuf load with the write-ahead log switched off: answers then wait for the DuckDB commit.
  const noWalDir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-nowal-'));
  const noWal = await startServer(noWalDir, { DUCKTRACE_WAL_ENABLED: 'false' });
  const httpProtobufNoWal = await drive(protobufLoad, 'http-protobuf', noWal.otlpHttp, () => waitForStored(noWal.http, protobufLoad.spans));
  noWal.child.kill('SIGTERM');
  await noWal.exited;
  rmSync(noWalDir, { recursive: true, force: true });

  // The overload again into a server whose memory limit binds: memory stays near the limit, exports are
  // refused and retried, and every span must be stored.
  const limitedDir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-limited-'));
  const limited = await startServer(limitedDir, { DUCKTRACE_MEMORY_LIMIT_MB: String(BINDING_MEMORY_LIMIT_MB) });
  const limitedMemory = sampleMemory(limited.http);
  const overloadLimited = await drive(overloadLoad, 'http-protobuf', limited.otlpHttp, () => waitForStored(limited.http, overloadLoad.spans), CONCURRENCY * OVERLOAD);
  const memoryAtLimit = await limitedMemory.stop();
  limited.child.kill('SIGTERM');
  await limited.exited;
  const limitedStored = (await countStored(limitedDir)).spans;
  if (limitedStored !== overloadLoad.spans) throw new Error(`the memory-limited server stored ${limitedStored} spans, sent ${overloadLoad.spans} in ${limitedDir}`);
  rmSync(limitedDir, { recursive: true, force: true });

  // Ceilings: the same rows appended to DuckDB alone, the same requests to a server that only reads them.
  const append = await measureDuckdbAppend(decodeWorkload(protobufLoad), FLUSH_MAX_SPANS, WRITER_CONNECTIONS);
  const appendCeiling = append.spansPerSec;
  const noop = await startNoopServer();
  const httpNoop = await drive(protobufLoad, 'http-protobuf', noop.port, async () => {});
  await noop.stop();
  const ceiling = Math.min(appendCeiling, httpNoop.spansPerSec);

  const results = {
    'ingest.http_protobuf.spans_per_sec': Math.round(httpProtobuf.spansPerSec),
    'ingest.http_protobuf.p50_ms': round(httpProtobuf.p50),
    'ingest.http_protobuf.p99_ms': round(httpProtobuf.p99),
    'ingest.http_protobuf.throttled_exports': httpProtobuf.throttled,
    'ingest.http_protobuf_no_wal.spans_per_sec': Math.round(httpProtobufNoWal.spansPerSec),
    'ingest.http_protobuf_no_wal.p99_ms': round(httpProtobufNoWal.p99),
    'wal.compression_ratio': round(walRatio),
    'ingest.http_json.spans_per_sec': Math.round(httpJson.spansPerSec),
    'ingest.http_json.p99_ms': round(httpJson.p99),
    'ingest.http_json.throttled_exports': httpJson.throttled,
    'ingest.grpc.spans_per_sec': Math.round(grpcResult.spansPerSec),
    'ingest.grpc.p99_ms': round(grpcResult.p99),
    'ingest.grpc.throttled_exports': grpcResult.throttled,
    'ingest.http_protobuf.ratio_to_ceiling': round(httpProtobuf.spansPerSec / ceiling),
    'ingest.http_json.ratio_to_ceiling': round(httpJson.spansPerSec / ceiling),
    'ingest.grpc.ratio_to_ceiling': round(grpcResult.spansPerSec / ceiling),
    'ceilings.duckdb_append.spans_per_sec': Math.round(appendCeiling),
    'ceilings.duckdb_append.cpu_sec_per_million_spans': round(append.cpuSecPerMillionSpans),
    'ceilings.http_noop.spans_per_sec': Math.round(httpNoop.spansPerSec),
    'ceilings.http_noop.p99_ms': round(httpNoop.p99),
    'ceilings.decode.spans_per_sec': Math.round(decodeRows),
    'ceilings.decode_object_graph.spans_per_sec': Math.round(decodeGraph),
    'storage.bytes_per_span': round(fileBytes / storedSpans),
    'storage.used_bytes_per_span': round(usedBytes / storedSpans),
    'storage.otlp_protobuf_bytes_per_span': round(otlpBytes / protobufLoad.spans),
    'storage.gzip_bytes_per_span': round(gzipBytes / protobufLoad.spans),
    'storage.lz4_bytes_per_span': round(lz4RequestBytes / protobufLoad.spans),
    'server.peak_rss_mb': round(stats.peakRssMb),
    'server.memory_limit_mb': round(memoryLimitMb),
    'server.http_protobuf.memory_in_use_peak_mb': round(memoryAtLoad.inUseMb),
    'server.http_protobuf.rss_peak_mb': round(memoryAtLoad.rssMb),
    [`ingest.overload_x${OVERLOAD}.spans_per_sec`]: Math.round(overload.spansPerSec),
    [`ingest.overload_x${OVERLOAD}.p99_ms`]: round(overload.p99),
    [`ingest.overload_x${OVERLOAD}.throttled_exports`]: overload.throttled,
    [`server.overload_x${OVERLOAD}.memory_in_use_peak_mb`]: round(memoryAtOverload.inUseMb),
    [`server.overload_x${OVERLOAD}.rss_peak_mb`]: round(memoryAtOverload.rssMb),
    [`ingest.overload_x${OVERLOAD}_limit_${BINDING_MEMORY_LIMIT_MB}.spans_per_sec`]: Math.round(overloadLimited.spansPerSec),
    [`ingest.overload_x${OVERLOAD}_limit_${BINDING_MEMORY_LIMIT_MB}.throttled_exports`]: overloadLimited.throttled,
    [`server.overload_x${OVERLOAD}_limit_${BINDING_MEMORY_LIMIT_MB}.memory_in_use_peak_mb`]: round(memoryAtLimit.inUseMb),
    [`server.overload_x${OVERLOAD}_limit_${BINDING_MEMORY_LIMIT_MB}.rss_peak_mb`]: round(memoryAtLimit.rssMb),
    // CPU and RSS were read when the transports' spans were stored, before any fill.
    'server.cpu_sec_per_million_spans': round((stats.cpuSec / expectedStored(protobufLoad, jsonLoad, grpcLoad)) * 1e6),
    spans_stored: storedSpans,
    ...queryResults,
    ...scaleResults,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), quick, spansPerTransport: SPANS, results }, null, 2)}\n`);
  console.table(Object.entries(results).map(([figure, value]) => ({ figure, value })));
  console.log(`ceiling min(DuckDB append ${Math.round(appendCeiling)}, HTTP no-op ${Math.round(httpNoop.spansPerSec)}) = ${Math.round(ceiling)} spans/s; ingest over HTTP protobuf is ${round(httpProtobuf.spansPerSec / ceiling)} of it`);
  console.log(`server CPU ${results['server.cpu_sec_per_million_spans']} s a million spans; the writer alone ${results['ceilings.duckdb_append.cpu_sec_per_million_spans']}`);
  console.log('decode to rows is', round(decodeRows / decodeGraph), 'x protobufjs decoding to the object graph');
  console.log(`written to ${OUT}`);
}

function expectedStored(...workloads: Workload[]): number {
  return workloads.reduce((n, w) => n + w.spans, 0);
}

/**
 * Fills the server from `stored` up to SCALE spans over OTLP/HTTP protobuf, in chunks generated as they
 * go (so the generator's memory stays small), each later in the hour than the one before, then measures
 * the queries again. Also reports the sustained ingest rate of the fill and the server's peak RSS.
 */
async function fillAndQuery(server: ServerProcess, stored: number): Promise<Record<string, number | string>> {
  const label = `${Math.round(SCALE / 1e6)}m`;
  const hourStart = Date.now() - 3_600_000;
  const chunks = Math.ceil((SCALE - stored) / SCALE_CHUNK);
  const sample: string[] = [];
  let sendingSeconds = 0;
  let filled = 0;
  for (let k = 0; k < chunks; k++) {
    const spans = Math.min(SCALE_CHUNK, SCALE - stored);
    const window = { startMs: hourStart + (k / chunks) * 3_600_000, endMs: hourStart + ((k + 1) / chunks) * 3_600_000 };
    const chunk = generateWorkload({ spans, batchSize: BATCH, encoding: 'protobuf', seed: 100 + k, window });
    sample.push(...chunk.traceIds);
    const target = stored + chunk.spans;
    const result = await drive(chunk, 'http-protobuf', server.otlpHttp, () => waitForStored(server.http, target));
    sendingSeconds += chunk.spans / result.spansPerSec;
    filled += chunk.spans;
    stored = target;
    process.stdout.write(`\rfilled to ${stored} spans`);
  }
  process.stdout.write('\n');
  const stats = processStats(server.child.pid!);
  const queries = await measureQueries(server.http, queryCases(sample, 'service-01'), SCALE_ROUNDS);
  return {
    [`ingest.sustained_to_${label}.spans_per_sec`]: Math.round(filled / sendingSeconds),
    [`server.peak_rss_mb_at_${label}`]: round(stats.peakRssMb),
    [`spans_stored_at_${label}`]: stored,
    ...Object.fromEntries(Object.entries(queries).map(([key, value]) => [key.replace(/^query\./, `query_${label}.`), value])),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
