/**
 * Ceilings measured in the same run as ingest, so that ingest is read against what its parts can do at
 * best on this machine: DuckDB appending the same rows with the same schema and nothing else, and the
 * same HTTP requests to a server that only reads them.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SpanRow } from '../core/model/span.js';
import { decodeExportTraceRequestProtobuf } from '../core/otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../core/otlp/limits.js';
import { Database } from '../core/storage/duckdb/database.js';
import { DuckDBTraceWriter } from '../core/storage/duckdb/spanWriter.js';
import { encodeFrame } from '../collector/wal/writeAheadLog.js';
import type { Workload } from './workload.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The workload's spans as the server's decoder makes them. */
export function decodeWorkload(workload: Workload): SpanRow[] {
  const rows: SpanRow[] = [];
  for (const body of workload.requests) for (const row of decodeExportTraceRequestProtobuf(body, DEFAULT_SPAN_LIMITS).spans) rows.push(row);
  return rows;
}

export interface AppendCeiling {
  spansPerSec: number;
  /** CPU time of this process, DuckDB's threads included, for each million spans written. */
  cpuSecPerMillionSpans: number;
}

/**
 * `rows` (decoded ahead, not timed) written and committed in batches of `batchSpans` (the server's
 * flushMaxSpans) through the server's writer with `connections` connections (the server's default),
 * to a fresh database file: the most the storage layer can take.
 */
export async function measureDuckdbAppend(rows: readonly SpanRow[], batchSpans: number, connections: number): Promise<AppendCeiling> {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-append-'));
  try {
    const db = await Database.open(dir);
    const writer = await DuckDBTraceWriter.create(db, { connections });
    const batches: Array<readonly SpanRow[]> = [];
    for (let i = 0; i < rows.length; i += batchSpans) batches.push(rows.slice(i, i + batchSpans));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    // The writer takes as many batches at once as it has connections; the rest wait their turn.
    await Promise.all(batches.map((batch) => writer.append(batch)));
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    await writer.close();
    db.close();
    return { spansPerSec: rows.length / seconds, cpuSecPerMillionSpans: (cpu.user + cpu.system) / rows.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The no-op HTTP server (bench/noopServer.ts) in its own process. */
export async function startNoopServer(): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/noopServer.ts'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    exited.then(([code]) => reject(new Error(`noop server exited with ${code}: ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /noop listening on (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
  });
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Bytes of the requests each compressed as one lz4 block, exactly as the write-ahead log frames a record (raw when lz4 cannot shrink it). */
export function lz4Bytes(requests: Buffer[]): number {
  return requests.reduce((total, body) => total + encodeFrame(0n, body).payloadBytes, 0);
}
