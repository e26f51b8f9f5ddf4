/** Replaying the write-ahead log into real DuckDB storage through the sampling stage and the batcher. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../core/logger.js';
import { Metrics } from '../../core/metrics.js';
import type { SpanRow } from '../../core/model/span.js';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBTraceReader } from '../../core/storage/duckdb/spanReader.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import type { TraceReader } from '../../core/storage/types.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { defaultSamplingConfig } from '../sampling/samplingConfig.js';
import type { RecoveredRecord } from '../wal/writeAheadLog.js';
import { SamplingStage } from './samplingStage.js';
import { SpanBatcher } from './spanBatcher.js';

const START = 1_800_000_000_000_000_000n;
const TRACES = 3;
const SPANS_PER_TRACE = 3000;

/** Counts what the stage asks storage, and answers from the real reader. */
class CountingReader implements TraceReader {
  lookups: number[] = [];
  constructor(private readonly reader: DuckDBTraceReader) {}
  getTraceSpans(traceId: string) {
    return this.reader.getTraceSpans(traceId);
  }
  getTracesSpans(traceIds: string[]) {
    return this.reader.getTracesSpans(traceIds);
  }
  storedSpanKeys(traceIds: string[]) {
    this.lookups.push(traceIds.length);
    return this.reader.storedSpanKeys(traceIds);
  }
}

test('a replay looks stored spans up once per trace, however many records hold them, and stores each span once', async () => {
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  const reader = await DuckDBTraceReader.create(db);
  const counting = new CountingReader(reader);
  try {
    const span = (t: number, i: number): SpanRow =>
      spanRow({
        traceId: (t + 1).toString(16).padStart(32, '0'),
        spanId: (i + 1).toString(16).padStart(16, '0'),
        parentSpanId: i === 0 ? '' : '0000000000000001',
        serviceName: 'big',
        name: 'step',
        startTimeUnixNano: START + BigInt(i) * 1000n,
        durationNs: 1000n,
      });
    const all = Array.from({ length: TRACES }, (_, t) => Array.from({ length: SPANS_PER_TRACE }, (_, i) => span(t, i))).flat();
    // Before the crash, the first half of every trace was stored; the log still holds every span, in
    // records of 30 spans that each touch every trace, one of them twice (a client's retried export).
    await writer.append(all.filter((_, n) => n % SPANS_PER_TRACE < SPANS_PER_TRACE / 2));
    const records: RecoveredRecord[] = [];
    for (let r = 0; r < SPANS_PER_TRACE / 10; r++) {
      records.push({ id: BigInt(records.length + 1), spans: Array.from({ length: TRACES }, (_, t) => Array.from({ length: 10 }, (_, i) => span(t, r * 10 + i))).flat() });
    }
    records.push({ id: BigInt(records.length + 1), spans: records[records.length - 1]!.spans });

    const batcher = new SpanBatcher(writer, { flushMaxSpans: 5000, flushIntervalMs: 5, maxQueuedSpans: 100_000 });
    const stage = new SamplingStage(defaultSamplingConfig(), batcher, null, counting, new Metrics(), createLogger('info', () => {}));
    await stage.replay(records);
    await stage.stop();
    await batcher.stop();

    assert.deepEqual(counting.lookups, [TRACES], `one lookup for the ${records.length} records' ${TRACES} traces`);
    const connection = await db.connect();
    const rows = (await connection.runAndReadAll('SELECT count(*)::INTEGER AS n, count(DISTINCT (trace_id, span_id))::INTEGER AS distinct_spans FROM spans')).getRowObjectsJS();
    connection.closeSync();
    assert.deepEqual(rows, [{ n: TRACES * SPANS_PER_TRACE, distinct_spans: TRACES * SPANS_PER_TRACE }]);
  } finally {
    await writer.close();
    db.close();
  }
});
