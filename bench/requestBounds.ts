/**
 * `npm run bench:bounds`: the work one request can force on a real server, and what it costs the event
 * loop. For each case it sends one export while a prober calls GET /healthz back to back, and reports the
 * answer, the export's time and the slowest /healthz answer meanwhile (how long the event loop was held):
 * - a 64 MiB protobuf body of realistic spans and a 64 MiB OTLP/JSON one (maxSpansPerRequest raised so
 *   that they are accepted);
 * - 2 KB of gzip that inflates to 1,000,000 empty spans, and 20 KB of gzip JSON holding a 20,000,000-digit
 *   number (as a string and as a number);
 * then, in this process, the decoder alone: its time per 512-span request (the fast path) and, for the
 * 64 MiB bodies, its total time and longest stretch without yielding;
 * then 16 concurrent 60 MiB gRPC exports against a server with memoryLimitMb 256, each on a connection of
 * its own: their answers, and the server's resident memory and `ducktrace_memory_in_use_bytes` at their
 * peak; then the ordinary path, 8 gRPC clients sending 512-span requests to a default server.
 * `--only http|decoder|grpc|grpc-load` runs one part; `--out FILE` writes the figures as JSON too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { DEFAULT_SPAN_LIMITS, type SpanLimits } from '../core/otlp/limits.js';
import { decodeExportTraceRequestJson } from '../core/otlp/decodeJson.js';
import { decodeExportTraceRequestProtobuf } from '../core/otlp/decodeProtobuf.js';
import type { DecodeResult } from '../core/otlp/spanAssembler.js';
import { grpc, GRPC_EXPORT_PATH, grpcExport, JSON_TYPE, postOtlp, PROTOBUF } from '../test/helpers/otlp.js';
import { emptySpansRequest } from '../test/fixtures/protobufWriter.js';
import { fetchMetrics, metricValue, startServer, type ServerHandle } from '../test/helpers/server.js';
import { generateWorkload } from './workload.js';

const args = process.argv.slice(2);
const valueOf = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const only = valueOf('--only');
const out = valueOf('--out');
const MIB = 2 ** 20;
const MAX_BODY = 64 * MIB;
const results: Record<string, unknown> = {};

/** Realistic spans in one request of just under `bytes`. */
function bigRequest(encoding: 'protobuf' | 'json', bytes: number): { body: Buffer; spans: number } {
  const perSpan = encoding === 'protobuf' ? 460 : 1010;
  let spans = Math.floor(bytes / perSpan);
  for (;;) {
    const workload = generateWorkload({ spans, batchSize: spans, encoding, seed: 7 });
    const body = workload.requests[0]!;
    if (body.length <= bytes) return { body, spans: workload.spans };
    spans = Math.floor(spans * (bytes / body.length) * 0.995);
  }
}


export function longNumberJson(digits: number, quoted: boolean): Buffer {
  const number = '7'.repeat(digits);
  const value = quoted ? `"${number}"` : number;
  return Buffer.from(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7","startTimeUnixNano":${value}}]}]}]}`);
}

interface Probe {
  stop(): Promise<{ answers: number; slowestMs: number }>;
}

/** GET /healthz back to back until stopped; the slowest answer is how long the server's event loop was held. */
function probeHealth(server: ServerHandle): Probe {
  let running = true;
  let answers = 0;
  let slowestMs = 0;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(`${server.queryUrl}/healthz`);
      await response.arrayBuffer();
      slowestMs = Math.max(slowestMs, performance.now() - started);
      answers++;
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { answers, slowestMs: Math.round(slowestMs) };
    },
  };
}

interface HttpCase {
  name: string;
  body: Buffer;
  contentType: string;
  gzip: boolean;
}

/** Sends each case while probing /healthz; waits for the writer to be idle between cases, so that one's storing is not measured in the next. */
async function sendCases(server: ServerHandle, cases: HttpCase[]): Promise<unknown[]> {
  const rows: unknown[] = [];
  for (const c of cases) {
    const sent = c.gzip ? gzipSync(c.body) : c.body;
    const probe = probeHealth(server);
    const started = performance.now();
    const response = await postOtlp(server.otlpHttpUrl, c.body, { contentType: c.contentType, gzip: c.gzip });
    const exportMs = Math.round(performance.now() - started);
    const health = await probe.stop();
    const row = { case: c.name, sentBytes: sent.length, status: response.status, exportMs, healthzAnswers: health.answers, slowestHealthzMs: health.slowestMs };
    console.log(JSON.stringify(row));
    rows.push(row);
    for (;;) {
      const metrics = await fetchMetrics(server);
      if (metricValue(metrics, 'ducktrace_writer_queue_spans') === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return rows;
}

async function httpPart(): Promise<void> {
  const attacks = await startServer();
  try {
    results.attacks = await sendCases(attacks, [
      { name: '1,000,000 empty spans (gzip)', body: emptySpansRequest(1_000_000), contentType: PROTOBUF, gzip: true },
      { name: '20,000,000-digit string (gzip JSON)', body: longNumberJson(20_000_000, true), contentType: JSON_TYPE, gzip: true },
      { name: '20,000,000-digit number (gzip JSON)', body: longNumberJson(20_000_000, false), contentType: JSON_TYPE, gzip: true },
    ]);
  } finally {
    await attacks.stop();
  }
  const protobuf = bigRequest('protobuf', MAX_BODY);
  const json = bigRequest('json', MAX_BODY);
  // maxSpansPerRequest raised, so that bodies of the largest size are accepted.
  const big = await startServer({ env: { DUCKTRACE_MAX_SPANS_PER_REQUEST: '1000000', DUCKTRACE_MAX_QUEUED_SPANS: '1000000' } });
  try {
    results.big = await sendCases(big, [
      { name: `protobuf ${(protobuf.body.length / MIB).toFixed(1)} MiB, ${protobuf.spans} spans`, body: protobuf.body, contentType: PROTOBUF, gzip: false },
      { name: `JSON ${(json.body.length / MIB).toFixed(1)} MiB, ${json.spans} spans`, body: json.body, contentType: JSON_TYPE, gzip: false },
    ]);
  } finally {
    await big.stop();
  }
}

type Decoder = (body: Buffer, limits: SpanLimits) => DecodeResult;

/** The longest stretch the event loop did not turn while `run` ran, measured by a setImmediate chain. */
async function longestBlock(run: () => Promise<unknown>): Promise<{ totalMs: number; longestMs: number }> {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const tick = (): void => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(tick);
  };
  setImmediate(tick);
  const started = performance.now();
  await run();
  const totalMs = performance.now() - started;
  running = false;
  longest = Math.max(longest, performance.now() - last);
  return { totalMs: Math.round(totalMs), longestMs: Math.round(longest) };
}

async function decoderPart(): Promise<void> {
  // The sliced decoder, where this version of the code has one; else the plain one, run at once.
  const sliced = await import('../core/otlp/decodeRequest.js' as string).catch(() => null) as
    | { decodeExportTraceRequest(body: Buffer, encoding: 'protobuf' | 'json', limits: SpanLimits): Promise<DecodeResult> }
    | null;
  const syncDecoders: Record<'protobuf' | 'json', Decoder> = { protobuf: decodeExportTraceRequestProtobuf, json: decodeExportTraceRequestJson };
  const decode = (body: Buffer, encoding: 'protobuf' | 'json', limits: SpanLimits): Promise<DecodeResult> =>
    sliced ? sliced.decodeExportTraceRequest(body, encoding, limits) : Promise.resolve(syncDecoders[encoding](body, limits));
  const limits = { ...DEFAULT_SPAN_LIMITS, maxSpansPerRequest: 1_000_000 };
  const rows: unknown[] = [];
  for (const encoding of ['protobuf', 'json'] as const) {
    const small = generateWorkload({ spans: 512 * 50, batchSize: 512, encoding, seed: 3 });
    for (const body of small.requests) await decode(body, encoding, limits);
    const rounds = 5;
    const started = performance.now();
    for (let i = 0; i < rounds; i++) for (const body of small.requests) await decode(body, encoding, limits);
    const perRequestMs = (performance.now() - started) / (rounds * small.requests.length);
    const big = bigRequest(encoding, MAX_BODY);
    const blocks = [];
    for (let i = 0; i < 3; i++) blocks.push(await longestBlock(() => decode(big.body, encoding, limits)));
    const row = {
      encoding,
      smallRequestKiB: Math.round(small.requests[0]!.length / 1024),
      smallRequestMs: Number(perRequestMs.toFixed(3)),
      bigRequestMiB: Number((big.body.length / MIB).toFixed(1)),
      bigTotalMs: blocks.map((b) => b.totalMs),
      bigLongestBlockMs: blocks.map((b) => b.longestMs),
    };
    console.log(JSON.stringify(row));
    rows.push(row);
  }
  results.decoder = rows;
}

function residentKiB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function grpcPart(): Promise<void> {
  const server = await startServer({ env: { DUCKTRACE_MEMORY_LIMIT_MB: '256' } });
  try {
    const body = bigRequest('protobuf', 60 * MIB).body;
    const before = residentKiB(server.pid);
    const inUseBefore = metricValue(await fetchMetrics(server), 'ducktrace_memory_in_use_bytes');
    let sampling = true;
    let peakInUse = inUseBefore;
    let peakRss = before.rss;
    const sampler = (async () => {
      while (sampling) {
        peakInUse = Math.max(peakInUse, metricValue(await fetchMetrics(server), 'ducktrace_memory_in_use_bytes'));
        peakRss = Math.max(peakRss, residentKiB(server.pid).rss);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 16 }, () => grpcExport(server.otlpGrpcAddress, body, { timeoutMs: 60_000, ownConnection: true })));
    const elapsedMs = Math.round(performance.now() - started);
    sampling = false;
    await sampler;
    const codes: Record<string, number> = {};
    for (const { error } of answers) {
      const code = error ? `${error.code} ${error.details.slice(0, 60)}` : 'OK';
      codes[code] = (codes[code] ?? 0) + 1;
    }
    const row = {
      exports: 16,
      messageMiB: Number((body.length / MIB).toFixed(1)),
      elapsedMs,
      answers: codes,
      rssBeforeMiB: Math.round(before.rss / 1024),
      rssPeakMiB: Math.round(Math.max(peakRss, residentKiB(server.pid).peak) / 1024),
      memoryInUseBeforeMiB: Math.round(inUseBefore / MIB),
      memoryInUsePeakMiB: Math.round(peakInUse / MIB),
    };
    console.log(JSON.stringify(row));
    results.grpc = row;
  } finally {
    await server.stop();
  }
}

/** The ordinary path: 8 clients each sending 512-span requests over gRPC, one after another, to a default server. */
async function grpcLoadPart(): Promise<void> {
  const server = await startServer();
  try {
    const workload = generateWorkload({ spans: 512 * 400, batchSize: 512, encoding: 'protobuf', seed: 5 });
    let next = 0;
    let refused = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const client = new grpc.Client(server.otlpGrpcAddress, grpc.credentials.createInsecure());
        while (next < workload.requests.length) {
          const body = workload.requests[next++]!;
          const error = await new Promise<grpc.ServiceError | null>((resolve) =>
            client.makeUnaryRequest(GRPC_EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, body, (e) => resolve(e ?? null)),
          );
          if (error) refused++;
        }
        client.close();
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const row = { requests: workload.requests.length, spansPerSec: Math.round(workload.spans / seconds), refused };
    console.log(JSON.stringify(row));
    results.grpcLoad = row;
  } finally {
    await server.stop();
  }
}

if (!only || only === 'http') await httpPart();
if (!only || only === 'decoder') await decoderPart();
if (!only || only === 'grpc') await grpcPart();
if (!only || only === 'grpc-load') await grpcLoadPart();
if (out) writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
