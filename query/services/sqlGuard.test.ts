/**
 * The SQL endpoint's guard: the request body (pure), the parse-tree function check (pure), and the
 * whole read-only promise against real in-memory DuckDB through the runner with this guard: every
 * write, file, network, extension, configuration and maintenance statement we could think of is
 * refused with a clear message, queries still answer, and nothing changed afterwards.
 */
import assert from 'node:assert/strict';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { SCHEMA_VERSION } from '../../core/storage/schema.js';
import { after, before, describe, test } from 'node:test';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DucktraceError } from '../../core/errors.js';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import { DuckDBSqlRunner } from '../../core/storage/duckdb/sqlRunner.js';
import type { Attributes, SpanRow } from '../../core/model/span.js';
import { checkFunctions, checkReadOnlyStatement, functionsCalled, parseSqlRequest, SQL_LIMITS } from './sqlGuard.js';

const SPAN_COUNT = 20;

function attrs(entries: Array<[string, string, string]>): Attributes {
  return { keys: entries.map((e) => e[0]), values: entries.map((e) => e[1]), types: entries.map((e) => e[2]).join('') };
}

function testSpan(i: number): SpanRow {
  const service = i % 2 === 0 ? 'checkout' : 'cart';
  return spanRow({
    traceId: (i + 1).toString(16).padStart(32, '0'),
    spanId: (i + 1).toString(16).padStart(16, '0'),
    name: `op-${i % 3}`,
    serviceName: service,
    startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n,
    durationNs: 5_000_000_000n + BigInt(i),
    statusCode: i % 5 === 0 ? 2 : 0,
    attributes: attrs([['http.route', `/r${i % 4}`, 's'], ['http.response.status_code', i % 5 === 0 ? '500' : '200', 'i']]),
    resourceAttributes: attrs([['service.name', service, 's'], ['host.cpus', '8', 'i']]),
  });
}

function rejects400(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof DucktraceError);
    assert.equal(error.httpStatus, 400);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('parseSqlRequest', () => {
  test('accepts sql with positional or named scalar params and a limit', () => {
    assert.deepEqual(parseSqlRequest({ sql: 'SELECT $1', params: ['a', 1, 1.5, true, null], limit: 5 }), { sql: 'SELECT $1', params: ['a', 1, 1.5, true, null], limit: 5 });
    assert.deepEqual(parseSqlRequest({ sql: 'SELECT $a', params: { a: 'x' } }), { sql: 'SELECT $a', params: { a: 'x' } });
    assert.deepEqual(parseSqlRequest({ sql: 'SELECT 1', params: null, limit: null }), { sql: 'SELECT 1' });
  });

  test('names what is wrong', () => {
    rejects400(() => parseSqlRequest(undefined), /body must be a JSON object/);
    rejects400(() => parseSqlRequest('SELECT 1'), /Content-Type: application\/json/);
    rejects400(() => parseSqlRequest(['SELECT 1']), /body must be a JSON object/);
    rejects400(() => parseSqlRequest({}), /`sql` is missing/);
    rejects400(() => parseSqlRequest({ sql: 42 }), /`sql` must be a string, not a number/);
    rejects400(() => parseSqlRequest({ sql: ' \n ' }), /`sql` is empty/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT 1\0; DROP TABLE spans' }), /NUL/);
    rejects400(() => parseSqlRequest({ sql: `SELECT '${'x'.repeat(SQL_LIMITS.maxSqlBytes)}'` }), /bytes; the limit is 102400 bytes/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT 1', query: 'x' }), /unknown field "query"/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT $1', params: 'a' }), /`params` must be an array .* or an object/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT $1', params: [[1]] }), /`params\[0\]` must be a string, number, boolean or null, not an array/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT $a', params: { a: { b: 1 } } }), /`params.a` must be .* not an object/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT 1', params: new Array(SQL_LIMITS.maxParams + 1).fill(1) }), /holds 1001 values; the limit is 1000/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT 1', limit: -1 }), /`limit` must be a whole number/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT 1', limit: 1.5 }), /`limit` must be a whole number/);
    rejects400(() => parseSqlRequest({ sql: 'SELECT 1', limit: '10' }), /`limit` must be a whole number/);
  });
});

describe('functionsCalled / checkFunctions on a parse tree', () => {
  // Shaped as json_serialize_sql gives it (trimmed to the fields the walk reads).
  const tree = {
    node: {
      type: 'SELECT_NODE',
      select_list: [{ class: 'FUNCTION', type: 'FUNCTION', function_name: 'Count', children: [] }],
      from_table: {
        type: 'JOIN',
        left: { type: 'TABLE_FUNCTION', function: { class: 'FUNCTION', function_name: 'range', children: [] } },
        right: {
          type: 'SUBQUERY',
          subquery: { node: { from_table: { type: 'TABLE_FUNCTION', function: { class: 'FUNCTION', function_name: 'checkpoint', children: [] } } } },
        },
      },
    },
  };

  test('finds table functions and every function name, nested, lowercased', () => {
    const found = functionsCalled(tree);
    assert.deepEqual([...found.tableFunctions].sort(), ['checkpoint', 'range']);
    assert.deepEqual([...found.functions].sort(), ['checkpoint', 'count', 'range']);
  });

  test('refuses a denied function with its reason and an unknown table function by name', () => {
    rejects400(() => checkFunctions(tree), /function checkpoint\(\) is not allowed \(it writes the database file\)/);
    rejects400(() => checkFunctions({ type: 'TABLE_FUNCTION', function: { function_name: 'brand_new_writer' } }), /table function brand_new_writer\(\) is not allowed here/);
    rejects400(() => checkFunctions({ class: 'WINDOW', function_name: 'setseed' }), /setseed\(\) is not allowed/);
    rejects400(() => checkFunctions({ type: 'TABLE_FUNCTION', function: { function_name: 'read_csv' } }), /table function read_csv\(\) is not allowed here/);
    checkFunctions({ type: 'TABLE_FUNCTION', function: { function_name: 'RANGE' } });
  });

  test('EXPLAIN is only accepted as EXPLAIN [ANALYZE] <query>, and the query is checked', async () => {
    const serialized: string[] = [];
    const parser = {
      async serialize(sql: string) {
        serialized.push(sql);
        return sql.startsWith('SELECT')
          ? { ok: true as const, statements: [{ type: 'TABLE_FUNCTION', function: { function_name: sql.includes('checkpoint') ? 'checkpoint' : 'range' } }] }
          : { ok: false as const, errorType: 'not implemented', message: 'Only SELECT statements can be serialized to json!' };
      },
    };
    assert.equal(await checkReadOnlyStatement('  explain\n analyze  SELECT * FROM range(3)', parser), 'query');
    assert.deepEqual(serialized, ['  explain\n analyze  SELECT * FROM range(3)', 'SELECT * FROM range(3)']);
    assert.equal(await checkReadOnlyStatement('EXPLAIN SELECT * FROM range(3)', parser), 'query');
    await assert.rejects(checkReadOnlyStatement('EXPLAIN ANALYZE SELECT * FROM checkpoint()', parser), /checkpoint\(\) is not allowed/);
    await assert.rejects(checkReadOnlyStatement('SELECT * FROM checkpoint()', parser), /checkpoint\(\) is not allowed/);
    assert.equal(await checkReadOnlyStatement('SELECT * FROM range(1)', parser), 'query');
    assert.equal(await checkReadOnlyStatement('EXPLAIN (FORMAT json) SELECT 1', parser), 'not-a-query');
    assert.equal(await checkReadOnlyStatement('EXPLAIN/**/SELECT 1', parser), 'not-a-query');
    assert.equal(await checkReadOnlyStatement('EXPLAIN INSERT INTO t VALUES (1)', parser), 'not-a-query');
    assert.equal(await checkReadOnlyStatement('PRAGMA version', parser), 'not-a-query');
    assert.equal(await checkReadOnlyStatement('INSERT INTO t VALUES (1)', parser), 'not-a-query');
  });
});

describe('through the runner on real DuckDB', () => {
  let db: Database;
  let raw: DuckDBConnection;
  let runner: DuckDBSqlRunner;

  /** Everything a refused statement could have changed: data, catalog, settings, sequences. */
  async function snapshot(): Promise<string> {
    const queries = [
      "SELECT count(*), sum(duration_ns), string_agg(span_id || name, ',' ORDER BY span_id) FROM spans",
      "SELECT string_agg(database_name || '.' || schema_name || '.' || table_name, ',' ORDER BY database_name || '.' || schema_name || '.' || table_name) FROM duckdb_tables()",
      "SELECT string_agg(view_name, ',' ORDER BY view_name) FROM duckdb_views() WHERE NOT internal",
      "SELECT string_agg(sequence_name || ':' || coalesce(last_value::VARCHAR, 'unused'), ',' ORDER BY sequence_name) FROM duckdb_sequences()",
      "SELECT string_agg(database_name, ',' ORDER BY database_name) FROM duckdb_databases()",
      "SELECT count(*) FROM duckdb_functions() WHERE NOT internal",
      "SELECT string_agg(name || '=' || coalesce(value, ''), ',' ORDER BY name) FROM duckdb_settings() WHERE name IN ('enable_logging', 'logging_level', 'enable_profiling', 'threads', 'memory_limit', 'enable_external_access', 'lock_configuration', 'profiling_mode')",
      'SELECT max(version) FROM schema_version',
    ];
    const parts: string[] = [];
    for (const sql of queries) parts.push((await raw.runAndReadAll(sql)).getRows().map((r) => r.map(String).join('|')).join(';'));
    return parts.join('\n');
  }

  let before_: string;

  before(async () => {
    db = await Database.open(null);
    const writer = await DuckDBTraceWriter.create(db);
    await writer.append(Array.from({ length: SPAN_COUNT }, (_, i) => testSpan(i)));
    await writer.close();
    raw = await db.connect();
    await raw.run('CREATE SEQUENCE s'); // so that nextval('s') binds and only the guard stands in its way
    runner = new DuckDBSqlRunner(db, { timeoutMs: 5_000, maxRows: 1_000, guard: checkReadOnlyStatement });
    before_ = await snapshot();
  });

  after(() => {
    runner.close();
    raw.closeSync();
    db.close();
  });

  const REFUSED: Array<[string, RegExp]> = [
    // data and schema changes
    ["INSERT INTO spans SELECT * FROM spans", /read-only query .* as INSERT/],
    ["INSERT INTO spans BY NAME SELECT * FROM spans LIMIT 1 RETURNING span_id", /as INSERT/],
    ["UPDATE spans SET name = 'x'", /as UPDATE/],
    ['DELETE FROM spans', /as DELETE/],
    ['TRUNCATE spans', /as DELETE/],
    ["MERGE INTO spans USING spans AS s ON spans.span_id = s.span_id WHEN MATCHED THEN DELETE", /as MERGE INTO/],
    ['CREATE TABLE t (a INT)', /as CREATE/],
    ['CREATE OR REPLACE TABLE spans AS SELECT 1 AS a', /as CREATE/],
    ['CREATE TEMP TABLE t AS SELECT 1', /as CREATE/],
    ['CREATE VIEW v AS SELECT 1', /as CREATE/],
    ['CREATE OR REPLACE VIEW span_attributes AS SELECT 1 AS a', /as CREATE/],
    ['CREATE MACRO m(a) AS a + 1', /as CREATE/],
    ['CREATE MACRO tm() AS TABLE SELECT 1', /as CREATE/],
    ['CREATE FUNCTION f(a) AS a', /as CREATE/],
    ['CREATE SEQUENCE s', /as CREATE/],
    ['CREATE SCHEMA x', /as CREATE/],
    ["CREATE TYPE mood AS ENUM ('a')", /as CREATE/],
    ['CREATE INDEX i ON spans (trace_id)', /as CREATE/],
    ["CREATE SECRET (TYPE s3, KEY_ID 'x', SECRET 'y')", /as CREATE|Secret|not found|Invalid/i],
    ['DROP TABLE spans', /as DROP/],
    ['DROP VIEW span_attributes', /as DROP/],
    ['ALTER TABLE spans ADD COLUMN x INT', /as ALTER/],
    ['ALTER TABLE spans RENAME TO s', /as ALTER/],
    ['COMMENT ON TABLE spans IS $$x$$', /as ALTER/],
    // files, network, extensions
    ["COPY spans TO '/tmp/ducktrace-leak.csv'", /Permission Error.*disabled by configuration/s],
    ["COPY spans FROM '/etc/passwd'", /Permission Error/],
    ["COPY (SELECT 1) TO '/tmp/ducktrace-leak.parquet' (FORMAT parquet)", /Permission Error/],
    ["EXPORT DATABASE '/tmp/ducktrace-export'", /Permission Error/],
    ["IMPORT DATABASE '/tmp/ducktrace-export'", /Permission Error/],
    ["ATTACH '/tmp/ducktrace-other.duckdb' AS other", /as ATTACH/],
    ["ATTACH ':memory:' AS other", /as ATTACH/],
    ['DETACH memory', /as DETACH/],
    ['USE memory', /SET, RESET or USE/],
    ['INSTALL httpfs', /INSTALL or LOAD/],
    ["INSTALL httpfs FROM 'http://127.0.0.1:9'", /INSTALL or LOAD/],
    ['LOAD httpfs', /INSTALL or LOAD/],
    ["LOAD '/tmp/evil.duckdb_extension'", /INSTALL or LOAD/],
    ['FORCE INSTALL httpfs', /INSTALL or LOAD/],
    ['UPDATE EXTENSIONS', /UPDATE EXTENSIONS/],
    ["SELECT * FROM read_csv('/etc/passwd')", /table function read_csv\(\) is not allowed/],
    ["SELECT * FROM read_csv_auto('/etc/passwd')", /table function read_csv_auto\(\) is not allowed/],
    ["SELECT * FROM read_parquet('/tmp/x.parquet')", /table function read_parquet\(\) is not allowed/],
    ["SELECT * FROM parquet_metadata('/tmp/x.parquet')", /table function parquet_metadata\(\) is not allowed/],
    ["SELECT * FROM read_json('/tmp/x.json')", /table function read_json\(\) is not allowed/],
    ["SELECT * FROM read_json_objects('/tmp/x.json')", /table function read_json_objects\(\) is not allowed/],
    ["SELECT * FROM read_text('/etc/hostname')", /table function read_text\(\) is not allowed/],
    ["SELECT * FROM read_blob('/etc/hostname')", /table function read_blob\(\) is not allowed/],
    ["SELECT * FROM glob('/*')", /table function glob\(\) is not allowed/],
    ["SELECT * FROM sniff_csv('/etc/passwd')", /table function sniff_csv\(\) is not allowed/],
    ["SELECT * FROM read_duckdb('/tmp/x.duckdb')", /table function read_duckdb\(\) is not allowed/],
    ["SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')", /table function read_csv\(\) is not allowed/],
    ["SELECT * FROM read_parquet('s3://bucket/x.parquet')", /table function read_parquet\(\) is not allowed/],
    ["SELECT * FROM '/etc/passwd'", /Permission Error|Catalog Error/],
    ["SELECT * FROM 'https://example.com/x.parquet'", /Permission Error|Catalog Error/],
    ["SELECT * FROM duckdb_extensions()", /duckdb_extensions\(\) is not allowed/],
    // configuration and session state
    ['SET threads = 1', /SET, RESET or USE/],
    ['SET enable_external_access = true', /SET, RESET or USE/],
    ["SET GLOBAL memory_limit = '1GB'", /SET, RESET or USE/],
    ['RESET threads', /SET, RESET or USE/],
    ['SET VARIABLE x = 1', /SET, RESET or USE|SET VARIABLE/],
    ['PRAGMA version', /PRAGMA is not allowed here; read the same with a query/],
    ["PRAGMA table_info('spans')", /PRAGMA is not allowed here/],
    ["PRAGMA table_info(nextval('s'))", /PRAGMA is not allowed here|Sequence with name s does not exist/],
    ["PRAGMA table_info(setseed(0.1)::VARCHAR)", /PRAGMA is not allowed here|Catalog Error/],
    ["SELECT * FROM range(nextval('s'))", /nextval\(\) is not allowed/],
    ["SELECT * FROM pragma_table_info(setseed(0.1)::VARCHAR)", /setseed\(\) is not allowed/],
    ["SET threads = nextval('s')", /SET, RESET or USE|Sequence/],
    ["CALL pragma_table_info(nextval('s')::VARCHAR)", /as CALL|Sequence/],
    ["PRAGMA memory_limit = '1GB'", /SET, RESET or USE/],
    ['PRAGMA threads = 1', /SET, RESET or USE/],
    ['PRAGMA enable_profiling', /a PRAGMA that changes/],
    ['PRAGMA disable_checkpoint_on_shutdown', /a PRAGMA that changes/],
    ['PRAGMA force_checkpoint', /a PRAGMA that changes/],
    ["PRAGMA import_database('/tmp/ducktrace-export')", /Permission Error|PRAGMA/],
    ['PRAGMA copy_database(memory, memory)', /statement/],
    ['SELECT * FROM enable_logging()', /enable_logging\(\) is not allowed \(it changes the instance configuration\)/],
    ['SELECT * FROM disable_logging()', /disable_logging\(\) is not allowed/],
    ['SELECT * FROM truncate_duckdb_logs()', /truncate_duckdb_logs\(\) is not allowed/],
    ['SELECT * FROM enable_profiling()', /enable_profiling\(\) is not allowed/],
    ['SELECT * FROM enable_peg_parser()', /enable_peg_parser\(\) is not allowed/],
    ["SELECT write_log('x')", /write_log\(\) is not allowed/],
    ['SELECT setseed(0.5)', /setseed\(\) is not allowed/],
    ["SELECT nextval('s')", /nextval\(\) is not allowed/],
    ["SELECT currval('s')", /currval\(\) is not allowed/],
    // maintenance
    ['CHECKPOINT', /as CALL/],
    ['FORCE CHECKPOINT', /as CALL/],
    ['CALL checkpoint()', /as CALL/],
    ['CALL force_checkpoint()', /as CALL/],
    ['CALL pragma_version()', /as CALL/],
    ['SELECT * FROM checkpoint()', /checkpoint\(\) is not allowed \(it writes the database file\)/],
    ['SELECT * FROM CheckPoint()', /checkpoint\(\) is not allowed/],
    ['SELECT * FROM "checkpoint"()', /checkpoint\(\) is not allowed/],
    ['SELECT * FROM system.main.checkpoint()', /checkpoint\(\) is not allowed/],
    ['SELECT * FROM force_checkpoint()', /force_checkpoint\(\) is not allowed/],
    ['SELECT count(*) FROM spans WHERE EXISTS (SELECT 1 FROM checkpoint())', /checkpoint\(\) is not allowed/],
    ['WITH c AS (SELECT * FROM checkpoint()) SELECT * FROM c', /checkpoint\(\) is not allowed/],
    ['SELECT * FROM spans, LATERAL (SELECT * FROM checkpoint()) LIMIT 1', /checkpoint\(\) is not allowed/],
    ['SELECT 1 UNION ALL SELECT * FROM checkpoint()', /checkpoint\(\) is not allowed/],
    ['DESCRIBE SELECT * FROM checkpoint()', /checkpoint\(\) is not allowed/],
    ['SUMMARIZE SELECT * FROM checkpoint()', /checkpoint\(\) is not allowed/],
    ['EXPLAIN ANALYZE SELECT * FROM checkpoint()', /checkpoint\(\) is not allowed/],
    ['EXPLAIN SELECT * FROM force_checkpoint()', /force_checkpoint\(\) is not allowed/],
    ['EXPLAIN ANALYZE INSERT INTO spans SELECT * FROM spans', /EXPLAIN is allowed only as/],
    ['EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1', /EXPLAIN is allowed only as/],
    ['EXPLAIN (ANALYZE) SELECT * FROM checkpoint()', /EXPLAIN is allowed only as/],
    ['/* comment */ EXPLAIN ANALYZE SELECT * FROM checkpoint()', /EXPLAIN is allowed only as/],
    ['VACUUM', /VACUUM/],
    ['VACUUM ANALYZE spans', /VACUUM/],
    ['ANALYZE', /VACUUM|ANALYZE/],
    // SQL that runs SQL
    ["SELECT * FROM query('SELECT * FROM checkpoint()')", /query\(\) is not allowed/],
    ["SELECT * FROM query_table('spans')", /query_table\(\) is not allowed/],
    ["SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT * FROM checkpoint()'))", /json_execute_serialized_sql\(\) is not allowed/],
    ['PREPARE p AS SELECT * FROM checkpoint()', /as PREPARE/],
    ['EXECUTE p', /does not exist|as EXECUTE/],
    ['DEALLOCATE p', /as DROP/],
    // transactions
    ['BEGIN', /transaction control/],
    ['BEGIN TRANSACTION', /transaction control/],
    ['COMMIT', /transaction control/],
    ['ROLLBACK', /transaction control/],
    ['ABORT', /transaction control/],
    // more than one statement
    ['SELECT 1; SELECT 2', /holds 2 statements/],
    ['SELECT 1; DROP TABLE spans', /holds 2 statements/],
    ['SELECT 1; BEGIN; DELETE FROM spans; COMMIT', /holds 4 statements/],
    ['PIVOT spans ON service_name USING count(*)', /holds 2 statements/],
    // not SQL at all
    ['SELECT FROM WHERE', /syntax error/],
    ['SELECT nope FROM spans', /Binder Error/],
  ];

  for (const [sql, pattern] of REFUSED) {
    test(`refused: ${sql}`, async () => {
      await assert.rejects(runner.run({ sql }), (error: unknown) => {
        assert.ok(error instanceof DucktraceError, `not a DucktraceError: ${(error as Error).stack}`);
        assert.equal(error.httpStatus, 400, error.message);
        assert.match(error.message, pattern);
        return true;
      });
    });
  }

  const ALLOWED: Array<[string, (rows: unknown[][]) => void]> = [
    ['SELECT count(*) FROM spans', (rows) => assert.deepEqual(rows, [[SPAN_COUNT]])],
    ["SELECT service_name, count(*) FROM spans GROUP BY ALL ORDER BY ALL", (rows) => assert.deepEqual(rows, [['cart', 10], ['checkout', 10]])],
    ["SELECT count(*) FROM span_attributes WHERE key = 'http.response.status_code' AND int_value >= 500", (rows) => assert.deepEqual(rows, [[4]])],
    ["SELECT key, count(*) FROM span_resource_attributes GROUP BY key ORDER BY key", (rows) => assert.deepEqual(rows, [['host.cpus', 20], ['service.name', 20]])],
    ["WITH s AS (SELECT * FROM spans) SELECT count(*) FROM s", (rows) => assert.deepEqual(rows, [[20]])],
    ['FROM spans SELECT max(duration_ns)', (rows) => assert.deepEqual(rows, [[5000000019]])],
    ['SELECT * FROM range(3)', (rows) => assert.deepEqual(rows, [[0], [1], [2]])],
    ["SELECT unnest(['a', 'b'])", (rows) => assert.equal(rows.length, 2)],
    ["SELECT * FROM json_each('{\"a\": 1}')", (rows) => assert.equal(rows.length, 1)],
    ['DESCRIBE span_attributes', (rows) => assert.ok(rows.some((r) => r[0] === 'int_value' && r[1] === 'BIGINT'))],
    ['SHOW TABLES', (rows) => assert.ok(rows.length >= 3)],
    ['SUMMARIZE spans', (rows) => assert.ok(rows.length > 10)],
    ["SELECT * FROM pragma_table_info('spans')", (rows) => assert.ok(rows.length > 10)],
    ['SELECT * FROM pragma_version()', (rows) => assert.equal(rows.length, 1)],
    ["SELECT name, value FROM duckdb_settings() WHERE name = 'enable_external_access'", (rows) => assert.deepEqual(rows, [['enable_external_access', 'false']])],
    ['SELECT * FROM duckdb_tables()', (rows) => assert.ok(rows.length >= 2)],
    ['EXPLAIN SELECT * FROM spans', (rows) => assert.equal(rows.length, 1)],
    ['EXPLAIN ANALYZE SELECT count(*) FROM spans', (rows) => assert.equal(rows.length, 1)],
    ['VALUES (1, 2)', (rows) => assert.deepEqual(rows, [[1, 2]])],
    ["SELECT trace_id, list(name ORDER BY start_time) FROM spans GROUP BY trace_id ORDER BY trace_id LIMIT 1", (rows) => assert.deepEqual(rows, [['00000000000000000000000000000001', ['op-0']]])],
    ['SELECT random() BETWEEN 0 AND 1', (rows) => assert.deepEqual(rows, [[true]])],
    ["SELECT current_setting('threads') > 0", (rows) => assert.deepEqual(rows, [[true]])],
  ];

  for (const [sql, check] of ALLOWED) {
    test(`answers: ${sql}`, async () => {
      const answer = await runner.run({ sql });
      check(answer.rows);
    });
  }

  test('nothing changed: data, catalog, sequences, databases, settings, schema version', async () => {
    // Run last among this describe's tests (node:test runs them in order).
    assert.equal(await snapshot(), before_);
    // One user macro (utc_now) and the latest schema version, before and after.
    assert.match(before_, new RegExp(`ducktrace\\.main\\.schema_version,ducktrace\\.main\\.service_calls,ducktrace\\.main\\.spans,ducktrace\\.main\\.trace_summaries\\nspan_attributes,span_resource_attributes\\ns:unused\\nducktrace,memory,system,temp\\n1\\n.*enable_logging=0.*\\n${SCHEMA_VERSION}$`));
  });
});
