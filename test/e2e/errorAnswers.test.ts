/**
 * Error answers never carry ducktrace's generated SQL, file paths or stack traces (issue 20, point 16):
 * a sweep of hostile parameters over every query endpoint (native, Jaeger classic, api_v3, SQL). A
 * value out of range is a 400 naming the parameter, found before any SQL runs where it can be; DuckDB's
 * own refusals (a regex RE2 rejects) keep only their first line; anything unexpected is a 500 whose
 * details stay in the server log. On /api/v1/sql, DuckDB's message about the user's own SQL is kept,
 * without paths the user did not write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeTrace, postOtlp, PROTOBUF, protobufRequest } from '../helpers/otlp.js';
import { removeTempDirs, startServer, waitForStored, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle;
let traceId: string;

before(async () => {
  server = await startServer();
  const spans = makeTrace(undefined, 3, 'leaks');
  traceId = spans[0]!.spanContext().traceId;
  assert.equal((await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF })).status, 200);
  await waitForStored(server.queryUrl);
});

after(async () => {
  await server.stop();
  removeTempDirs();
});

const HUGE_NS = '9999999999999999999';

/** Paths of GET requests with hostile parameters: answered, or refused with a 4xx, never a 5xx. */
const HOSTILE: string[] = [
  // native API
  '/api/v1/traces?minDuration=99999999h',
  '/api/v1/traces?maxDuration=99999999999999999999',
  '/api/v1/traces?spanMinDuration=1e400s',
  '/api/v1/traces?spanMaxDuration=99999999999h',
  `/api/v1/traces?start=${HUGE_NS}`,
  '/api/v1/traces?end=9999-12-31T00:00:00Z',
  '/api/v1/traces?start=0001-01-01T00:00:00Z',
  '/api/v1/traces?attr=http.route%3D~(unclosed',
  '/api/v1/traces?attr=%27%3B%20DROP%20TABLE%20spans%3B--%3D1',
  '/api/v1/traces?cursor=%27%20OR%201%3D1--',
  '/api/v1/traces?limit=99999999999',
  '/api/v1/traces/%27%20OR%201%3D1--',
  '/api/v1/latency?service=leaks&step=99999999h',
  '/api/v1/latency?service=leaks&percentiles=2',
  `/api/v1/latency?service=leaks&end=${HUGE_NS}`,
  `/api/v1/dependencies?start=${HUGE_NS}`,
  `/api/v1/services?end=${HUGE_NS}`,
  '/api/v1/services/leaks/operations?kind=%27%3B--',
  // Jaeger classic API
  '/api/traces?service=leaks&minDuration=99999999h',
  '/api/traces?service=leaks&maxDuration=99999999h',
  `/api/traces?service=leaks&start=9999999999999999&end=9999999999999999`,
  '/api/traces?service=leaks&lookback=99999d',
  '/api/traces?service=leaks&tags=%7Bnot%20json',
  '/api/traces?service=leaks&tags=%7B%22http.route%22%3A%22%27%3B--%22%7D&limit=-1',
  '/api/dependencies?endTs=9999999999999&lookback=9999999999999',
  `/api/metrics/latencies?service=leaks&endTs=9999999999999&lookback=1000&step=1000&quantile=0.95`,
  `/api/metrics/calls?service=leaks&endTs=${Date.now()}&lookback=99999999999&step=1`,
  // api_v3
  '/api/v3/traces?query.service_name=leaks&query.start_time_min=9999-01-01T00:00:00Z&query.start_time_max=9999-01-02T00:00:00Z',
  `/api/v3/traces?query.service_name=leaks&query.start_time_min=2024-01-01T00:00:00Z&query.start_time_max=2024-01-02T00:00:00Z&query.duration_min=99999999h`,
  `/api/v3/traces/%27--?start_time=9999-01-01T00:00:00Z`,
  `/api/v3/trace-summaries?query.service_name=leaks&query.start_time_min=0001-01-01T00:00:00Z&query.start_time_max=2024-01-02T00:00:00Z`,
  `/api/v3/operations?service=leaks&span_kind=%27--`,
];

/** SQL the user sends that DuckDB refuses; its message may quote the user's SQL, never a path the user did not write. */
const HOSTILE_SQL: string[] = [
  'SELECT * FROM nowhere',
  'SELECT nope FROM spans',
  "SELECT * FROM read_csv('x.csv')",
  'SELECT 1::INT / 0::INT, CAST(99999999999999999999 AS BIGINT)',
  "SELECT regexp_matches(name, '(') FROM spans",
  'SELEC 1',
];

/** What an answer must not hold. */
function assertClean(what: string, status: number, text: string, allowSql: boolean): void {
  assert.ok(status < 500, `${what} → ${status} ${text}`);
  for (const leak of [server.dataDir, '/tmp/', '/work/', 'node_modules', '.duckdb', '.ts:']) assert.ok(!text.includes(leak), `${what}: the answer holds "${leak}": ${text}`);
  assert.doesNotMatch(text, /\n\s+at |\\n\s*at [\w.<]+ \(/, `${what}: a stack trace in ${text}`);
  if (!allowSql) {
    assert.doesNotMatch(text, /\bSELECT\b|\bFROM spans\b|\bWHERE\b|LINE \d+:|trace_summaries|make_timestamp/i, `${what}: SQL in ${text}`);
  }
}

describe('hostile query parameters are answered without SQL, paths or stack traces', () => {
  for (const path of HOSTILE) {
    test(`GET ${decodeURIComponent(path)}`, async () => {
      const response = await fetch(`${server.queryUrl}${path}`);
      assertClean(path, response.status, await response.text(), false);
    });
  }

  test('a duration too large for storage is a 400 from parameter validation, naming the parameter', async () => {
    const response = await fetch(`${server.queryUrl}/api/v1/traces?minDuration=99999999h`);
    assert.equal(response.status, 400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'invalid_argument');
    assert.match(body.error.message, /^parameter "minDuration": "99999999h" is too large/);
  });

  for (const sql of HOSTILE_SQL) {
    test(`POST /api/v1/sql ${sql}`, async () => {
      const response = await fetch(`${server.queryUrl}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
      assertClean(sql, response.status, await response.text(), true);
    });
  }

  test('the stored trace is still answered', async () => {
    const response = await fetch(`${server.queryUrl}/api/v1/traces/${traceId}`);
    assert.equal(response.status, 200);
  });
});
