/** Assembles the all-in-one server: storage, collector receivers and the query API, and stops them in order. */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Server as GrpcServer } from '@grpc/grpc-js';
import { spanLimitsOf, type Config } from './core/config.js';
import { Metrics } from './core/metrics.js';
import { Database } from './core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from './core/storage/duckdb/queryExecutor.js';
import { DuckDBTraceReader } from './core/storage/duckdb/spanReader.js';
import { DuckDBSqlRunner } from './core/storage/duckdb/sqlRunner.js';
import { DuckDBTraceWriter } from './core/storage/duckdb/spanWriter.js';
import { SpanBatcher } from './collector/pipeline/spanBatcher.js';
import { TraceIngest } from './collector/pipeline/traceIngest.js';
import { bindGrpc, createOtlpGrpcServer } from './collector/receivers/otlpGrpc.js';
import { createOtlpHttpServer } from './collector/receivers/otlpHttp.js';
import { createQueryServer } from './query/http/server.js';
import { checkReadOnlyStatement } from './query/services/sqlGuard.js';

export interface Ducktrace {
  ports: { otlpHttp: number; otlpGrpc: number; http: number };
  /** Stops accepting, commits everything already accepted, closes the database. */
  stop(): Promise<void>;
}

export async function startDucktrace(config: Config, log: (line: string) => void = console.log): Promise<Ducktrace> {
  const db = await Database.open(config.dataDir);
  const writer = await DuckDBTraceWriter.create(db);
  const reader = await DuckDBTraceReader.create(db, config.queryTimeoutMs);
  const metrics = new Metrics();
  const countStored = metrics.counter('ducktrace_spans_stored_total', 'Spans committed to storage.');
  const flushSeconds = metrics.histogram('ducktrace_flush_seconds', 'Time to commit one batch to storage.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  const batcher = new SpanBatcher(writer, config, (spans, elapsedMs) => {
    countStored(spans);
    flushSeconds(elapsedMs / 1000);
  });
  metrics.gauge('ducktrace_storage_bytes', 'Bytes of the DuckDB file and its own write-ahead log.', () => db.fileBytes());
  metrics.gauge('ducktrace_writer_queue_spans', 'Spans accepted and not yet committed.', () => batcher.queuedSpans);
  const ingest = new TraceIngest(batcher, spanLimitsOf(config), metrics);

  let ready = false;
  const otlpHttp = createOtlpHttpServer(ingest, { maxBodyBytes: config.maxBodyBytes });
  const grpc = createOtlpGrpcServer(ingest, { maxBodyBytes: config.maxBodyBytes });
  const executor = new DuckDBQueryExecutor(db, config.queryTimeoutMs);
  const sql = new DuckDBSqlRunner(db, { timeoutMs: config.queryTimeoutMs, maxRows: config.sqlMaxRows, guard: checkReadOnlyStatement });
  const query = createQueryServer({ context: { reader, executor, limits: config }, metrics, isReady: () => ready, sql });

  const started: { http: FastifyInstance[]; grpc: GrpcServer | null } = { http: [], grpc: null };
  const closeAll = async (): Promise<void> => {
    ready = false;
    sql.close(); // interrupts running SQL statements so that neither the HTTP close nor the checkpoint waits for them
    await Promise.all([
      ...started.http.map((server) => server.close()),
      started.grpc ? new Promise<void>((resolve) => started.grpc!.tryShutdown(() => resolve())) : Promise.resolve(),
    ]);
    await batcher.stop();
    writer.close();
    await db.checkpoint();
    reader.close();
    executor.close();
    db.close();
  };

  try {
    const otlpHttpPort = await listen(otlpHttp, config.host, config.otlpHttpPort);
    started.http.push(otlpHttp);
    log(`otlp-http listening on ${url(config.host, otlpHttpPort)}`);
    const otlpGrpcPort = await bindGrpc(grpc, config.host, config.otlpGrpcPort);
    started.grpc = grpc;
    log(`otlp-grpc listening on ${url(config.host, otlpGrpcPort)}`);
    const httpPort = await listen(query, config.host, config.httpPort);
    started.http.push(query);
    log(`query listening on ${url(config.host, httpPort)}`);
    ready = true;
    return { ports: { otlpHttp: otlpHttpPort, otlpGrpc: otlpGrpcPort, http: httpPort }, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<number> {
  await app.listen({ host, port });
  return (app.server.address() as AddressInfo).port;
}

function url(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
