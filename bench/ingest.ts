/**
 * `npm run bench`: ingest throughput over OTLP/HTTP protobuf, OTLP/HTTP JSON and OTLP/gRPC into a real
 * server process, beside its ceilings measured in the same run (DuckDB append alone, an HTTP no-op
 * server, decoding alone), query latency per endpoint over what was stored, and stored bytes per span.
 * `-- --quick` runs a smaller load; `--spans N` (per transport), `--rounds N` (per query case) and
 * `--out FILE` choose the load and where the JSON goes (default bench/results/latest.json).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import { DuckDBInstance } from '@duckdb/node-api';
import { decodeExportTraceRequestProtobuf } from '../core/otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../core/otlp/limits.js';
import { DATABASE_FILE } from '../core/storage/duckdb/database.js';
import { decodeToObjectGraph } from './objectGraphDecoder.js';
import { lz4Bytes, measureDuckdbAppend, startNoopServer } from './ceilings.js';
import { measureQueries, queryCases } from './queries.js';
import { generateWorkload, type Workload } from './workload.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const SPANS = Number(valueOf('--spans') ?? (quick ? 100_000 : 1_000_000));
const CONCURRENCY = Number(valueOf('--concurrency') ?? 8);
/** Requests per query case. */
const ROUNDS = Number(valueOf('--rounds') ?? (quick ? 20 : 50));
const OUT = valueOf('--out') ?? join(ROOT, 'bench/results/latest.json');
/** The server's default flushMaxSpans: the append ceiling commits batches of the same size. */
const FLUSH_MAX_SPANS = 20_000;
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
  const child = spawn(process.execPath, ['--import', 'tsx', 'main.ts'], {
    cwd: ROOT,
    env: { ...process.env, DUCKTRACE_DATA_DIR: dataDir, DUCKTRACE_OTLP_HTTP_PORT: '0', DUCKTRACE_OTLP_GRPC_PORT: '0', DUCKTRACE_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const exited = once(child, 'exit');
  return new Promise((resolve, reject) => {
    exited.then(([code]) => reject(new Error(`server exited with ${code}: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
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

type Send = (body: Buffer) => Promise<void>;

/** Polls the server's metrics until `spans` spans in all are stored. */
async function waitForStored(port: number, spans: number): Promise<void> {
  for (;;) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    if (metric(text, 'ducktrace_spans_stored_total') >= spans) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function metric(text: string, name: string): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && /^[a-z_]+(\{|\s)/.test(line) && line.split(/[{\s]/)[0] === name)
    .reduce((sum, line) => sum + Number(line.split(/\s+/).pop()), 0);
}

/**
 * Sends every request with CONCURRENCY in flight, then waits for `untilDone` (for the server: until it
 * has stored them all, so the rate counts spans stored and durable, not just answered, since answers
 * come once the write-ahead log has them).
 */
async function drive(workload: Workload, send: Send, untilDone: () => Promise<void>): Promise<{ spansPerSec: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < workload.requests.length) {
        const body = workload.requests[next++]!;
        const t = performance.now();
        await send(body);
        latencies.push(performance.now() - t);
      }
    }),
  );
  await untilDone();
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return { spansPerSec: workload.spans / seconds, p50: at(0.5), p99: at(0.99) };
}

function httpSender(port: number, contentType: string): Send {
  return async (body) => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', headers: { 'content-type': contentType }, body: body as unknown as BodyInit });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`export answered ${response.status}`);
  };
}

function grpcSender(port: number): { send: Send; close: () => void } {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  const identity = (b: Buffer) => b;
  const send: Send = (body) =>
    new Promise((resolve, reject) =>
      client.makeUnaryRequest('/opentelemetry.proto.collector.trace.v1.TraceService/Export', identity, identity, body, (error) => (error ? reject(error) : resolve())),
    );
  return { send, close: () => client.close() };
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

async function countStored(dataDir: string): Promise<number> {
  const instance = await DuckDBInstance.create(join(dataDir, DATABASE_FILE), { access_mode: 'READ_ONLY' });
  const connection = await instance.connect();
  const n = Number((await connection.runAndReadAll('SELECT count(*) AS n FROM spans')).getRowObjects()[0]!.n);
  connection.closeSync();
  instance.closeSync();
  return n;
}

async function main(): Promise<void> {
  console.log(`ducktrace ingest benchmark: ${SPANS} spans per transport, batches of ${BATCH}, ${CONCURRENCY} requests in flight, ${cpus().length} cores`);
  const protobufLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'protobuf', seed: 1 });
  const decodeRows = measureDecode(protobufLoad, (body) => decodeExportTraceRequestProtobuf(body, DEFAULT_SPAN_LIMITS));
  const decodeGraph = measureDecode(protobufLoad, decodeToObjectGraph);
  const jsonLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'json', seed: 2 });
  const grpcLoad = generateWorkload({ spans: SPANS, batchSize: BATCH, encoding: 'protobuf', seed: 3 });

  const dataDir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-'));
  const server = await startServer(dataDir);
  const stored = (spans: number) => () => waitForStored(server.http, spans);
  const httpProtobuf = await drive(protobufLoad, httpSender(server.otlpHttp, 'application/x-protobuf'), stored(protobufLoad.spans));
  const httpJson = await drive(jsonLoad, httpSender(server.otlpHttp, 'application/json'), stored(protobufLoad.spans + jsonLoad.spans));
  const grpcClient = grpcSender(server.otlpGrpc);
  const grpcResult = await drive(grpcLoad, grpcClient.send, stored(protobufLoad.spans + jsonLoad.spans + grpcLoad.spans));
  grpcClient.close();
  const walMetrics = await (await fetch(`http://127.0.0.1:${server.http}/metrics`)).text();
  const walRatio = metric(walMetrics, 'ducktrace_wal_uncompressed_bytes_total') / metric(walMetrics, 'ducktrace_wal_compressed_bytes_total');
  // CPU and memory of ingest alone, before the query cases.
  const stats = processStats(server.child.pid!);
  const queryResults = await measureQueries(server.http, queryCases(protobufLoad.traceIds, 'service-01'), ROUNDS);
  server.child.kill('SIGTERM');
  const [code] = await server.exited;
  if (code !== 0) throw new Error(`server did not stop cleanly (exit ${code})`);

  const storedSpans = await countStored(dataDir);
  const expected = protobufLoad.spans + jsonLoad.spans + grpcLoad.spans;
  if (storedSpans !== expected) throw new Error(`stored ${storedSpans} spans, sent ${expected} in ${dataDir}`);
  const fileBytes = statSync(join(dataDir, DATABASE_FILE)).size;
  const otlpBytes = protobufLoad.requests.reduce((n, b) => n + b.length, 0);
  const gzipBytes = protobufLoad.requests.reduce((n, b) => n + gzipSync(b).length, 0);
  const lz4RequestBytes = lz4Bytes(protobufLoad.requests);
  if (!process.env.KEEP) rmSync(dataDir, { recursive: true, force: true });

  // The same protobuf load with the write-ahead log switched off: answers then wait for the DuckDB commit.
  const noWalDir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-nowal-'));
  const noWal = await startServer(noWalDir, { DUCKTRACE_WAL_ENABLED: 'false' });
  const httpProtobufNoWal = await drive(protobufLoad, httpSender(noWal.otlpHttp, 'application/x-protobuf'), () => waitForStored(noWal.http, protobufLoad.spans));
  noWal.child.kill('SIGTERM');
  await noWal.exited;
  rmSync(noWalDir, { recursive: true, force: true });

  // Ceilings: the same rows appended to DuckDB alone, the same requests to a server that only reads them.
  const appendCeiling = await measureDuckdbAppend(protobufLoad, FLUSH_MAX_SPANS);
  const noop = await startNoopServer();
  const httpNoop = await drive(protobufLoad, httpSender(noop.port, 'application/x-protobuf'), async () => {});
  await noop.stop();
  const ceiling = Math.min(appendCeiling, httpNoop.spansPerSec);

  const results = {
    'ingest.http_protobuf.spans_per_sec': Math.round(httpProtobuf.spansPerSec),
    'ingest.http_protobuf.p50_ms': round(httpProtobuf.p50),
    'ingest.http_protobuf.p99_ms': round(httpProtobuf.p99),
    'ingest.http_protobuf_no_wal.spans_per_sec': Math.round(httpProtobufNoWal.spansPerSec),
    'ingest.http_protobuf_no_wal.p99_ms': round(httpProtobufNoWal.p99),
    'wal.compression_ratio': round(walRatio),
    'ingest.http_json.spans_per_sec': Math.round(httpJson.spansPerSec),
    'ingest.http_json.p99_ms': round(httpJson.p99),
    'ingest.grpc.spans_per_sec': Math.round(grpcResult.spansPerSec),
    'ingest.grpc.p99_ms': round(grpcResult.p99),
    'ingest.http_protobuf.ratio_to_ceiling': round(httpProtobuf.spansPerSec / ceiling),
    'ingest.http_json.ratio_to_ceiling': round(httpJson.spansPerSec / ceiling),
    'ingest.grpc.ratio_to_ceiling': round(grpcResult.spansPerSec / ceiling),
    'ceilings.duckdb_append.spans_per_sec': Math.round(appendCeiling),
    'ceilings.http_noop.spans_per_sec': Math.round(httpNoop.spansPerSec),
    'ceilings.http_noop.p99_ms': round(httpNoop.p99),
    'ceilings.decode.spans_per_sec': Math.round(decodeRows),
    'ceilings.decode_object_graph.spans_per_sec': Math.round(decodeGraph),
    'storage.bytes_per_span': round(fileBytes / storedSpans),
    'storage.otlp_protobuf_bytes_per_span': round(otlpBytes / protobufLoad.spans),
    'storage.gzip_bytes_per_span': round(gzipBytes / protobufLoad.spans),
    'storage.lz4_bytes_per_span': round(lz4RequestBytes / protobufLoad.spans),
    'server.peak_rss_mb': round(stats.peakRssMb),
    'server.cpu_sec_per_million_spans': round((stats.cpuSec / storedSpans) * 1e6),
    spans_stored: storedSpans,
    ...queryResults,
  };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ date: new Date().toISOString(), quick, spansPerTransport: SPANS, results }, null, 2)}\n`);
  console.table(Object.entries(results).map(([figure, value]) => ({ figure, value })));
  console.log(`ceiling min(DuckDB append ${Math.round(appendCeiling)}, HTTP no-op ${Math.round(httpNoop.spansPerSec)}) = ${Math.round(ceiling)} spans/s; ingest over HTTP protobuf is ${round(httpProtobuf.spansPerSec / ceiling)} of it`);
  console.log('decode to rows is', round(decodeRows / decodeGraph), 'x protobufjs decoding to the object graph');
  console.log(`written to ${OUT}`);
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

await main();
