/**
 * The read-only SQL endpoint's rules that need no database: the request body, and which functions a
 * query may call, judged on DuckDB's own parse tree (`json_serialize_sql`), never on the SQL text.
 *
 * The runner (core/storage/duckdb/sqlRunner.ts) asks this guard first, then makes sure DuckDB prepares
 * exactly one statement of type SELECT or EXPLAIN. The guard refuses what a SELECT can still do besides
 * reading: table functions that write or change the instance (`checkpoint()`, `enable_logging()`...)
 * and scalar functions with side effects (`nextval`, `setseed`...). Table functions are allowed by
 * name (an allowlist, so a function added by a later DuckDB is refused until reviewed); scalar,
 * aggregate and window functions are refused by name (a denylist).
 */
import { DucktraceError } from '../../core/errors.js';
import type { SqlParamValue, SqlParams, SqlParser, SqlRequest } from '../../core/storage/duckdb/sqlRunner.js';

export const SQL_LIMITS = {
  /** Bytes of SQL text (UTF-8). */
  maxSqlBytes: 100 * 1024,
  maxParams: 1000,
  maxParamNameLength: 128,
} as const;

/**
 * Table functions a query may read from: series, unnesting, JSON, and DuckDB's catalog and
 * information functions. File readers (read_csv, read_parquet, read_json, glob...) are absent on
 * purpose; the instance refuses file and network access anyway.
 */
export const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set([
  'range',
  'generate_series',
  'unnest',
  'repeat',
  'repeat_row',
  'json_each',
  'json_tree',
  'summary',
  'histogram',
  'histogram_values',
  'duckdb_columns',
  'duckdb_constraints',
  'duckdb_databases',
  'duckdb_dependencies',
  'duckdb_functions',
  'duckdb_indexes',
  'duckdb_keywords',
  'duckdb_memory',
  'duckdb_optimizers',
  'duckdb_schemas',
  'duckdb_sequences',
  'duckdb_settings',
  'duckdb_tables',
  'duckdb_temporary_files',
  'duckdb_types',
  'duckdb_variables',
  'duckdb_views',
  'duckdb_approx_database_count',
  'duckdb_connection_count',
  'pragma_collations',
  'pragma_database_size',
  'pragma_metadata_info',
  'pragma_platform',
  'pragma_show',
  'pragma_storage_info',
  'pragma_table_info',
  'pragma_user_agent',
  'pragma_version',
  'icu_calendar_names',
  'pg_timezone_names',
  'test_all_types',
]);

/**
 * Functions refused wherever they appear. The table functions here are also outside the allowlist;
 * naming them makes the error clearer and catches a call in a scalar position too.
 */
export const DENIED_FUNCTIONS: Readonly<Record<string, string>> = {
  checkpoint: 'writes the database file',
  force_checkpoint: 'writes the database file and aborts running transactions',
  enable_logging: 'changes the instance configuration',
  disable_logging: 'changes the instance configuration',
  truncate_duckdb_logs: 'deletes logs',
  enable_profiling: 'changes the instance configuration',
  disable_profiling: 'changes the instance configuration',
  enable_peg_parser: 'changes the instance configuration',
  disable_peg_parser: 'changes the instance configuration',
  query: 'runs SQL given as a string, out of the guard’s sight',
  query_table: 'reads tables named by a string, out of the guard’s sight',
  json_execute_serialized_sql: 'runs serialized SQL, out of the guard’s sight',
  arrow_scan: 'reads raw memory pointers',
  arrow_scan_dumb: 'reads raw memory pointers',
  nextval: 'advances a sequence',
  currval: 'reads sequence state',
  setseed: 'changes the connection’s random state for later queries',
  write_log: 'writes to the log',
};

const KEYWORD = /^[A-Za-z_]+/;

/**
 * Validates the JSON body of POST /api/v1/sql: `{sql, params?, limit?}`. Throws a 400 that names the
 * field. (The runner caps `limit` at config.sqlMaxRows.)
 */
export function parseSqlRequest(body: unknown): SqlRequest {
  if (typeof body === 'string') throw invalid('the body must be JSON sent with Content-Type: application/json, e.g. {"sql": "SELECT 1"}');
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalid('the body must be a JSON object {"sql": "...", "params": [...] or {...}, "limit": n}');
  }
  const { sql, params, limit, ...rest } = body as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0) throw invalid(`unknown field "${extra[0]}"; the body takes sql, params and limit`);
  if (sql === undefined) throw invalid('`sql` is missing');
  if (typeof sql !== 'string') throw invalid(`\`sql\` must be a string, not ${describe(sql)}`);
  if (sql.trim() === '') throw invalid('`sql` is empty');
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > SQL_LIMITS.maxSqlBytes) throw invalid(`\`sql\` is ${bytes} bytes; the limit is ${SQL_LIMITS.maxSqlBytes} bytes`);
  // DuckDB reads the text as a C string: a NUL would hide the rest of it from one reader but not another.
  if (sql.includes('\0')) throw invalid('`sql` contains a NUL character');
  const request: SqlRequest = { sql };
  if (params !== undefined && params !== null) request.params = parseParams(params);
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0) {
      throw invalid(`\`limit\` must be a whole number of rows, 0 or more, not ${JSON.stringify(limit)?.slice(0, 40) ?? describe(limit)}`);
    }
    request.limit = limit;
  }
  return request;
}

function parseParams(params: unknown): SqlParams {
  if (Array.isArray(params)) {
    if (params.length > SQL_LIMITS.maxParams) throw invalid(`\`params\` holds ${params.length} values; the limit is ${SQL_LIMITS.maxParams}`);
    return params.map((value, i) => scalar(value, `params[${i}]`));
  }
  if (typeof params !== 'object' || params === null) {
    throw invalid(`\`params\` must be an array (for $1, $2...) or an object (for $name), not ${describe(params)}`);
  }
  const entries = Object.entries(params);
  if (entries.length > SQL_LIMITS.maxParams) throw invalid(`\`params\` holds ${entries.length} values; the limit is ${SQL_LIMITS.maxParams}`);
  const named: Record<string, SqlParamValue> = {};
  for (const [name, value] of entries) {
    if (name === '' || name.length > SQL_LIMITS.maxParamNameLength) throw invalid(`\`params\` has a name of ${name.length} characters`);
    named[name] = scalar(value, `params.${name}`);
  }
  return named;
}

function scalar(value: unknown, where: string): SqlParamValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return value; // JSON.parse never yields NaN or Infinity
  throw invalid(`\`${where}\` must be a string, number, boolean or null, not ${describe(value)}`);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function invalid(message: string): DucktraceError {
  return new DucktraceError('invalid_argument', message);
}

/** The functions a parse tree calls: table functions (FROM fn()) and every other function name. */
export function functionsCalled(tree: unknown): { tableFunctions: Set<string>; functions: Set<string> } {
  const tableFunctions = new Set<string>();
  const functions = new Set<string>();
  const stack: unknown[] = [tree];
  while (stack.length > 0) {
    const node = stack.pop();
    if (Array.isArray(node)) {
      for (const item of node) stack.push(item);
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    const object = node as Record<string, unknown>;
    if (typeof object.function_name === 'string') functions.add(object.function_name.toLowerCase());
    if (object.type === 'TABLE_FUNCTION') {
      const fn = object.function as Record<string, unknown> | null | undefined;
      // A table function is a FUNCTION expression; anything else there cannot be checked by name.
      tableFunctions.add(fn && typeof fn.function_name === 'string' ? fn.function_name.toLowerCase() : '(unnamed)');
    }
    for (const value of Object.values(object)) if (value !== null && typeof value === 'object') stack.push(value);
  }
  return { tableFunctions, functions };
}

/** Throws a 400 naming the first function the parse tree may not call. */
export function checkFunctions(tree: unknown): void {
  const { tableFunctions, functions } = functionsCalled(tree);
  for (const name of [...tableFunctions, ...functions]) {
    const reason = DENIED_FUNCTIONS[name];
    if (reason !== undefined) throw invalid(`the SQL API is read-only: function ${name}() is not allowed (it ${reason})`);
  }
  for (const name of tableFunctions) {
    if (!ALLOWED_TABLE_FUNCTIONS.has(name)) {
      throw invalid(
        `table function ${name}() is not allowed here: the SQL API reads only the database, through range, generate_series, unnest, json_each, summary, the duckdb_*() and pragma_*() catalog functions and a few more (files, network and extensions are disabled)`,
      );
    }
  }
}

/**
 * The runner's guard, run on DuckDB's parse tree before anything is bound or run:
 * - a text that serializes as exactly one SELECT (including WITH, FROM-first, VALUES, DESCRIBE, SHOW,
 *   SUMMARIZE) has its function calls checked: 'query';
 * - EXPLAIN does not serialize, and EXPLAIN ANALYZE runs its query: so `EXPLAIN [ANALYZE] <query>` is
 *   accepted when <query> (the text after those keywords) serializes as exactly one SELECT and passes
 *   the function check. Those are the very tokens DuckDB explains, so the tree checked is the tree run;
 * - anything else (INSERT, SET, PRAGMA, CALL, EXPLAIN with options, a syntax error...) is
 *   'not-a-query', which the runner refuses with DuckDB's statement type or parse error.
 */
export async function checkReadOnlyStatement(sql: string, parser: SqlParser): Promise<'query' | 'not-a-query'> {
  const tree = await parser.serialize(sql);
  if (tree.ok) {
    if (tree.statements.length !== 1) throw invalid(`\`sql\` holds ${tree.statements.length} statements; send exactly one query`);
    checkFunctions(tree.statements);
    return 'query';
  }
  const words = leadingKeywords(sql, 2);
  if (words[0]?.word !== 'explain') return 'not-a-query';
  const at = words[1]?.word === 'analyze' || words[1]?.word === 'analyse' ? words[1].end : words[0].end;
  const inner = await parser.serialize(sql.slice(at));
  if (!inner.ok || inner.statements.length !== 1) return 'not-a-query';
  checkFunctions(inner.statements);
  return 'query';
}

/**
 * The first `count` words of the text, lowercased, each with the offset just after the whitespace
 * that follows it. Stops at anything that is not a bare word followed by whitespace (a comment, a
 * parenthesis), so only the exact forms above are recognised.
 */
function leadingKeywords(sql: string, count: number): Array<{ word: string; end: number }> {
  const words: Array<{ word: string; end: number }> = [];
  let at = sql.length - sql.trimStart().length;
  while (words.length < count) {
    const match = KEYWORD.exec(sql.slice(at));
    if (!match) break;
    const after = at + match[0].length;
    const rest = sql.slice(after);
    const space = rest.length - rest.trimStart().length;
    if (space === 0 && rest.length > 0) break;
    words.push({ word: match[0].toLowerCase(), end: after + space });
    at = after + space;
  }
  return words;
}
