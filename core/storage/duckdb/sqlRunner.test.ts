/**
 * The SQL runner against real (in-memory) DuckDB: answers, row cap, time limit, parameters, and the
 * layers that hold without any guard (statement type, read-only transaction, instance lock-down).
 * The guard's function rules are tested in query/services/sqlGuard.test.ts.
 */
import assert from 'node:assert/strict';
import { spanRow } from '../../../test/fixtures/generatedTraces.js';
import { after, before, describe, test } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Attributes, SpanRow } from '../../model/span.js';
import { DucktraceError } from '../../errors.js';
import { Database } from './database.js';
import { DuckDBTraceWriter } from './spanWriter.js';
import { DuckDBSqlRunner, type SqlAnswer, type SqlRequest, type SqlStatementGuard } from './sqlRunner.js';

/** Lets every text through, so that the runner's own layers are tested alone. */
const allowEverything: SqlStatementGuard = async () => 'query';

function attrs(entries: Array<[string, string, string]>): Attributes {
  return { keys: entries.map((e) => e[0]), values: entries.map((e) => e[1]), types: entries.map((e) => e[2]).join('') };
}

const NONE: Attributes = { keys: [], values: [], types: '' };

function testSpan(i: number, extra: Partial<SpanRow> = {}): SpanRow {
  return spanRow({
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op-${i % 3}`,
    serviceName: i % 2 === 0 ? 'checkout' : 'cart',
    startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    durationNs: 5_000_000_000n + BigInt(i),
    statusCode: i % 5 === 0 ? 2 : 0,
    attributes: attrs([
      ['http.route', `/r${i % 4}`, 's'],
      ['http.response.status_code', i % 5 === 0 ? '500' : '200', 'i'],
      ['cache.hit', i % 2 === 0 ? 'true' : 'false', 'b'],
      ['ratio', '0.25', 'd'],
      ['big', '9007199254740993', 'i'],
      ['tags', '[{"stringValue":"a"}]', 'a'],
    ]),
    resourceAttributes: attrs([['service.name', i % 2 === 0 ? 'checkout' : 'cart', 's'], ['host.cpus', '8', 'i']]),
    ...extra,
  });
}

const SPAN_COUNT = 20;

let db: Database;
let raw: DuckDBConnection;
let runner: DuckDBSqlRunner;

before(async () => {
  db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(Array.from({ length: SPAN_COUNT }, (_, i) => testSpan(i)));
  await writer.close();
  raw = await db.connect();
  runner = new DuckDBSqlRunner(db, { timeoutMs: 5_000, maxRows: 1_000, guard: allowEverything });
});

after(() => {
  runner.close();
  raw.closeSync();
  db.close();
});

async function refused(request: SqlRequest | string, pattern: RegExp, on: DuckDBSqlRunner = runner): Promise<DucktraceError> {
  const req = typeof request === 'string' ? { sql: request } : request;
  let answer: SqlAnswer | undefined;
  try {
    answer = await on.run(req);
  } catch (error) {
    assert.ok(error instanceof DucktraceError, `${req.sql}: expected a DucktraceError, got ${(error as Error).stack}`);
    assert.match(error.message, pattern, req.sql);
    return error;
  }
  assert.fail(`${req.sql}: expected a refusal matching ${pattern}, got ${JSON.stringify(answer)}`);
}

describe('answers', () => {
  test('columns with DuckDB types; BIGINT as a number when exact, timestamps as text, MAP as key/value pairs', async () => {
    const answer = await runner.run({
      sql: `SELECT span_id, duration_ns, flags, start_time, sample_weight, attributes, 12345678901234567890::UBIGINT AS u,
              2::HUGEINT ** 100 AS h, {'a': 1, 'b': [1, 2]} AS s, 'NaN'::DOUBLE AS nan
            FROM spans ORDER BY span_id LIMIT 1`,
    });
    assert.deepEqual(answer.columns, [
      { name: 'span_id', type: 'VARCHAR' },
      { name: 'duration_ns', type: 'BIGINT' },
      { name: 'flags', type: 'UINTEGER' },
      { name: 'start_time', type: 'TIMESTAMP_NS' },
      { name: 'sample_weight', type: 'DOUBLE' },
      { name: 'attributes', type: 'MAP(VARCHAR, VARCHAR)' },
      { name: 'u', type: 'UBIGINT' },
      { name: 'h', type: 'DOUBLE' },
      { name: 's', type: 'STRUCT("a" INTEGER, "b" INTEGER[])' },
      { name: 'nan', type: 'DOUBLE' },
    ]);
    const row = answer.rows[0]!;
    assert.equal(row[0], '0000000000000001');
    assert.equal(row[1], 5000000000);
    assert.equal(row[2], 1);
    assert.equal(row[3], '2023-11-14 22:13:20');
    assert.equal(row[4], 1);
    assert.deepEqual((row[5] as Array<{ key: string; value: string }>)[0], { key: 'http.route', value: '/r0' });
    assert.equal(row[6], '12345678901234567890');
    assert.deepEqual(row[8], { a: 1, b: [1, 2] });
    assert.equal(row[9], 'NaN');
    assert.equal(answer.truncated, false);
    assert.equal(typeof answer.elapsedMs, 'number');
  });

  test('wide integers and decimals are JSON numbers exactly when a number says the same value', async () => {
    const max = Number.MAX_SAFE_INTEGER;
    const answer = await runner.run({
      sql: `SELECT count(*) AS n, sum(duration_ns) AS total, ${max}::BIGINT AS top, ${max + 1}::BIGINT AS past, -${max}::HUGEINT AS low, -${max + 1}::HUGEINT AS below,
              ${max}::UBIGINT AS u, 1.50::DECIMAL(10,2) AS d, 0.1::DECIMAL(18,9) AS tenth, 0.0000001::DECIMAL(18,9) AS tiny,
              1234567890.12345678::DECIMAL(18,8) AS fine, 123456789012345678::DECIMAL(18,0) AS wide, [1::BIGINT, ${max + 2}::BIGINT] AS list,
              {'c': 7::BIGINT} AS struct
            FROM spans`,
    });
    assert.deepEqual(
      answer.columns.map((c) => c.type),
      ['BIGINT', 'HUGEINT', 'BIGINT', 'BIGINT', 'HUGEINT', 'HUGEINT', 'UBIGINT', 'DECIMAL(10,2)', 'DECIMAL(18,9)', 'DECIMAL(18,9)', 'DECIMAL(18,8)', 'DECIMAL(18,0)', 'BIGINT[]', 'STRUCT("c" BIGINT)'],
      'the type stays the one DuckDB gives',
    );
    const total = SPAN_COUNT * 5_000_000_000 + (SPAN_COUNT * (SPAN_COUNT - 1)) / 2;
    assert.deepEqual(answer.rows[0], [SPAN_COUNT, total, max, String(max + 1), -max, String(-(max + 1)), max, 1.5, 0.1, 1e-7, '1234567890.12345678', '123456789012345678', [1, String(max + 2)], { c: 7 }]);
  });

  test('HUGEINT and nanosecond timestamps keep every digit', async () => {
    const answer = await runner.run({ sql: "SELECT 170141183460469231731687303715884105727::HUGEINT AS h, '2024-01-02 03:04:05.123456789'::TIMESTAMP_NS AS t" });
    assert.deepEqual(answer.rows, [['170141183460469231731687303715884105727', '2024-01-02 03:04:05.123456789']]);
    assert.equal(answer.columns[0]!.type, 'HUGEINT');
  });

  test('span_attributes: one row per attribute with its type by name and typed columns', async () => {
    const answer = await runner.run({
      sql: `SELECT key, value, type, int_value, double_value, bool_value FROM span_attributes WHERE span_id = '0000000000000001' ORDER BY key`,
    });
    assert.deepEqual(answer.rows, [
      ['big', '9007199254740993', 'int', '9007199254740993', 9007199254740992, null],
      ['cache.hit', 'true', 'bool', null, null, true],
      ['http.response.status_code', '500', 'int', 500, 500, null],
      ['http.route', '/r0', 'string', null, null, null],
      ['ratio', '0.25', 'double', null, 0.25, null],
      ['tags', '[{"stringValue":"a"}]', 'array', null, null, null],
    ]);
    const counts = await runner.run({ sql: 'SELECT count(*), count(DISTINCT span_id), min(trace_id), min(service_name), min(name), min(start_time) FROM span_attributes' });
    assert.deepEqual(counts.rows, [[SPAN_COUNT * 6, SPAN_COUNT, '00000000000000000000000000000001', 'cart', 'op-0', '2023-11-14 22:13:20']]);
    const errors = await runner.run({ sql: "SELECT count(*) FROM span_attributes WHERE key = 'http.response.status_code' AND int_value >= 500" });
    assert.deepEqual(errors.rows, [[SPAN_COUNT / 5]]);
    const resource = await runner.run({ sql: "SELECT key, type, int_value FROM span_resource_attributes WHERE span_id = '0000000000000002' ORDER BY key" });
    assert.deepEqual(resource.rows, [['host.cpus', 'int', 8], ['service.name', 'string', null]]);
  });

  test('a span without attributes has no span_attributes rows', async () => {
    const other = await Database.open(null);
    const writer = await DuckDBTraceWriter.create(other);
    await writer.append([testSpan(0, { attributes: NONE }), testSpan(1, { attributes: attrs([['only', '', 'n']]) })]);
    await writer.close();
    const r = new DuckDBSqlRunner(other, { timeoutMs: 5_000, maxRows: 10, guard: allowEverything });
    const answer = await r.run({ sql: 'SELECT span_id, key, type FROM span_attributes' });
    assert.deepEqual(answer.rows, [['0000000000000002', 'only', 'empty']]);
    r.close();
    other.close();
  });

  test('DESCRIBE, SHOW, SUMMARIZE, FROM-first, VALUES, pragma_version() and EXPLAIN answer', async () => {
    for (const sql of ['DESCRIBE spans', 'SHOW TABLES', 'SUMMARIZE SELECT duration_ns FROM spans', 'FROM spans SELECT count(*)', 'SELECT * FROM pragma_version()', 'EXPLAIN SELECT * FROM spans', 'VALUES (1), (2)']) {
      const answer = await runner.run({ sql });
      assert.ok(answer.rows.length > 0, sql);
    }
    const tables = await runner.run({ sql: 'SHOW TABLES' });
    assert.deepEqual(tables.rows.map((r) => r[0]).sort(), ['attribute_values', 'attribute_values_from', 'schema_version', 'service_calls', 'span_attributes', 'span_resource_attributes', 'spans', 'trace_summaries']);
  });
});

describe('row cap', () => {
  test('limit cuts the answer and says truncated; the exact count is not truncated', async () => {
    const cut = await runner.run({ sql: 'SELECT * FROM range(100000)', limit: 10 });
    assert.equal(cut.rows.length, 10);
    assert.equal(cut.truncated, true);
    assert.deepEqual(cut.rows[9], [9]);
    const exact = await runner.run({ sql: 'SELECT * FROM spans', limit: SPAN_COUNT });
    assert.equal(exact.rows.length, SPAN_COUNT);
    assert.equal(exact.truncated, false);
    const zero = await runner.run({ sql: 'SELECT 1', limit: 0 });
    assert.deepEqual([zero.rows, zero.truncated, zero.columns.length], [[], true, 1]);
  });

  test('the cap is maxRows when limit is absent or larger', async () => {
    const small = new DuckDBSqlRunner(db, { timeoutMs: 5_000, maxRows: 3000, guard: allowEverything });
    const absent = await small.run({ sql: 'SELECT * FROM range(5000)' });
    assert.deepEqual([absent.rows.length, absent.truncated], [3000, true]);
    const larger = await small.run({ sql: 'SELECT * FROM range(5000)', limit: 1_000_000 });
    assert.deepEqual([larger.rows.length, larger.truncated], [3000, true]);
    small.close();
  });

  test('the byte cap: the rows whose JSON fits, truncatedBy "bytes"; a row cap says "rows"', async () => {
    const capped = new DuckDBSqlRunner(db, { timeoutMs: 5_000, maxRows: 1000, maxBytes: 1000, guard: allowEverything });
    const answer = await capped.run({ sql: "SELECT repeat('x', 98) FROM range(100)" });
    // Each row is ["xx...x"]: 102 characters, and a comma between rows.
    assert.deepEqual([answer.rows.length, answer.truncated, answer.truncatedBy], [9, true, 'bytes']);
    const one = await capped.run({ sql: "SELECT repeat('x', 5000)" });
    assert.deepEqual([one.rows, one.truncatedBy], [[], 'bytes']);
    const rows = await capped.run({ sql: 'SELECT * FROM range(100)', limit: 10 });
    assert.deepEqual([rows.rows.length, rows.truncatedBy], [10, 'rows']);
    const whole = await capped.run({ sql: 'SELECT * FROM range(10)' });
    assert.deepEqual([whole.rows.length, whole.truncated, whole.truncatedBy], [10, false, undefined]);
    capped.close();
  });

  test('rows are streamed: an endless result is cut without being computed', async () => {
    const started = Date.now();
    const answer = await runner.run({ sql: 'SELECT range AS n, md5(range::VARCHAR) FROM range(1000000000000)', limit: 5 });
    assert.deepEqual([answer.rows.length, answer.truncated], [5, true]);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  });
});

describe('time limit', () => {
  test('a runaway query is interrupted at queryTimeoutMs with query_timeout naming the limit, and the runner keeps answering', async () => {
    const quick = new DuckDBSqlRunner(db, { timeoutMs: 300, maxRows: 10, guard: allowEverything, poolSize: 1 });
    const started = Date.now();
    const error = await refused('SELECT count(*) FROM range(1000000000) a, range(1000000000) b', /longer than the limit of 300 ms \(queryTimeoutMs/, quick);
    assert.equal(error.code, 'query_timeout');
    assert.equal(error.httpStatus, 400);
    assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
    // The same (only) connection answers next, outside any leftover transaction.
    assert.deepEqual((await quick.run({ sql: 'SELECT count(*) FROM spans' })).rows, [[SPAN_COUNT]]);
    quick.close();
  });
});

describe('parameters', () => {
  test('positional and named JSON scalars are bound by DuckDB', async () => {
    const positional = await runner.run({ sql: 'SELECT count(*) FROM spans WHERE service_name = $1 AND duration_ns > $2 AND $3 AND $4 IS NULL', params: ['cart', 5_000_000_000, true, null] });
    assert.deepEqual(positional.rows, [[SPAN_COUNT / 2]]);
    const named = await runner.run({ sql: "SELECT $n + 1 AS a, $big AS b, $x * 2 AS c, $s || '!' AS d", params: { n: 41, big: 2 ** 40, x: 1.25, s: "it's" } });
    assert.deepEqual(named.rows, [[42, 1099511627776, 2.5, "it's!"]]);
    const question = await runner.run({ sql: 'SELECT ? AS a, ? AS b', params: ['x', false] });
    assert.deepEqual(question.rows, [['x', false]]);
  });

  test('a parameter is data, never SQL', async () => {
    const answer = await runner.run({ sql: 'SELECT count(*) FROM spans WHERE name = $1', params: ["x'; DROP TABLE spans; --"] });
    assert.deepEqual(answer.rows, [[0]]);
    assert.deepEqual((await runner.run({ sql: 'SELECT count(*) FROM spans' })).rows, [[SPAN_COUNT]]);
  });

  test('missing, extra and unknown parameters are refused with the statement’s parameter names', async () => {
    await refused({ sql: 'SELECT $1, $2', params: ['a'] }, /takes 2 parameter\(s\) \(\$1, \$2\) but `params` holds 1/);
    await refused({ sql: 'SELECT 1', params: ['a'] }, /takes no parameters/);
    await refused({ sql: 'SELECT $1' }, /takes 1 parameter/);
    await refused({ sql: 'SELECT $a', params: { b: 1 } }, /names \$b, which the statement does not use; its parameters: \$a/);
    await refused({ sql: 'SELECT $a, $b', params: { a: 1 } }, /no value in `params` for \$b/);
    await refused({ sql: 'SELECT $1::INTEGER', params: ['not a number'] }, /Conversion Error|Could not convert/);
  });
});

describe('read-only without the guard (statement type, read-only transaction, rollback)', () => {
  const writes: Array<[string, RegExp]> = [
    ["INSERT INTO spans SELECT * FROM spans", /parsed this statement as INSERT/],
    ['UPDATE spans SET name = 1', /as UPDATE/],
    ['DELETE FROM spans', /as DELETE/],
    ['CREATE TABLE x (a INT)', /as CREATE/],
    ['CREATE TEMP TABLE x AS SELECT 1', /as CREATE/],
    ['CREATE MACRO m(a) AS a', /as CREATE/],
    ['DROP TABLE spans', /as DROP/],
    ['ALTER TABLE spans ADD COLUMN x INT', /as ALTER/],
    ['BEGIN', /transaction control/],
    ['COMMIT', /transaction control/],
    ['CHECKPOINT', /as CALL/],
    ['CALL checkpoint()', /as CALL/],
    ['SET threads = 1', /SET, RESET or USE/],
    ['USE memory', /SET, RESET or USE/],
    ['PRAGMA force_checkpoint', /a PRAGMA that changes/],
    ['VACUUM', /VACUUM/],
    ["ATTACH ':memory:' AS other", /as ATTACH/],
    ['DETACH memory', /as DETACH/],
    ['SELECT 1; SELECT 2', /holds 2 statements/],
  ];
  for (const [sql, pattern] of writes) {
    test(`refused by statement type: ${sql}`, async () => {
      await refused(sql, pattern);
    });
  }

  test('a SELECT that writes (nextval) fails in the read-only transaction and changes nothing', async () => {
    await raw.run('CREATE SEQUENCE IF NOT EXISTS test_seq');
    await refused("SELECT nextval('test_seq')", /read-only/);
    const current = await raw.runAndReadAll("SELECT nextval('test_seq')");
    assert.equal(String(current.getRows()[0]![0]), '1');
    await raw.run('DROP SEQUENCE test_seq');
  });

  test('the guard is asked first; what it calls not-a-query is named from a scratch instance, never prepared here', async () => {
    await raw.run('CREATE SEQUENCE IF NOT EXISTS guard_seq');
    const seen: string[] = [];
    const judging = new DuckDBSqlRunner(db, {
      timeoutMs: 5_000,
      maxRows: 10,
      guard: async (sql, parser) => {
        seen.push(sql);
        return (await parser.serialize(sql)).ok ? 'query' : 'not-a-query';
      },
    });
    assert.deepEqual((await judging.run({ sql: 'SELECT 1' })).rows, [[1]]);
    // DuckDB evaluates PRAGMA and SET arguments while preparing: on the real instance this would
    // advance guard_seq; the scratch instance has no such sequence, so it cannot.
    await refused({ sql: "PRAGMA table_info(nextval('guard_seq'))" }, /Sequence with name guard_seq does not exist/, judging);
    await refused({ sql: 'PRAGMA version' }, /PRAGMA is not allowed here; read the same with a query: SELECT \* FROM pragma_version\(\)/, judging);
    await refused({ sql: 'EXPLAIN (FORMAT json) SELECT 1' }, /EXPLAIN is allowed only as/, judging);
    await refused({ sql: 'INSERT INTO spans SELECT * FROM spans' }, /as INSERT/, judging);
    await refused({ sql: 'SELEC 1' }, /Parser Error: syntax error at or near "SELEC"/, judging);
    await refused({ sql: 'SELECT 1; SELECT 2' }, /holds 2 statements/, judging);
    assert.deepEqual(seen.slice(0, 2), ['SELECT 1', "PRAGMA table_info(nextval('guard_seq'))"]);
    const next = await raw.runAndReadAll("SELECT nextval('guard_seq')");
    assert.equal(String(next.getRows()[0]![0]), '1');
    await raw.run('DROP SEQUENCE guard_seq');
    const refusing = new DuckDBSqlRunner(db, {
      timeoutMs: 5_000,
      maxRows: 10,
      guard: async () => {
        throw new DucktraceError('invalid_argument', 'no');
      },
    });
    await refused({ sql: 'SELECT 1' }, /^no$/, refusing);
    judging.close();
    refusing.close();
  });

  test('a parse or bind error is a 400 with DuckDB’s message', async () => {
    const syntax = await refused('SELECT FROM WHERE', /syntax error/i);
    assert.equal(syntax.httpStatus, 400);
    await refused('SELECT nope FROM spans', /Binder Error.*nope/s);
    await refused('SELECT * FROM nowhere', /Catalog Error.*nowhere/s);
    await refused('   ', /no statement/);
    await refused('-- only a comment', /no statement/);
  });

  test('comparing a span time with now() or current_timestamp suggests utc_now(), which works', async () => {
    for (const sql of [
      'SELECT count(*) FROM spans WHERE start_time > now() - INTERVAL 1 HOUR',
      'SELECT count(*) FROM spans WHERE current_timestamp < start_time',
      'SELECT count(*) FROM spans WHERE start_time BETWEEN now() - INTERVAL 1 HOUR AND now()',
    ]) {
      const error = await refused(sql, /(compare|mix) values of type .*TIMESTAMP WITH TIME ZONE.*\n\nHint: .*utc_now\(\)/s);
      assert.equal(error.httpStatus, 400);
    }
    await refused('SELECT nope FROM spans', /^(?![\s\S]*utc_now)/);
    const fixed = await runner.run({ sql: 'SELECT count(*) FROM spans WHERE start_time < utc_now() AND start_time > utc_now() - INTERVAL 100000 DAY' });
    assert.deepEqual(fixed.rows, [[SPAN_COUNT]]);
  });

  test('the spans are unchanged and no transaction is left open', async () => {
    const count = await raw.runAndReadAll('SELECT count(*), sum(duration_ns) FROM spans');
    assert.deepEqual(count.getRows().map((r) => r.map(String)), [[String(SPAN_COUNT), String(SPAN_COUNT * 5_000_000_000 + (SPAN_COUNT * (SPAN_COUNT - 1)) / 2)]]);
    assert.deepEqual((await runner.run({ sql: 'SELECT count(*) FROM spans' })).rows, [[SPAN_COUNT]]);
  });
});

describe('the instance itself refuses files, network, extensions and settings (database.ts lock-down)', () => {
  const blocked: Array<[string, RegExp]> = [
    ["SELECT * FROM read_csv('/etc/passwd')", /Permission Error.*disabled by configuration/s],
    ["SELECT * FROM read_text('/etc/hostname')", /Permission Error/],
    ["SELECT * FROM read_parquet('/tmp/x.parquet')", /Permission Error/],
    ["SELECT * FROM read_json('/tmp/x.json')", /Permission Error/],
    ["SELECT * FROM glob('/*')", /Permission Error/],
    ["SELECT * FROM '/etc/passwd'", /Permission Error|Catalog Error/],
    ["SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')", /Permission Error/],
    ["COPY spans TO '/tmp/ducktrace-leak.csv'", /Permission Error/],
    ["ATTACH '/tmp/ducktrace-other.duckdb' AS other", /Permission Error|disabled/],
    ['INSTALL httpfs', /Permission Error|disabled|not allowed/i],
    ['LOAD httpfs', /Permission Error|disabled|not allowed/i],
    ["SET enable_external_access = true", /locked|lock_configuration/i],
    ["SET allowed_directories = ['/']", /locked|lock_configuration/i],
    ["RESET lock_configuration", /locked|lock_configuration/i],
  ];
  for (const [sql, pattern] of blocked) {
    test(sql, async () => {
      await assert.rejects(raw.run(sql), (error: Error) => {
        assert.match(error.message, pattern);
        return true;
      });
    });
  }
});

describe('pool', () => {
  test('past the waiting bound a request gets a retryable overloaded error', async () => {
    const single = new DuckDBSqlRunner(db, { timeoutMs: 400, maxRows: 10, guard: allowEverything, poolSize: 1, maxWaiting: 0 });
    const slow = single.run({ sql: 'SELECT count(*) FROM range(1000000000) a, range(1000000000) b' });
    const error = await refused('SELECT 1', /running/, single);
    assert.equal(error.code, 'overloaded');
    await assert.rejects(slow, /limit of 400 ms/);
    assert.deepEqual((await single.run({ sql: 'SELECT 1' })).rows, [[1]]);
    single.close();
  });
});
