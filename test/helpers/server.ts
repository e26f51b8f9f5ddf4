/**
 * End-to-end helpers: the real server as a child process (`node --import tsx main.ts`) on free ports with
 * a fresh data directory, OpenTelemetry SDK providers that keep an in-memory copy of what they export,
 * and small HTTP helpers for the query API.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanLimits,
} from '@opentelemetry/sdk-trace-base';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

// ---------------------------------------------------------------------------------------------------
// Temporary directories

const tempDirs = new Set<string>();

/** A fresh, empty directory under the OS temp dir, removed by `removeTempDirs`. */
export function makeTempDir(prefix = 'ducktrace-e2e-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

// ---------------------------------------------------------------------------------------------------
// The server process

export interface ServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ServerHandle {
  dataDir: string;
  pid: number;
  ports: { otlpHttp: number; otlpGrpc: number; http: number };
  /** e.g. http://127.0.0.1:4318 (POST `${otlpHttpUrl}/v1/traces`). */
  otlpHttpUrl: string;
  /** e.g. http://127.0.0.1:4317, the form the OTLP gRPC exporter takes. */
  otlpGrpcUrl: string;
  /** host:port, the form @grpc/grpc-js clients take. */
  otlpGrpcAddress: string;
  /** e.g. http://127.0.0.1:16686 */
  queryUrl: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (for whatever reason). */
  exited: Promise<ServerExit>;
  /** Sends SIGTERM (or `signal`) and resolves with the exit; SIGKILLs and rejects after `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ServerExit>;
}

export interface StartOptions {
  /** Defaults to a fresh temp dir. */
  dataDir?: string;
  /** Extra DUCKTRACE_* settings; they override the defaults below. */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Start it as users do, with `npm start` (its flags included), instead of `node --import tsx main.ts`. */
  npmStart?: boolean;
  /** The open-file limit (ulimit -n) the server runs under. */
  openFileLimit?: number;
}

/** Each live server with what kills it for good. */
const live = new Map<ChildProcess, () => void>();
process.once('exit', () => {
  for (const kill of live.values()) kill();
});

/** Spawns `node --import tsx main.ts` (or `npm start`) with a clean DUCKTRACE_* environment. Does not wait for anything. */
export function spawnServer(
  dataDir: string,
  env: Record<string, string> = {},
  npmStart = false,
  openFileLimit?: number,
): { child: ChildProcess; exited: Promise<ServerExit>; out: { stdout: string; stderr: string }; kill: () => void } {
  const baseEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('DUCKTRACE_') && !key.startsWith('OTEL_')) baseEnv[key] = value;
  }
  const [program, programArgs] = npmStart ? ['npm', ['start', '--silent']] : [process.execPath, ['--import', 'tsx', 'main.ts']];
  // The shell lowers the limit, then execs the server in its place (the same pid).
  const [command, args] =
    openFileLimit === undefined ? [program, programArgs] : ['/bin/sh', ['-c', `ulimit -n ${openFileLimit} && exec "$0" "$@"`, program, ...programArgs]];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    env: {
      ...baseEnv,
      DUCKTRACE_DATA_DIR: dataDir,
      DUCKTRACE_HOST: '127.0.0.1',
      DUCKTRACE_OTLP_HTTP_PORT: '0',
      DUCKTRACE_OTLP_GRPC_PORT: '0',
      DUCKTRACE_HTTP_PORT: '0',
      DUCKTRACE_FLUSH_INTERVAL_MS: '50',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // npm start in a process group of its own, so that the server under npm is killed with it.
    detached: npmStart,
  });
  const kill = (): void => {
    if (npmStart) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // the group is gone already
      }
    } else {
      child.kill('SIGKILL');
    }
  };
  live.set(child, kill);
  const out = { stdout: '', stderr: '' };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out.stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
  const exited = new Promise<ServerExit>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal, stdout: out.stdout, stderr: out.stderr });
    });
  });
  return { child, exited, out, kill };
}

const LISTENING = /(?:^|\s)(otlp-http|otlp-grpc|query) listening on (https?:\/\/127\.0\.0\.1:(\d+))(?=\s|$)/gm;

/** Starts the server and resolves once it printed its three "listening" lines. */
export async function startServer(options: StartOptions = {}): Promise<ServerHandle> {
  const dataDir = options.dataDir ?? makeTempDir();
  const timeoutMs = options.timeoutMs ?? 30_000;
  const { child, exited, out, kill } = spawnServer(dataDir, options.env, options.npmStart, options.openFileLimit);
  const describe = (): string => `--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`;

  const urls = await new Promise<Record<string, string>>((resolve, reject) => {
    const found: Record<string, string> = {};
    const check = (): void => {
      for (const match of logMessages(out.stdout).matchAll(LISTENING)) found[match[1]!] = match[2]!;
      if (found['otlp-http'] && found['otlp-grpc'] && found.query) {
        cleanup();
        resolve(found);
      }
    };
    const timer = setTimeout(() => {
      cleanup();
      kill();
      reject(new Error(`ducktrace did not print its three listening lines within ${timeoutMs} ms\n${describe()}`));
    }, timeoutMs);
    const onExit = (code: number | null, signal: string | null): void => {
      cleanup();
      reject(new Error(`ducktrace exited (code ${code}, signal ${signal}) before listening\n${describe()}`));
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout!.off('data', check);
      child.off('exit', onExit);
    };
    child.stdout!.on('data', check);
    child.once('exit', onExit);
    check();
  });

  const port = (url: string): number => Number(new URL(url).port);
  const otlpGrpcUrl = urls['otlp-grpc']!;
  let stopping: Promise<ServerExit> | null = null;
  return {
    dataDir,
    pid: child.pid!,
    ports: { otlpHttp: port(urls['otlp-http']!), otlpGrpc: port(otlpGrpcUrl), http: port(urls.query!) },
    otlpHttpUrl: urls['otlp-http']!,
    otlpGrpcUrl,
    otlpGrpcAddress: new URL(otlpGrpcUrl).host,
    queryUrl: urls.query!,
    stdout: () => out.stdout,
    stderr: () => out.stderr,
    exited,
    stop(signal: NodeJS.Signals = 'SIGTERM', stopTimeoutMs = 30_000): Promise<ServerExit> {
      if (stopping) return stopping;
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      stopping = new Promise<ServerExit>((resolve, reject) => {
        const timer = setTimeout(() => {
          kill();
          reject(new Error(`ducktrace did not exit within ${stopTimeoutMs} ms of ${signal}\n${describe()}`));
        }, stopTimeoutMs);
        exited.then((exit) => {
          clearTimeout(timer);
          resolve(exit);
        });
      });
      return stopping;
    },
  };
}

/** Runs a server that is expected to exit by itself (e.g. refused to start); kills it after `timeoutMs`. */
export async function runServerToExit(dataDir: string, env: Record<string, string> = {}, timeoutMs = 30_000): Promise<ServerExit> {
  const { child, exited, out } = spawnServer(dataDir, env);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await exited;
  clearTimeout(timer);
  if (exit.signal === 'SIGKILL') {
    throw new Error(`ducktrace did not exit by itself within ${timeoutMs} ms\n--- stdout ---\n${out.stdout}\n--- stderr ---\n${out.stderr}`);
  }
  return exit;
}

// ---------------------------------------------------------------------------------------------------
// The server's log

/** One entry of the server's log: a JSON line on its stdout. */
export interface LogEntry {
  level: string;
  time: string;
  msg: string;
  [field: string]: unknown;
}

/** The complete lines of `output` (a line still being written is left out). */
function completeLines(output: string): string[] {
  return output.split('\n').slice(0, -1).filter((line) => line !== '');
}

/** The entries of a server's stdout, in order; throws naming the first line that is not a JSON entry. */
export function logEntries(stdout: string): LogEntry[] {
  return completeLines(stdout).map((line) => {
    let entry: LogEntry;
    try {
      entry = JSON.parse(line) as LogEntry;
    } catch {
      throw new Error(`a line of the log is not JSON: ${line}`);
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.msg !== 'string') throw new Error(`a line of the log is not an entry: ${line}`);
    return entry;
  });
}

/**
 * The messages of a server's log, one a line, those of `levels` only when given, for matching their
 * text. A line that is no JSON entry (logFormat text) stands for itself.
 */
export function logMessages(stdout: string, levels?: string[]): string {
  const messages: string[] = [];
  for (const line of completeLines(stdout)) {
    let entry: Partial<LogEntry> | null = null;
    try {
      entry = JSON.parse(line) as Partial<LogEntry>;
    } catch {
      // a text line
    }
    if (entry === null || typeof entry.msg !== 'string') messages.push(line);
    else if (!levels || levels.includes(entry.level ?? '')) messages.push(entry.msg);
  }
  return messages.join('\n');
}

// ---------------------------------------------------------------------------------------------------
// HTTP helpers

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** GET `url` as JSON; `headers` such as a read token's `authorization`. */
export async function getJson<T = unknown>(url: string, headers?: Record<string, string>): Promise<JsonResponse<T>> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: T;
  try {
    body = JSON.parse(text) as T;
  } catch {
    throw new Error(`GET ${url} → ${response.status} with a body that is not JSON: ${text.slice(0, 500)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * Waits until every span the server acknowledged is stored. An export is acknowledged once it is in
 * the write-ahead log; storage follows within the flush interval, and the server promises 2 s at most.
 */
export async function waitForStored(queryUrl: string, timeoutMs = 2_000, headers?: Record<string, string>): Promise<void> {
  await waitFor(
    async () => {
      const response = await fetch(`${queryUrl}/metrics`, { headers });
      if (response.status !== 200) throw new Error(`GET /metrics → ${response.status}`);
      const text = await response.text();
      const stored = metricValue(text, 'ducktrace_spans_stored_total') >= metricValue(text, 'ducktrace_spans_accepted_total');
      return stored && metricValue(text, 'ducktrace_writer_queue_spans') === 0 ? true : undefined;
    },
    `every acknowledged span to be stored within ${timeoutMs} ms`,
    timeoutMs,
  );
}

/** The call tree of a trace (throws unless 200), once every acknowledged span is stored. */
export async function getTrace<T = unknown>(queryUrl: string, traceId: string, storedWithinMs = 2_000): Promise<T> {
  await waitForStored(queryUrl, storedWithinMs);
  const response = await getJson<T>(`${queryUrl}/api/v1/traces/${traceId}`);
  if (response.status !== 200) throw new Error(`GET trace ${traceId} → ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** Polls `probe` until it returns a value other than undefined, or throws after `timeoutMs` with the last error. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** The value of an unlabelled Prometheus sample, or the sum of its labelled samples; 0 when absent. */
export function metricValue(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match && match[1] === name) sum += Number(match[3]);
  }
  return sum;
}

/** The sum of a metric's samples whose labels include every `labels` entry (e.g. { reason: 'wal_full' }); 0 when absent. */
export function labelledMetricValue(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    if (Object.entries(labels).every(([key, value]) => match[2]!.split(',').includes(`${key}="${value}"`))) sum += Number(match[3]);
  }
  return sum;
}

/** GET /metrics of the server, as Prometheus text. */
export async function fetchMetrics(server: ServerHandle): Promise<string> {
  return (await fetch(`${server.queryUrl}/metrics`)).text();
}

/** Runs a read-only statement through POST /api/v1/sql; asserts a 200 and a complete answer; every value as text. */
export async function sqlRows(server: ServerHandle, sql: string): Promise<string[][]> {
  const response = await fetch(`${server.queryUrl}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
  const body = (await response.json()) as { rows: unknown[][]; truncated: boolean };
  assert.equal(response.status, 200, `${sql} → ${JSON.stringify(body)}`);
  assert.equal(body.truncated, false, `${sql}: the answer was cut at the row limit`);
  return body.rows.map((row) => row.map(String));
}

// ---------------------------------------------------------------------------------------------------
// OpenTelemetry SDK helpers

/** Wraps a real exporter and records every export result, so that a test can demand they all succeeded. */
export class RecordingExporter implements SpanExporter {
  readonly results: ExportResult[] = [];
  exportedSpans = 0;

  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.results.push(result);
      if (result.code === ExportResultCode.SUCCESS) this.exportedSpans += spans.length;
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }

  /** Throws with the first failure's error unless every export succeeded (and at least one ran). */
  assertAllSucceeded(): void {
    if (this.results.length === 0) throw new Error('no export ran');
    const failed = this.results.find((r) => r.code !== ExportResultCode.SUCCESS);
    if (failed) throw new Error(`an export failed: ${failed.error?.stack ?? failed.error?.message ?? 'no error given'}`);
  }
}

export interface TestProvider {
  provider: BasicTracerProvider;
  /** What the provider's spans looked like, as the exporter was given them. */
  memory: InMemorySpanExporter;
  exporter: RecordingExporter;
  /** forceFlush, then the spans copied out of memory (a shutdown would empty it). */
  flush(): Promise<ReadableSpan[]>;
  shutdown(): Promise<void>;
}

/**
 * A provider exporting through `exporter` (batched, as applications do) and keeping a copy of every
 * finished span in memory (through a second, simple processor).
 */
export function makeProvider(
  resourceAttributes: Record<string, string | number | boolean | string[]>,
  exporter: SpanExporter,
  spanLimits?: SpanLimits,
): TestProvider {
  const memory = new InMemorySpanExporter();
  const recording = new RecordingExporter(exporter);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(resourceAttributes),
    spanLimits,
    spanProcessors: [new BatchSpanProcessor(recording, { scheduledDelayMillis: 60_000 }), new SimpleSpanProcessor(memory)],
  });
  return {
    provider,
    memory,
    exporter: recording,
    async flush() {
      await provider.forceFlush();
      return [...memory.getFinishedSpans()];
    },
    shutdown: () => provider.shutdown(),
  };
}

export function hrTimeToNs(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** `base` plus `ns` nanoseconds, as an HrTime. */
export function hrAdd(base: HrTime, ns: number): HrTime {
  const total = BigInt(base[1]) + BigInt(ns);
  return [base[0] + Number(total / 1_000_000_000n), Number(total % 1_000_000_000n)];
}
