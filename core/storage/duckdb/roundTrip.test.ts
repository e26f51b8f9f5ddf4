/** Span rows survive DuckDB unchanged: every field, every attribute type. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { makeHandBuiltSpan, makeSdkSpans } from '../../../test/fixtures/sdkSpans.js';
import { hex, request, span } from '../../../test/fixtures/protobufWriter.js';
import { decodeExportTraceRequestJson } from '../../otlp/decodeJson.js';
import { decodeExportTraceRequestProtobuf } from '../../otlp/decodeProtobuf.js';
import { DEFAULT_SPAN_LIMITS } from '../../otlp/limits.js';
import { MIGRATIONS, SCHEMA_VERSION, SEARCH_ATTRIBUTE_COLUMNS, SPAN_COLUMN_NAMES, SUMMARY_ROOT_RANK, traceKey, traceKeySql } from '../schema.js';
import { spanKey } from '../types.js';
import { SPAN_KIND_CLIENT, STATUS_CODE_ERROR, type SpanRow } from '../../model/span.js';
import { generateTraces, spanRow } from '../../../test/fixtures/generatedTraces.js';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DATABASE_FILE, Database } from './database.js';
import { DuckDBTraceReader } from './spanReader.js';
import { DuckDBTraceWriter } from './spanWriter.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/**
 * Runs `downgrade` to leave the database as an older version did, closes it, reopens it (which runs the
 * upgrade) and returns the rows of `query`.
 */
async function rowsAfterUpgrade(dir: string, db: Database, connection: DuckDBConnection, downgrade: string[], query: string): Promise<Record<string, unknown>[]> {
  for (const statement of downgrade) await connection.run(statement);
  connection.closeSync();
  db.close();
  const upgraded = await Database.open(dir);
  const reopened = await upgraded.connect();
  try {
    return (await reopened.runAndReadAll(query)).getRowObjectsJS();
  } finally {
    reopened.closeSync();
    upgraded.close();
  }
}

test('every span field and attribute type round-trips through DuckDB', async () => {
  const spans = [...(await makeSdkSpans()), makeHandBuiltSpan()];
  const rows = decodeExportTraceRequestProtobuf(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!), DEFAULT_SPAN_LIMITS).spans;
  const edge = decodeExportTraceRequestProtobuf(
    request([span([[9, [[1, 'max'], [2, [[3, 2n ** 63n - 1n]]]]], [9, [[1, 'nan'], [2, [[4, NaN, 'double']]]]], [4, hex('1111111111111111')]], '2222222222222222')]),
    DEFAULT_SPAN_LIMITS,
  ).spans;
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  const reader = await DuckDBTraceReader.create(db);
  await writer.append([...rows, ...edge]);
  for (const traceId of new Set([...rows, ...edge].map((r) => r.traceId))) {
    const expected = [...rows, ...edge].filter((r) => r.traceId === traceId).sort((a, b) => a.spanId.localeCompare(b.spanId));
    const stored = (await reader.getTraceSpans(traceId)).sort((a, b) => a.spanId.localeCompare(b.spanId));
    assert.deepEqual(stored, expected);
  }
  await writer.close();
  reader.close();
  db.close();
});

test('reads of different traces at once each return their own trace, whole', async () => {
  const rows = generateTraces(40, 1_700_000_000_000_000_000n, 1_000_000_000n);
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(rows);
  await writer.close();
  const reader = await DuckDBTraceReader.create(db);
  const traceIds = [...new Set(rows.map((r) => r.traceId))];
  const bySpanId = (a: SpanRow, b: SpanRow) => a.spanId.localeCompare(b.spanId);
  // All started together, none waiting for another: one trace each, then pairs, through the same statements.
  const reads = await Promise.all([
    ...traceIds.map((id) => reader.getTraceSpans(id).then((spans) => ({ ids: [id], spans }))),
    ...traceIds.slice(1).map((id, i) =>
      reader.getTracesSpans([traceIds[i]!, id]).then((byTrace) => ({ ids: [traceIds[i]!, id], spans: [...byTrace.values()].flat() })),
    ),
  ]);
  for (const { ids, spans } of reads) {
    assert.deepEqual(spans.sort(bySpanId), rows.filter((r) => ids.includes(r.traceId)).sort(bySpanId), `the read of ${ids.join(' and ')}`);
  }
  // Reads of 1 to 40 traces take more statements than the reader keeps, so the oldest are let go.
  for (let n = 1; n <= traceIds.length; n++) {
    const byTrace = await reader.getTracesSpans(traceIds.slice(0, n));
    assert.equal([...byTrace.values()].flat().length, rows.filter((r) => traceIds.slice(0, n).includes(r.traceId)).length, `the read of ${n} traces`);
  }
  reader.close();
  db.close();
});

test('migrations run once; reopening a data directory keeps its spans and schema version', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const rows = decodeExportTraceRequestProtobuf(request([span()]), DEFAULT_SPAN_LIMITS).spans;
  const first = await Database.open(dir);
  const writer = await DuckDBTraceWriter.create(first);
  await writer.append(rows);
  await writer.close();
  first.close();

  const second = await Database.open(dir);
  assert.equal(await second.migrate(), SCHEMA_VERSION);
  const reader = await DuckDBTraceReader.create(second);
  assert.deepEqual(await reader.getTraceSpans(rows[0]!.traceId), rows);
  reader.close();
  second.close();
});

/** Writes the rows of one trace through the writer and asserts that the reader returns them as they were. */
async function assertWrittenAndReadBack(db: Database, rows: SpanRow[]): Promise<void> {
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(rows);
  await writer.close();
  const reader = await DuckDBTraceReader.create(db);
  assert.deepEqual(await reader.getTraceSpans(rows[0]!.traceId), rows);
  reader.close();
}

/** The storage format DuckDB tags the main file with. */
async function storageVersion(db: Database): Promise<string> {
  const connection = await db.connect();
  const rows = (await connection.runAndReadAll("SELECT tags FROM duckdb_databases() WHERE path IS NOT NULL AND NOT internal")).getRowObjectsJson();
  connection.closeSync();
  const tags = rows[0]!.tags as Array<{ key: string; value: string }>;
  return tags.find((tag) => tag.key === 'storage_version')!.value;
}

test('a new data directory gets the v1.5 storage format (strings in FSST-compressed dictionaries); a file in the older default format keeps its own and takes spans', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const created = await Database.open(dir);
  assert.equal(await storageVersion(created), 'v1.5.0+');
  const writer = await DuckDBTraceWriter.create(created);
  await writer.append(generateTraces(300, 1_700_000_000_000_000_000n, 1_000_000n));
  await writer.close();
  await created.checkpoint();
  const connection = await created.connect();
  const compressions = (await connection.runAndReadAll("SELECT DISTINCT compression FROM pragma_storage_info('spans') WHERE segment_type = 'VARCHAR'")).getRowObjects().map((r) => String(r.compression));
  connection.closeSync();
  created.close();
  assert.ok(compressions.includes('DICT_FSST'), `string compressions: ${compressions.join(', ')}`);

  const olderDir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(olderDir);
  (await DuckDBInstance.create(join(olderDir, DATABASE_FILE))).closeSync();
  const older = await Database.open(olderDir);
  assert.equal(await storageVersion(older), 'v1.0.0+');
  const rows = decodeExportTraceRequestProtobuf(request([span()]), DEFAULT_SPAN_LIMITS).spans;
  await assertWrittenAndReadBack(older, rows);
  older.close();
});

test('after every migration the table has exactly the columns of SPAN_COLUMNS, then the search columns, in order', async () => {
  const db = await Database.open(null);
  const connection = await db.connect();
  const described = (await connection.runAndReadAll('DESCRIBE spans')).getRowObjects().map((r) => String(r.column_name));
  assert.deepEqual(described, [...SPAN_COLUMN_NAMES, ...SEARCH_ATTRIBUTE_COLUMNS.map((c) => c.name)]);
  connection.closeSync();
  db.close();
});

test('a database from before a later migration is upgraded in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const rows = decodeExportTraceRequestProtobuf(request([span()]), DEFAULT_SPAN_LIMITS).spans;
  // Build the version-3 schema by hand, as an older ducktrace left it.
  const old = await DuckDBInstance.create(join(dir, DATABASE_FILE));
  const connection = await old.connect();
  await connection.run('CREATE TABLE schema_version (version INTEGER NOT NULL, description VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
  for (const migration of MIGRATIONS.filter((m) => m.version <= 3)) {
    for (const statement of migration.statements) await connection.run(statement);
    await connection.run('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
  }
  connection.closeSync();
  old.closeSync();
  const v3 = await Database.open(dir);
  assert.equal(await v3.migrate(), SCHEMA_VERSION);
  await assertWrittenAndReadBack(v3, rows);
  v3.close();
});

test('the search columns the writer fills equal what the upgrade computes from the stored maps', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const rows = generateTraces(30, 1_800_000_000_000_000_000n, 1_000_000_000n).map((row, i) =>
    // Some spans also carry well-known keys on their resource, which counts only where the span lacks them.
    i % 3 === 0 ? { ...row, resourceAttributes: { keys: [...row.resourceAttributes.keys, 'http.route', 'error.type'], values: [...row.resourceAttributes.values, '/r', 'timeout'], types: `${row.resourceAttributes.types}ss` } } : row,
  );
  const db = await Database.open(dir);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(rows);
  await writer.close();
  const columns = SEARCH_ATTRIBUTE_COLUMNS.map((c) => c.name).join(', ');
  const values = `SELECT trace_id, span_id, ${columns} FROM spans ORDER BY trace_id, span_id`;
  const connection = await db.connect();
  const written = (await connection.runAndReadAll(values)).getRowObjectsJS();
  const counts = (await connection.runAndReadAll(`SELECT ${SEARCH_ATTRIBUTE_COLUMNS.map((c) => `count(${c.name})::INTEGER AS "${c.key}"`).join(', ')} FROM spans`)).getRowObjectsJS()[0]!;
  assert.ok(['http.route', 'http.response.status_code', 'db.system.name', 'error.type'].every((key) => Number(counts[key]) > 0), JSON.stringify(counts));
  // As a version-7 database left it: no search columns.
  const downgrade = [...SEARCH_ATTRIBUTE_COLUMNS.map((c) => `ALTER TABLE spans DROP COLUMN ${c.name}`), 'DELETE FROM schema_version WHERE version >= 8'];
  assert.deepEqual(await rowsAfterUpgrade(dir, db, connection, downgrade, values), written);
});

test('the trace key the reader looks up is the one the writer and the upgrade compute in SQL', async () => {
  const db = await Database.open(null);
  const connection = await db.connect();
  for (const id of ['4bf92f3577b34da6a3ce929d0e0e4736', `${'0'.repeat(16)}ffffffffffffffff`, 'A'.repeat(32), `${'1'.repeat(16)}not-hex-digits!!`, 'short']) {
    const [row] = (await connection.runAndReadAll(`SELECT ${traceKeySql('$1')}::VARCHAR AS key`, [id])).getRowObjectsJS();
    assert.equal(row!.key, traceKey(id).toString(), id);
  }
  connection.closeSync();
  db.close();
});

test('with batches written on several connections at once, the writer checkpoints every checkpointSpans spans: the rows leave the memory and WAL of DuckDB for the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const db = await Database.open(dir);
  const rows = generateTraces(200, 1_800_000_000_000_000_000n, 1_000_000_000n);
  const maintenance: string[] = [];
  const writer = await DuckDBTraceWriter.create(db, { connections: 3, checkpointSpans: rows.length, onMaintenance: (operation) => maintenance.push(operation) });
  const connection = await db.connect();
  const duckdbWalBytes = () => (existsSync(`${join(dir, DATABASE_FILE)}.wal`) ? statSync(`${join(dir, DATABASE_FILE)}.wal`).size : 0);
  const inMemoryBytes = async () =>
    Number((await connection.runAndReadAll("SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT AS b FROM duckdb_memory() WHERE tag = 'IN_MEMORY_TABLE'")).getRowObjectsJS()[0]!.b);
  const write = (part: SpanRow[]) => Promise.all(Array.from({ length: Math.ceil(part.length / 50) }, (_, i) => writer.append(part.slice(i * 50, i * 50 + 50))));
  await write(rows.slice(0, -10));
  assert.ok(duckdbWalBytes() > 0 && (await inMemoryBytes()) > 0, 'below the mark, the rows are still in DuckDB\'s WAL and memory');
  assert.deepEqual(maintenance, []);
  // The batch that reaches the mark, alone so that no batch commits after the checkpoint.
  await writer.append(rows.slice(-10));
  assert.deepEqual(maintenance, ['checkpoint'], 'the checkpoint is reported, for its time');
  assert.equal(duckdbWalBytes(), 0);
  assert.equal(await inMemoryBytes(), 0);
  assert.equal((await connection.runAndReadAll('SELECT count(*)::INTEGER AS n FROM spans')).getRowObjectsJS()[0]!.n, rows.length);
  connection.closeSync();
  await writer.close();
  db.close();
});

test('batches on every connection that together run DuckDB out of memory are all stored: each that fails is written again alone', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  // 64 MB holds one batch of 20,000 of these spans being written, not four at once.
  const db = await Database.open(dir, 64);
  const rows = generateTraces(24_000, 1_800_000_000_000_000_000n, 1_000_000n);
  const maintenance: string[] = [];
  const writer = await DuckDBTraceWriter.create(db, { connections: 4, onMaintenance: (operation) => maintenance.push(operation) });
  const size = Math.ceil(rows.length / 4);
  const batches = Array.from({ length: 4 }, (_, i) => rows.slice(i * size, (i + 1) * size));
  const results = await Promise.allSettled(batches.map((batch) => writer.append(batch)));
  assert.deepEqual(
    results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason).slice(0, 200)),
    [],
  );
  assert.ok(maintenance.includes('write_alone'), 'at least one batch ran out of memory beside the others and was written alone');
  const connection = await db.connect();
  const count = async (sql: string) => Number((await connection.runAndReadAll(sql)).getRowObjectsJS()[0]!.n);
  assert.equal(await count('SELECT count(*) AS n FROM spans'), rows.length);
  assert.equal(await count('SELECT count(DISTINCT span_id) AS n FROM spans'), rows.length, 'no span stored twice');
  assert.equal(await count('SELECT sum(span_count)::BIGINT AS n FROM trace_summaries'), rows.length, 'the summaries count each span once');
  connection.closeSync();
  await writer.close();
  db.close();
});

test('the keys of the spans already stored, for replaying the write-ahead log without duplicates', async () => {
  const rows = decodeExportTraceRequestProtobuf(request([span([], '0000000000000001'), span([], '0000000000000002')]), DEFAULT_SPAN_LIMITS).spans;
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(rows.slice(0, 1));
  await writer.close();
  const reader = await DuckDBTraceReader.create(db);
  assert.deepEqual(await reader.storedSpanKeys([rows[0]!.traceId, 'a'.repeat(32)]), new Set([spanKey(rows[0]!.traceId, '0000000000000001')]));
  assert.deepEqual(await reader.storedSpanKeys([]), new Set());
  reader.close();
  db.close();
});

test('text of any kind round-trips: quotes, backslashes, control characters, NUL, emoji; a lone surrogate from OTLP/JSON is stored as U+FFFD', async () => {
  const tricky = ['say "hi"', 'C:\\path\\n', 'a literal \\ud800 and \\\\ud800 stays', 'line\nbreak\ttab\r', 'nul\u0000inside', '🦆 ducks 漢字', '\u2028\u2029', ''];
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: tricky[4] } }] },
        scopeSpans: [
          {
            scope: { name: tricky[0] },
            spans: [
              {
                traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
                spanId: '00f067aa0ba902b7',
                name: 'lone \ud800 surrogate',
                startTimeUnixNano: '1700000000000000000',
                endTimeUnixNano: '1700000000000001000',
                attributes: tricky.map((value, i) => ({ key: `k${i}`, value: { stringValue: value } })),
                events: [{ timeUnixNano: '1700000000000000500', name: tricky[2], attributes: [{ key: tricky[3], value: { stringValue: tricky[1] } }] }],
                status: { code: 2, message: tricky[5] },
              },
            ],
          },
        ],
      },
    ],
  };
  // JSON.stringify keeps the lone surrogate as the escape \ud800, as a client could send it.
  const [row] = decodeExportTraceRequestJson(Buffer.from(JSON.stringify(body)), DEFAULT_SPAN_LIMITS).spans;
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  const reader = await DuckDBTraceReader.create(db);
  await writer.append([row!]);
  const [stored] = await reader.getTraceSpans(row!.traceId);
  assert.equal(stored!.name, 'lone \ufffd surrogate');
  assert.deepEqual(stored, { ...row!, name: 'lone \ufffd surrogate' });
  await writer.close();
  reader.close();
  db.close();
});

test('a trace written in batches an hour apart is read whole, and the upgrade to trace_summaries summarizes stored spans as the writer does', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const [early, late] = decodeExportTraceRequestProtobuf(request([span([], '0000000000000001'), span([], '0000000000000002')]), DEFAULT_SPAN_LIMITS).spans;
  const lateRow = { ...late!, startTimeUnixNano: early!.startTimeUnixNano + 3_600_000_000_000n, statusCode: STATUS_CODE_ERROR };
  const other = { ...early!, traceId: 'a'.repeat(32) };
  const child = { ...early!, traceId: 'a'.repeat(32), spanId: '0000000000000009', parentSpanId: '0000000000000001', serviceName: 'child', durationNs: 10n ** 12n };
  let db = await Database.open(dir);
  const writer = await DuckDBTraceWriter.create(db, { connections: 2 });
  await Promise.all([writer.append([early!]), writer.append([lateRow, child, other])]);
  await writer.close();
  let reader = await DuckDBTraceReader.create(db);
  assert.deepEqual((await reader.getTraceSpans(early!.traceId)).map((r) => r.spanId), ['0000000000000001', '0000000000000002']);
  assert.deepEqual([...(await reader.storedSpanKeys([early!.traceId, other.traceId]))].sort(), [spanKey(early!.traceId, '0000000000000001'), spanKey(early!.traceId, '0000000000000002'), spanKey(other.traceId, '0000000000000001'), spanKey(other.traceId, '0000000000000009')].sort());
  assert.deepEqual(await reader.getTraceSpans('b'.repeat(32)), []);
  reader.close();
  // Per trace, what search reads from trace_summaries: written by the writer, then rebuilt from spans by the upgrade.
  const perTrace = `SELECT trace_id, min(start_min)::VARCHAR AS start_min, max(start_max)::VARCHAR AS start_max, max(end_max)::VARCHAR AS end_max,
    sum(span_count)::INTEGER AS spans, sum(error_count)::INTEGER AS errors, bool_or(has_root) AS has_root,
    arg_min(root_service, ${SUMMARY_ROOT_RANK}) AS root_service, arg_min(root_operation, ${SUMMARY_ROOT_RANK}) AS root_operation,
    list(DISTINCT trace_key)::VARCHAR AS trace_keys
    FROM trace_summaries GROUP BY trace_id ORDER BY trace_id`;
  let connection = await db.connect();
  const written = (await connection.runAndReadAll(perTrace)).getRowObjectsJS();
  assert.equal(written.length, 2);
  assert.deepEqual(
    written.map((r) => [r.spans, r.errors, r.has_root, r.root_service, r.trace_keys]),
    [
      [2, 1, true, early!.serviceName, `[${traceKey(early!.traceId)}]`],
      [2, 0, true, other.serviceName, `[${traceKey(other.traceId)}]`],
    ],
  );
  // As a version-5 database left it: spans and trace_bounds, no trace_summaries or service_calls.
  await connection.run('DROP TABLE trace_summaries');
  await connection.run('DROP TABLE service_calls');
  await connection.run('CREATE TABLE trace_bounds (trace_id VARCHAR NOT NULL, start_min TIMESTAMP_NS NOT NULL, start_max TIMESTAMP_NS NOT NULL)');
  await connection.run('DELETE FROM schema_version WHERE version >= 6');
  connection.closeSync();
  db.close();
  db = await Database.open(dir);
  reader = await DuckDBTraceReader.create(db);
  assert.equal((await reader.getTraceSpans(early!.traceId)).length, 2, 'the upgrade fills trace_summaries from the stored spans');
  connection = await db.connect();
  assert.deepEqual((await connection.runAndReadAll(perTrace)).getRowObjectsJS(), written);
  assert.equal((await connection.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE table_name = 'trace_bounds'")).getRowObjectsJS()[0]!.n, 0);
  connection.closeSync();
  reader.close();
  db.close();
});

test('the dependency graph written as batches arrive, in any order, equals the one the upgrade rebuilds from the stored spans', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-db-'));
  dirs.push(dir);
  const start = 1_800_000_000_000_000_000n;
  const rows = generateTraces(120, start, 1_000_000_000n);
  // api calls auth through a CLIENT span naming its peer: counted as a peer call when auth comes later, then withdrawn.
  for (let t = 0; t < 40; t++) {
    const traceId = (t + 1).toString(16).padStart(32, '0');
    const client = spanRow({ traceId, spanId: 'c'.repeat(15) + (t % 10), parentSpanId: '', serviceName: 'api', name: 'call auth', kind: SPAN_KIND_CLIENT, startTimeUnixNano: start + BigInt(t) * 1_000_000_000n, durationNs: 900n + BigInt(t), attributes: { keys: ['peer.service'], values: ['auth'], types: 's' } });
    const callee = spanRow({ traceId, spanId: 'd'.repeat(15) + (t % 10), parentSpanId: client.spanId, serviceName: 'auth', name: 'check', startTimeUnixNano: client.startTimeUnixNano + 10n, durationNs: 800n, sampleWeight: 2 });
    rows.push(client, ...(t % 4 === 0 ? [] : [callee]));
  }
  // One batch per service and second, as SDKs export them, written out of order.
  const batches = new Map<string, SpanRow[]>();
  for (const row of rows) {
    const key = `${row.serviceName}/${row.startTimeUnixNano / 1_000_000_000n}`;
    batches.set(key, [...(batches.get(key) ?? []), row]);
  }
  const ordered = [...batches.values()].sort((a, b) => (a[0]!.serviceName === 'auth' ? 1 : 0) - (b[0]!.serviceName === 'auth' ? 1 : 0) || Number(b[0]!.startTimeUnixNano - a[0]!.startTimeUnixNano));
  const db = await Database.open(dir);
  // Appended every 20 batches and compacted whenever the appended rows outnumber the compacted ones;
  // closing sums every minute into one row per minute, edge and bucket.
  let compactions = 0;
  const writer = await DuckDBTraceWriter.create(db, { connections: 2, minCompactionCalls: 1, onMaintenance: (operation) => (compactions += operation === 'compaction' ? 1 : 0) });
  for (const [i, batch] of ordered.entries()) {
    await writer.append(batch);
    if (i % 20 === 19) await writer.flushCalls();
  }
  await writer.close();
  assert.ok(compactions > 1, `compactions are reported, for their time (${compactions})`);
  const graph = `SELECT start_minute::VARCHAR AS minute, caller, callee, callee_is_peer, duration_bucket, round(sum(calls), 6) AS calls, round(sum(errors), 6) AS errors, round(sum(duration_sum)) AS duration_sum
    FROM service_calls GROUP BY ALL HAVING abs(sum(calls)) > 1e-9 ORDER BY ALL`;
  const connection = await db.connect();
  const written = (await connection.runAndReadAll(graph)).getRowObjectsJS();
  assert.deepEqual([...new Set(written.map((r) => `${r.caller}>${r.callee}${r.callee_is_peer ? ' (peer)' : ''}`))].sort(), ['api>auth', 'api>auth (peer)', 'api>postgresql (peer)', 'gateway>api']);
  const keys = 'start_minute, caller, callee, callee_is_peer, duration_bucket';
  assert.deepEqual((await connection.runAndReadAll(`SELECT count(*) = count(DISTINCT (${keys})) AS one_row_each FROM service_calls`)).getRowObjectsJS(), [{ one_row_each: true }]);
  const downgrade = ['DELETE FROM service_calls', 'DROP TABLE service_calls', 'DELETE FROM schema_version WHERE version >= 7'];
  assert.deepEqual(await rowsAfterUpgrade(dir, db, connection, downgrade, graph), written);
});

test('a trace reads back ordered by start time, then span id, whatever order its batches were written in', async () => {
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  const at = (spanId: string, startTimeUnixNano: bigint) => spanRow({ traceId: 'c'.repeat(32), spanId, serviceName: 's', name: 'n', startTimeUnixNano, durationNs: 5n });
  const start = 1_800_000_000_000_000_000n;
  await writer.append([at('000000000000000c', start + 2n)]);
  await writer.append([at('000000000000000b', start), at('000000000000000a', start), at('000000000000000d', start + 1n)]);
  await writer.close();
  const reader = await DuckDBTraceReader.create(db);
  assert.deepEqual((await reader.getTraceSpans('c'.repeat(32))).map((r) => r.spanId.slice(-1)), ['a', 'b', 'd', 'c']);
  reader.close();
  db.close();
});

test('a flush appends the sums; the dependency graph counts each call once before and after the rows are compacted', async () => {
  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  const start = 1_800_000_000_000_000_000n;
  const call = (n: number) => [
    spanRow({ traceId: n.toString(16).padStart(32, '0'), spanId: 'a'.repeat(16), serviceName: 'web', name: 'GET', startTimeUnixNano: start, durationNs: 2000n }),
    spanRow({ traceId: n.toString(16).padStart(32, '0'), spanId: 'b'.repeat(16), parentSpanId: 'a'.repeat(16), serviceName: 'api', name: 'get', startTimeUnixNano: start + 1n, durationNs: 1000n }),
  ];
  const connection = await db.connect();
  const rows = async () => Number((await connection.runAndReadAll('SELECT count(*) AS n FROM service_calls')).getRowObjectsJS()[0]!.n);
  const calls = async () => Number((await connection.runAndReadAll('SELECT sum(calls) AS n FROM service_calls')).getRowObjectsJS()[0]!.n);
  for (let n = 1; n <= 3; n++) {
    await writer.append(call(n));
    await writer.flushCalls();
  }
  assert.deepEqual([await rows(), await calls()], [3, 3], 'three flushes of the same minute, edge and bucket: three rows, three calls');
  await writer.close();
  assert.deepEqual([await rows(), await calls()], [1, 3], 'closing compacts them into one row');
  connection.closeSync();
  db.close();
});
