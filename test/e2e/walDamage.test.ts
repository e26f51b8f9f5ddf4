/**
 * A damaged write-ahead-log record costs only its own spans: 10,000 spans acknowledged in 20 exports of
 * 500 while the writer holds them back, a SIGKILL, one record in the middle of the segment damaged on
 * disk, and a restart on the same data directory. Every span of the 19 intact records is stored, none of
 * the damaged one's, the damage is counted and logged, and its bytes are kept aside.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { DAMAGED_DIR, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, readSegment } from '../../collector/wal/writeAheadLog.js';
import { makeSpan, postOtlp, PROTOBUF, protobufRequest, randomTraceId } from '../helpers/otlp.js';
import { fetchMetrics, makeTempDir, metricValue, removeTempDirs, sqlRows, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';

const EXPORTS = 20;
const SPANS_PER_EXPORT = 500;
const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

test('recovery skips one damaged record and stores every acknowledged span of the intact records around it', async (t) => {
  const dataDir = makeTempDir();
  // The writer waits for a minute or a million spans: acknowledged spans stay in the write-ahead log only.
  const first = await startServer({ dataDir, env: { DUCKTRACE_FLUSH_MAX_SPANS: '1000000', DUCKTRACE_FLUSH_INTERVAL_MS: '60000' } });
  servers.push(first);
  const start = Math.floor(Date.now() / 1000) - 60;
  for (let e = 0; e < EXPORTS; e++) {
    const traceId = randomTraceId();
    const spans = Array.from({ length: SPANS_PER_EXPORT }, (_, i) => makeSpan({ traceId, name: `op ${i % 7}`, service: 'wal-damage', kind: SpanKind.SERVER, startTime: [start + e, i * 1000] }));
    const response = await postOtlp(first.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
    assert.equal(response.status, 200, `export ${e}`);
  }
  assert.equal(metricValue(await fetchMetrics(first), 'ducktrace_spans_stored_total'), 0, 'nothing stored before the kill');
  await first.stop('SIGKILL');

  // Damage one payload byte of the record in the middle of the segment.
  const walDir = join(dataDir, 'wal');
  const [segment, ...others] = readdirSync(walDir).filter((name) => name.endsWith('.wal')).sort();
  assert.deepEqual(others, [], 'one segment');
  const file = join(walDir, segment!);
  const data = readFileSync(file);
  const { records } = readSegment(data, BigInt(segment!.slice(0, 20)));
  assert.equal(records.length, EXPORTS);
  const offsets: number[] = [];
  for (let offset = SEGMENT_HEADER_BYTES; offset < data.length; offset += RECORD_HEADER_BYTES + data.readUInt32LE(offset + 8)) offsets.push(offset);
  const victim = EXPORTS / 2;
  data[offsets[victim]! + RECORD_HEADER_BYTES + 100]! ^= 0xff;
  writeFileSync(file, data);
  const lostTrace = records[victim]!.spans[0]!.traceId;

  const second = await startServer({ dataDir });
  servers.push(second);
  // The replayed spans are stored at the usual pace; wait for the intact records' spans, then look for more.
  await waitFor(async () => (metricValue(await fetchMetrics(second), 'ducktrace_spans_stored_total') >= (EXPORTS - 1) * SPANS_PER_EXPORT ? true : undefined), 'the replayed spans to be stored', 10_000);
  await waitForStored(second.queryUrl, 10_000);
  const [[stored, traces, lost]] = (await sqlRows(second, `SELECT count(*), count(DISTINCT trace_id), count(*) FILTER (WHERE trace_id = '${lostTrace}') FROM spans`)) as [[string, string, string]];
  t.diagnostic(`${stored} spans stored of ${EXPORTS * SPANS_PER_EXPORT} acknowledged, one record of ${SPANS_PER_EXPORT} damaged`);
  assert.equal(Number(stored), (EXPORTS - 1) * SPANS_PER_EXPORT, 'every span of the intact records, once');
  assert.equal(Number(traces), EXPORTS - 1);
  assert.equal(Number(lost), 0);

  const metrics = await fetchMetrics(second);
  assert.equal(metricValue(metrics, 'ducktrace_wal_corruptions_total'), 1);
  assert.equal(metricValue(metrics, 'ducktrace_wal_skipped_bytes_total'), offsets[victim + 1]! - offsets[victim]!);
  assert.match(second.stdout() + second.stderr(), new RegExp(`damaged at offset ${offsets[victim]}\\b.*CRC mismatch`));
  const kept = readdirSync(join(walDir, DAMAGED_DIR));
  assert.deepEqual(kept, [`${segment}.${offsets[victim]}-${offsets[victim + 1]}.damaged`]);
  assert.deepEqual(readFileSync(join(walDir, DAMAGED_DIR, kept[0]!)), data.subarray(offsets[victim], offsets[victim + 1]));
});
