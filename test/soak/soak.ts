/**
 * A soak run: steady OTLP load (HTTP protobuf and gRPC) into the real server, which is restarted on the
 * same data directory every so often, by SIGTERM and by SIGKILL in turn. Afterwards every span whose
 * export was acknowledged must be stored exactly once, an export in flight at a kill all or nothing, and
 * the memory of each server run (sampled from /metrics) must not grow from run to run.
 */
import { SpanKind } from '@opentelemetry/api';
import { grpcExport, makeSpan, postOtlp, PROTOBUF, protobufRequest, randomTraceId } from '../helpers/otlp.js';
import { fetchMetrics, makeTempDir, metricValue, sqlRows, startServer, waitFor, type ServerHandle } from '../helpers/server.js';

export interface SoakOptions {
  durationMs: number;
  restartEveryMs: number;
  /** Exports in flight at once. */
  concurrency?: number;
  spansPerExport?: number;
  log?: (line: string) => void;
}

interface SentExport {
  traceId: string;
  spans: number;
  outcome: 'acked' | 'refused' | 'unknown';
}

export interface SoakReport {
  exports: number;
  acknowledged: number;
  acknowledgedSpans: number;
  refused: number;
  inFlightAtKills: number;
  restarts: string[];
  storedSpans: number;
  /** Acknowledged spans not stored, spans stored twice, exports in flight at a kill half stored. */
  missing: number;
  duplicates: number;
  halfStored: number;
  /** The highest resident memory sampled in each server run, in MB. */
  peakRssMbByRun: number[];
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  const spansPerExport = options.spansPerExport ?? 50;
  const dataDir = makeTempDir('ducktrace-soak-');
  const sent: SentExport[] = [];
  const restarts: string[] = [];
  const peaks: number[] = [];
  const start = Math.floor(Date.now() / 1000) - 60;
  let server: ServerHandle = await startServer({ dataDir });
  let current = { server, stopped: false };
  let stop = false;

  const sender = async (n: number): Promise<void> => {
    while (!stop) {
      const { server: target } = current;
      const traceId = randomTraceId();
      const body = protobufRequest(Array.from({ length: spansPerExport }, (_, i) => makeSpan({ traceId, name: `op ${i % 5}`, service: `soak-${n % 3}`, kind: SpanKind.SERVER, startTime: [start + (sent.length % 3600), i * 1000] })));
      const record: SentExport = { traceId, spans: spansPerExport, outcome: 'unknown' };
      sent.push(record);
      try {
        if (n % 2 === 0) {
          const response = await postOtlp(target.otlpHttpUrl, body, { contentType: PROTOBUF });
          record.outcome = response.status === 200 ? 'acked' : 'refused';
        } else {
          const { error } = await grpcExport(target.otlpGrpcAddress, body, { timeoutMs: 10_000 });
          record.outcome = error === null ? 'acked' : error.code === 14 && /ECONNREFUSED|No connection|Connection dropped/.test(error.details) ? 'unknown' : 'refused';
        }
      } catch {
        record.outcome = 'unknown';
      }
      // A server being restarted: wait for the next one.
      if (record.outcome !== 'acked') await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const sampler = async (): Promise<void> => {
    let peak = 0;
    let run = current;
    while (!stop) {
      if (run !== current) {
        peaks.push(peak);
        peak = 0;
        run = current;
      }
      try {
        peak = Math.max(peak, metricValue(await fetchMetrics(run.server), 'process_resident_memory_bytes') / 2 ** 20);
      } catch {
        // between runs
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    peaks.push(peak);
  };

  const senders = Array.from({ length: options.concurrency ?? 8 }, (_, n) => sender(n));
  const sampling = sampler();
  const began = Date.now();
  let restartCount = 0;
  while (Date.now() - began < options.durationMs) {
    await new Promise((resolve) => setTimeout(resolve, Math.min(options.restartEveryMs, options.durationMs - (Date.now() - began))));
    if (Date.now() - began >= options.durationMs) break;
    const signal = restartCount++ % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
    const exit = await server.stop(signal, 60_000);
    if (signal === 'SIGTERM' && exit.code !== 0) throw new Error(`the server did not stop cleanly on SIGTERM (${exit.code}):\n${exit.stdout.slice(-2000)}${exit.stderr.slice(-2000)}`);
    restarts.push(`${signal} at ${((Date.now() - began) / 1000).toFixed(0)} s`);
    log(`soak: ${signal} at ${((Date.now() - began) / 1000).toFixed(0)} s, ${sent.filter((e) => e.outcome === 'acked').length} exports acknowledged so far`);
    server = await startServer({ dataDir, timeoutMs: 60_000 });
    current = { server, stopped: false };
  }
  stop = true;
  await Promise.all(senders);
  await sampling;

  // Everything acknowledged is stored once the replay is done: wait for the acknowledged spans.
  const acked = sent.filter((e) => e.outcome === 'acked');
  const ackedSpans = acked.reduce((n, e) => n + e.spans, 0);
  await waitFor(
    async () => (Number((await sqlRows(server, 'SELECT count(*) FROM spans'))[0]![0]) >= ackedSpans ? true : undefined),
    `the ${ackedSpans} acknowledged spans to be stored`,
    60_000,
    250,
  );
  // Counted a trace-id prefix at a time: over millions of spans one GROUP BY takes more memory than SQL
  // statements may (sqlMemoryPercent).
  const stored = new Map<string, { spans: number; distinct: number }>();
  for (let prefix = 0; prefix < 256; prefix++) {
    const rows = await sqlRows(server, `SELECT trace_id, count(*), count(DISTINCT span_id) FROM spans WHERE starts_with(trace_id, '${prefix.toString(16).padStart(2, '0')}') GROUP BY trace_id`);
    for (const row of rows) stored.set(row[0]!, { spans: Number(row[1]), distinct: Number(row[2]) });
  }
  let missing = 0;
  let duplicates = 0;
  let halfStored = 0;
  for (const e of sent) {
    const s = stored.get(e.traceId);
    if (s) duplicates += s.spans - s.distinct;
    if (e.outcome === 'acked') missing += e.spans - Math.min(e.spans, s?.distinct ?? 0);
    if (e.outcome === 'unknown' && s && s.distinct !== e.spans) halfStored++;
  }
  const storedSpans = [...stored.values()].reduce((n, s) => n + s.spans, 0);
  const exit = await server.stop();
  if (exit.code !== 0) throw new Error(`the last server did not stop cleanly (${exit.code}):\n${exit.stdout.slice(-2000)}${exit.stderr.slice(-2000)}`);
  return {
    exports: sent.length,
    acknowledged: acked.length,
    acknowledgedSpans: ackedSpans,
    refused: sent.filter((e) => e.outcome === 'refused').length,
    inFlightAtKills: sent.filter((e) => e.outcome === 'unknown').length,
    restarts,
    storedSpans,
    missing,
    duplicates,
    halfStored,
    peakRssMbByRun: peaks.map((mb) => Math.round(mb)),
  };
}
