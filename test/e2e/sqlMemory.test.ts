/**
 * One read-only SQL request must not kill storage (issue 20, point 4). Two loops of a statement that
 * builds a string of 2 GB, sent to POST /api/v1/sql while spans are exported, used to take the memory
 * DuckDB needed to write: batches that ran out of memory were written again although DuckDB had
 * committed them (spans stored twice), and a checkpoint that found no memory invalidated the database
 * (every write and query a 500 until a restart, /readyz still ready). Now the statement is interrupted
 * with a 400 once DuckDB's memory passes the share SQL may take, storage keeps writing, and every
 * acknowledged span is stored exactly once, before and after a restart.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { SEGMENT_HEADER_BYTES } from '../../collector/wal/writeAheadLog.js';
import { makeTrace, postOtlp, PROTOBUF, protobufRequest } from '../helpers/otlp.js';
import { fetchMetrics, metricValue, removeTempDirs, sqlRows, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';

const HOG = "SELECT length(string_agg(repeat(chr(65+(i%26)::INT),1000),'')) FROM range(2000000) t(i)";
const ROUNDS = 12;

const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

/** Waits until the replay after a restart has released every record: only the fresh, empty segment is left. */
async function waitForReplayed(server: ServerHandle): Promise<void> {
  await waitFor(
    async () => {
      const text = await fetchMetrics(server);
      return metricValue(text, 'ducktrace_wal_disk_bytes') === SEGMENT_HEADER_BYTES && metricValue(text, 'ducktrace_writer_queue_spans') === 0 ? true : undefined;
    },
    'the write-ahead log replay to store and release every record',
    60_000,
    50,
  );
}

/** Every span stored once, and as many as were acknowledged. */
async function assertStoredOnce(server: ServerHandle, acknowledged: number): Promise<void> {
  assert.deepEqual(await sqlRows(server, 'SELECT trace_id, span_id, count(*) FROM spans GROUP BY ALL HAVING count(*) > 1 LIMIT 5'), [], 'spans stored more than once');
  assert.deepEqual(await sqlRows(server, 'SELECT count(*) FROM spans'), [[String(acknowledged)]]);
}

test('two loops of a 2 GB string_agg on /api/v1/sql while spans are exported: 400s for the statement, storage keeps writing, each span stored once', async () => {
  const env = { DUCKTRACE_STORAGE_MEMORY_MB: '512', DUCKTRACE_WRITER_CONNECTIONS: '1' };
  const server = await startServer({ env });
  servers.push(server);

  let exporting = true;
  let acknowledged = 0;
  const exportStatuses = new Map<number, number>();
  const exporter = (async () => {
    while (exporting) {
      const spans = Array.from({ length: 10 }, () => makeTrace(undefined, 50, 'sql-memory')).flat();
      const result = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
      exportStatuses.set(result.status, (exportStatuses.get(result.status) ?? 0) + 1);
      if (result.status === 200) acknowledged += spans.length;
    }
  })();

  const answers: Array<{ status: number; code: string; message: string }> = [];
  const hogLoop = async (): Promise<void> => {
    for (let round = 0; round < ROUNDS; round++) {
      const response = await fetch(`${server.queryUrl}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: HOG }) });
      const body = (await response.json()) as { error?: { code: string; message: string } };
      answers.push({ status: response.status, code: body.error?.code ?? '', message: body.error?.message ?? '' });
    }
  };
  await Promise.all([hogLoop(), hogLoop()]);
  exporting = false;
  await exporter;

  for (const answer of answers) {
    assert.equal(answer.status, 400, `the statement is refused as too large, never a server error: ${JSON.stringify(answer)}`);
    assert.equal(answer.code, 'query_memory', JSON.stringify(answer));
    assert.match(answer.message, /memory/);
  }
  assert.ok(acknowledged > 0, 'exports went through');
  for (const status of exportStatuses.keys()) assert.ok([200, 429, 503].includes(status), `exports answered ${[...exportStatuses].join(', ')}`);

  assert.equal((await fetch(`${server.queryUrl}/readyz`)).status, 200);
  await waitForStored(server.queryUrl, 30_000);
  await assertStoredOnce(server, acknowledged);
  // Storage still writes and answers.
  assert.equal((await postOtlp(server.otlpHttpUrl, protobufRequest(makeTrace(undefined, 9, 'sql-memory')), { contentType: PROTOBUF })).status, 200);
  acknowledged += 10;
  await waitForStored(server.queryUrl, 10_000);

  // The write-ahead log replays what it still holds; nothing committed before is stored again.
  await server.stop('SIGKILL');
  const restarted = await startServer({ dataDir: server.dataDir, env });
  servers.push(restarted);
  await waitForReplayed(restarted);
  await assertStoredOnce(restarted, acknowledged);
  assert.equal((await restarted.stop()).code, 0);
});
