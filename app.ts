/** Assembles the all-in-one server: storage, collector receivers and the query API, and stops them in order. */
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { setLogger as setGrpcLogger } from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import { changedSettings, envName, settingsInForce, spanLimitsOf, type Config } from './core/config.js';
import type { ConnectionPolicy } from './core/listeners/connectionPolicy.js';
import { httpServerFactory } from './core/listeners/httpServer.js';
import { openFileLimit } from './core/listeners/openFileLimit.js';
import { TlsFiles } from './core/listeners/tlsFiles.js';
import { logger as processLogger, type Logger } from './core/logger.js';
import { AccessTokens } from './core/security/accessTokens.js';
import { hostPolicy, isLoopbackAddress, listSetting } from './core/security/hostPolicy.js';
import { Metrics } from './core/metrics.js';
import { Database } from './core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from './core/storage/duckdb/queryExecutor.js';
import { DuckDBTraceReader } from './core/storage/duckdb/spanReader.js';
import { DuckDBSqlRunner } from './core/storage/duckdb/sqlRunner.js';
import { DuckDBTraceWriter } from './core/storage/duckdb/spanWriter.js';
import { StorageRecovery } from './core/storage/duckdb/storageRecovery.js';
import { SamplingStage } from './collector/pipeline/samplingStage.js';
import { SpanBatcher } from './collector/pipeline/spanBatcher.js';
import { effectiveMemoryLimitBytes, javascriptMemoryInUse, MemoryLimiter } from './collector/pipeline/memoryLimiter.js';
import { TraceIngest } from './collector/pipeline/traceIngest.js';
import type { SamplingConfig } from './collector/sampling/samplingConfig.js';
import { WriteAheadLog } from './collector/wal/writeAheadLog.js';
import { listenGrpc, type GrpcListener } from './collector/receivers/grpcListener.js';
import { createOtlpGrpcServer } from './collector/receivers/otlpGrpc.js';
import { createOtlpHttpServer } from './collector/receivers/otlpHttp.js';
import { requireWriteTokenGrpc, requireWriteTokenHttp } from './collector/receivers/writeToken.js';
import { createQueryServer } from './query/http/server.js';
import { checkReadOnlyStatement } from './query/services/sqlGuard.js';

/** The validated configuration, with its sampling section. */
export type ServerConfig = Config & { sampling: SamplingConfig };

export interface Ducktrace {
  ports: { otlpHttp: number; otlpGrpc: number; http: number };
  /**
   * Applies a reloaded configuration: sampling, and every changed setting the settings table marks
   * `live`; the changed ones it marks `restart` keep their value in force until the next start. Throws
   * ConfigError, changing nothing, when a tokens file cannot be loaded.
   */
  reload(config: ServerConfig): ReloadResult;
  /** Stops accepting, stores everything already accepted (or leaves it in the write-ahead log), closes the database. */
  stop(): Promise<void>;
}

export interface ReloadResult {
  /** Changed settings now in force. */
  applied: Array<keyof Config>;
  /** Changed settings that only a restart applies. */
  needRestart: Array<keyof Config>;
}

/** A checkpoint or compaction taking this long is logged: writes may have waited for it. */
const SLOW_MAINTENANCE_SECONDS = 5;

/** Beside the listeners' connections: DuckDB's files, the write-ahead log, Node.js itself. */
const OTHER_OPEN_FILES = 128;

export async function startDucktrace(config: ServerConfig, logger: Logger = processLogger): Promise<Ducktrace> {
  // grpc-js writes its own errors to stderr unless it is given a logger.
  const grpcLog = logger.child({ component: 'grpc' });
  setGrpcLogger({ error: (...args) => grpcLog.error(format(...args)), info: (...args) => grpcLog.info(format(...args)), debug: (...args) => grpcLog.debug(format(...args)) });
  // Read first: a missing certificate or tokens file stops the start before anything is opened.
  const tokens = new AccessTokens(config, logger.child({ component: 'tokens' }));
  let tls: TlsFiles | null;
  try {
    tls = config.tlsCertFile === '' ? null : new TlsFiles(config.tlsCertFile, config.tlsKeyFile, logger.child({ component: 'tls' }));
  } catch (error) {
    tokens.close();
    throw error;
  }
  const builtInHosts = [config.host, hostname()];
  let hosts = hostPolicy(config.allowedHosts, builtInHosts);
  let corsOrigins: ReadonlySet<string> = new Set(listSetting(config.corsOrigins));
  /** Settings changed by a reload that wait for a restart. */
  let pendingRestart: Array<keyof Config> = [];

  const db = await Database.open(config.dataDir, config.storageMemoryMb);
  const storageLog = logger.child({ component: 'storage' });
  const recovery = new StorageRecovery(db, storageLog);
  const metrics = new Metrics();
  const countRefused = metrics.counter('ducktrace_connections_refused_total', 'Connections closed at once because their listener held maxConnections.');
  const connections = (listener: string): ConnectionPolicy => ({
    maxConnections: config.maxConnections,
    idleTimeoutMs: config.idleTimeoutMs,
    tls,
    onRefused: () => countRefused(1, { listener }),
  });
  const maintenanceBuckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
  const maintenanceSeconds = {
    checkpoint: metrics.histogram('ducktrace_checkpoint_seconds', 'Time of each checkpoint the writer forces; new writes wait for it.', maintenanceBuckets),
    compaction: metrics.histogram('ducktrace_dependency_compaction_seconds', 'Time of each re-summing of service_calls rows.', maintenanceBuckets),
    write_alone: metrics.histogram(
      'ducktrace_write_alone_seconds',
      'Time of each batch written with no other beside it, after writing it beside others ran DuckDB out of memory (storageMemoryMb).',
      maintenanceBuckets,
    ),
  };
  const writer = await DuckDBTraceWriter.create(db, {
    connections: config.writerConnections,
    onMaintenance: (operation, seconds) => {
      maintenanceSeconds[operation](seconds);
      if (operation === 'write_alone') storageLog.warn({ operation, seconds }, `ducktrace: a batch ran DuckDB out of memory beside others and was written alone in ${seconds.toFixed(1)} s; storageMemoryMb may be too small for this load`);
      else if (seconds >= SLOW_MAINTENANCE_SECONDS) storageLog.warn({ operation, seconds }, `ducktrace: a storage ${operation} took ${seconds.toFixed(1)} s`);
    },
    // SQL statements make room for each checkpoint (the runner is made below; no checkpoint comes before it).
    beforeCheckpoint: () => sql.yieldToCheckpoint(),
  });
  const reader = await DuckDBTraceReader.create(db, config.queryTimeoutMs);
  const countStored = metrics.counter('ducktrace_spans_stored_total', 'Spans committed to storage.');
  const flushSeconds = metrics.histogram('ducktrace_flush_seconds', 'Time to commit one batch to storage.', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]);
  // The components below read these option objects as they work, so a reload changes them in place.
  const batcherOptions = { ...config, concurrentFlushes: writer.parallelism, health: db.health };
  const batcher = new SpanBatcher(writer, batcherOptions, (spans, elapsedMs) => {
    countStored(spans);
    flushSeconds(elapsedMs / 1000);
  });
  metrics.gauge('ducktrace_storage_bytes', 'Bytes of the DuckDB file and its own write-ahead log.', () => db.fileBytes());
  metrics.gauge('ducktrace_writer_queue_spans', 'Spans accepted and not yet committed.', () => batcher.queuedSpans);
  // The heap limit is the start command's --max-old-space-size (DUCKTRACE_HEAP_MEMORY_MB under npm start), else Node.js's own.
  metrics.gauge('ducktrace_js_heap_limit_bytes', 'The most memory the JavaScript heap may take.', () => getHeapStatistics().heap_size_limit);
  metrics.gauge('ducktrace_js_heap_used_bytes', 'Memory the JavaScript heap holds now, garbage included.', () => getHeapStatistics().used_heap_size);
  metrics.gauge('process_resident_memory_bytes', 'Resident memory of the server process.', () => process.memoryUsage.rss());
  metrics.gauge('ducktrace_dependency_pairing_spans', 'Spans held in memory to pair with a parent or child from a later batch, for the dependency graph.', () => writer.pairingSpans);

  const countCorruption = metrics.counter('ducktrace_wal_corruptions_total', 'Damaged stretches of write-ahead log segments skipped at start.');
  const countSkippedBytes = metrics.counter('ducktrace_wal_skipped_bytes_total', 'Bytes of damaged write-ahead log records skipped at start.');
  const walLog = logger.child({ component: 'wal' });
  const opened = config.walEnabled
    ? await WriteAheadLog.open({
        dir: join(config.dataDir, 'wal'),
        segmentBytes: config.walSegmentBytes,
        maxDiskBytes: config.walMaxBytes,
        groupCommitMs: config.walGroupCommitMs,
        onCorruption: (message, skippedBytes) => {
          countCorruption();
          countSkippedBytes(skippedBytes);
          walLog.warn({ skippedBytes }, `ducktrace: WRITE-AHEAD LOG CORRUPTION: ${message}; every intact record before and after it is recovered`);
        },
      })
    : null;
  const wal = opened?.wal ?? null;
  if (wal) {
    metrics.gauge('ducktrace_wal_uncompressed_bytes_total', 'Bytes appended to the write-ahead log before compression.', () => wal.uncompressedBytes);
    metrics.gauge('ducktrace_wal_compressed_bytes_total', 'Bytes appended to the write-ahead log after lz4 compression.', () => wal.compressedBytes);
    metrics.gauge('ducktrace_wal_disk_bytes', 'Disk used by write-ahead log segments.', () => wal.diskBytes);
  }
  const stage = new SamplingStage(config.sampling, batcher, wal, reader, metrics, logger.child({ component: 'pipeline' }));
  if (opened && opened.recovered.length > 0) {
    walLog.info(`write-ahead log: replaying ${opened.recovered.length} records (${opened.recovered.reduce((n, r) => n + r.spans.length, 0)} spans) not yet stored`);
    // Exports are taken meanwhile; the replay commits once it knows what storage holds.
    void stage.replay(opened.recovered).catch((error: Error) => walLog.error({ err: error }, `ducktrace: the write-ahead log replay stopped: ${error.message}; its records stay in the log`));
  }
  stage.start();
  const memory = new MemoryLimiter(effectiveMemoryLimitBytes(config.memoryLimitMb));
  if (memory.limitBytes < config.memoryLimitMb * 2 ** 20) {
    logger.warn(`memoryLimitMb ${config.memoryLimitMb} is lowered to ${Math.round(memory.limitBytes / 2 ** 20)} MiB, 75% of the JavaScript heap limit; raise DUCKTRACE_HEAP_MEMORY_MB to allow more`);
  }
  metrics.gauge('ducktrace_memory_limit_bytes', 'JavaScript memory in use past which exports are refused (memoryLimitMb).', () => memory.limitBytes);
  metrics.gauge('ducktrace_memory_limit_collections_total', 'Garbage collections the memory limit asked for before refusing an export.', () => memory.collections);
  metrics.gauge('ducktrace_memory_in_use_bytes', 'JavaScript memory in use as the memory limit counts it: heap, garbage included, and buffers.', javascriptMemoryInUse);
  const spanLimits = spanLimitsOf(config);
  const ingest = new TraceIngest(stage, batcher, wal, spanLimits, memory, metrics);

  let ready = false;
  const otlpHttp = createOtlpHttpServer(ingest, {
    maxBodyBytes: config.maxBodyBytes,
    serverFactory: httpServerFactory(connections('otlp_http')),
    logger: logger.child({ component: 'otlp-http' }),
  });
  requireWriteTokenHttp(otlpHttp, () => tokens.write);
  const grpc = createOtlpGrpcServer(ingest, { maxBodyBytes: config.maxBodyBytes });
  const executor = new DuckDBQueryExecutor(db, config.queryTimeoutMs);
  const sqlOptions = {
    timeoutMs: config.queryTimeoutMs,
    maxRows: config.sqlMaxRows,
    maxBytes: config.sqlMaxBytes,
    maxMemoryBytes: (config.storageMemoryMb * 2 ** 20 * config.sqlMemoryPercent) / 100,
    checkpointMemoryBytes: (config.storageMemoryMb * 2 ** 20) / 2,
    guard: checkReadOnlyStatement,
  };
  const sql = new DuckDBSqlRunner(db, sqlOptions);
  const query = createQueryServer({
    context: { reader, executor, calls: writer, limits: config },
    metrics,
    isReady: () => {
      if (!ready) return 'starting or shutting down';
      const storage = db.health.state;
      if (!storage.healthy) return `storage cannot write: ${storage.reason}`;
      return wal?.failing ? `the write-ahead log cannot write: ${wal.failing}` : true;
    },
    sql,
    uiDir: resolveUiDir(config.uiDir),
    access: { readTokens: () => tokens.read, hosts: () => hosts, corsOrigins: () => corsOrigins },
    status: () => ({ settings: settingsInForce(config), pendingRestart }),
    serverFactory: httpServerFactory(connections('query')),
    logger: logger.child({ component: 'query' }),
  });

  const started: { http: FastifyInstance[]; grpc: GrpcListener | null } = { http: [], grpc: null };
  const closeAll = async (): Promise<void> => {
    ready = false;
    sql.close(); // interrupts running SQL statements so that neither the HTTP close nor the checkpoint waits for them
    await Promise.all([
      ...started.http.map((server) => server.close()),
      started.grpc?.close(),
    ]);
    tokens.close();
    tls?.close();
    await stage.stop();
    await batcher.stop();
    await wal?.close();
    await recovery.stop();
    await writer.close();
    // With storage failing, DuckDB's own write-ahead log keeps what the checkpoint would have written.
    await db.checkpoint().catch((error: Error) => storageLog.warn(`ducktrace: the checkpoint at shutdown failed (${error.message}); the next start replays DuckDB's write-ahead log`));
    reader.close();
    executor.close();
    db.close();
  };

  try {
    const otlpHttpPort = await listen(otlpHttp, 'otlp-http', config.host, config.otlpHttpPort, tls !== null);
    started.http.push(otlpHttp);
    started.grpc = await listenGrpc(grpc, { host: config.host, port: config.otlpGrpcPort, ...connections('otlp_grpc'), interceptors: [requireWriteTokenGrpc(() => tokens.write)] });
    const otlpGrpcPort = started.grpc.port;
    logger.child({ component: 'otlp-grpc' }).info(`otlp-grpc listening on ${url(config.host, otlpGrpcPort, tls !== null)}`);
    const httpPort = await listen(query, 'query', config.host, config.httpPort, tls !== null);
    started.http.push(query);
    warnOfExposure(config, tokens, logger);
    ready = true;
    const reload = (next: ServerConfig): ReloadResult => {
      tokens.update(next);
      const { live, restart } = changedSettings(config, next);
      // `config` is the configuration in force (the query routes read their limits from it).
      for (const key of live) copySetting(config, next, key);
      hosts = hostPolicy(config.allowedHosts, builtInHosts);
      corsOrigins = new Set(listSetting(config.corsOrigins));
      stage.reconfigure(next.sampling);
      Object.assign(batcherOptions, { flushMaxSpans: config.flushMaxSpans, flushIntervalMs: config.flushIntervalMs, maxQueuedSpans: config.maxQueuedSpans });
      Object.assign(sqlOptions, { timeoutMs: config.queryTimeoutMs, maxRows: config.sqlMaxRows, maxBytes: config.sqlMaxBytes });
      executor.timeoutMs = config.queryTimeoutMs;
      reader.timeoutMs = config.queryTimeoutMs;
      Object.assign(spanLimits, spanLimitsOf(config));
      wal?.reconfigure({ segmentBytes: config.walSegmentBytes, maxDiskBytes: config.walMaxBytes, groupCommitMs: config.walGroupCommitMs });
      // Those keep the value they started with, so they differ from the file until the next start.
      pendingRestart = restart;
      return { applied: live, needRestart: restart };
    };
    return { ports: { otlpHttp: otlpHttpPort, otlpGrpc: otlpGrpcPort, http: httpPort }, reload, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** Listens, and logs `<name> listening on <url>` for each address (fastify's own line, in our words). */
function copySetting<K extends keyof Config>(target: Config, source: Config, key: K): void {
  target[key] = source[key];
}

async function listen(app: FastifyInstance, name: string, host: string, port: number, secure: boolean): Promise<number> {
  // fastify's URL says http: the TLS server under it comes from the server factory, not its `https` option.
  await app.listen({ host, port, listenTextResolver: (address) => `${name} listening on ${secure ? address.replace(/^http:/, 'https:') : address}` });
  return (app.server.address() as AddressInfo).port;
}

function url(host: string, port: number, secure: boolean): string {
  return `${secure ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** One loud line for each way the configuration leaves the server open to whoever reaches it. */
function warnOfExposure(config: Config, tokens: AccessTokens, logger: Logger): void {
  if (!isLoopbackAddress(config.host) && (!tokens.write.required || !tokens.read.required)) {
    const open = [
      ...(tokens.write.required ? [] : [`send spans (set ${envName('writeTokens')} or ${envName('writeTokensFile')})`]),
      ...(tokens.read.required ? [] : [`read every trace and run SQL (set ${envName('readTokens')} or ${envName('readTokensFile')})`]),
    ];
    logger.warn(`ducktrace: WARNING: listening on ${config.host} without tokens: anyone who can reach these ports can ${open.join(' and ')}`);
  }
  const limit = openFileLimit();
  const needed = 3 * config.maxConnections + OTHER_OPEN_FILES;
  if (limit !== null && limit < needed) {
    logger.warn(`ducktrace: WARNING: the open-file limit is ${limit}, and three listeners of ${config.maxConnections} connections each (maxConnections) with DuckDB's files need about ${needed}; lower ${envName('maxConnections')} or raise the limit (ulimit -n)`);
  }
}

/** The directory of the ducktrace installation's own UI build. */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('./ui/dist', import.meta.url));

export function resolveUiDir(configured: string): string {
  return configured === '' ? DEFAULT_UI_DIR : resolve(configured);
}
