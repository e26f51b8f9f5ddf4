/**
 * Runs a user's read-only SQL (POST /api/v1/sql) on its own small pool of connections.
 *
 * Layers, each of which alone refuses a write:
 *  1. The injected guard (query/services/sqlGuard.ts) reads DuckDB's parse tree (`json_serialize_sql`,
 *     parser only) before anything is bound: the text must be one SELECT (or EXPLAIN of one) and must
 *     not call side-effecting functions such as `checkpoint()` or `nextval()`. This comes first because
 *     DuckDB evaluates table function and PRAGMA arguments while preparing.
 *  2. DuckDB's own statement type: exactly one statement (`extractStatements`), and the prepared type
 *     must be SELECT or EXPLAIN (DESCRIBE, SHOW, SUMMARIZE, FROM-first and VALUES are SELECT-typed;
 *     INSERT, CREATE, SET, ATTACH, COPY, CALL, CHECKPOINT, BEGIN... are not). A refused statement is
 *     named by preparing it on a scratch in-memory instance, never on the real one.
 *  3. The statement runs inside `BEGIN TRANSACTION READ ONLY` that is always rolled back.
 * Files, network and extensions are off for the whole instance (see database.ts).
 *
 * Rows are streamed and conversion stops after the row cap plus one, so a huge result is never
 * materialized; the statement is interrupted when it runs past the time limit.
 *
 * Values are JSON as DuckDB's JSON converter makes them, except that 64- and 128-bit integers and
 * decimals come as numbers when a JSON number says exactly the same value (integers within ±(2^53-1),
 * decimals whose shortest double text is the decimal itself): counts and sums read as numbers, while
 * larger values keep every digit as strings. The column type tells a client which family it reads.
 */
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDecimalValue,
  DuckDBTypeId,
  INTEGER,
  JsonDuckDBValueConverter,
  StatementType,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';
import { DucktraceError } from '../../errors.js';
import { Database } from './database.js';

export type SqlParamValue = string | number | boolean | null;
/** Positional (`$1`, `?`) as an array, or named (`$name`) as an object. */
export type SqlParams = SqlParamValue[] | Record<string, SqlParamValue>;

export interface SqlRequest {
  sql: string;
  params?: SqlParams;
  /** Rows wanted; capped at the runner's maxRows. */
  limit?: number;
}

export interface SqlAnswer {
  columns: Array<{ name: string; type: string }>;
  rows: Json[][];
  /** True when the statement had more rows than the cap; `rows` then holds the first `cap`. */
  truncated: boolean;
  elapsedMs: number;
}

export interface SqlRunner {
  run(request: SqlRequest): Promise<SqlAnswer>;
  close(): void;
}

/** DuckDB's parse tree of some SQL text, as `json_serialize_sql` gives it. */
export type SerializedSql =
  | { ok: true; statements: unknown[] }
  | { ok: false; errorType: string; message: string };

/** What the guard may ask the database: the parse tree of a text, from the parser alone (nothing is bound or run). */
export interface SqlParser {
  serialize(sql: string): Promise<SerializedSql>;
}

/**
 * Judges the SQL text on its parse tree before DuckDB binds anything (binding already evaluates table
 * function and PRAGMA arguments). Throws a DucktraceError for a query that may not run; answers
 * 'query' for one it checked (a SELECT, or EXPLAIN of one), 'not-a-query' for anything else, which
 * the runner then refuses, naming its statement type.
 */
export type SqlStatementGuard = (sql: string, parser: SqlParser) => Promise<'query' | 'not-a-query'>;

export interface SqlRunnerOptions {
  /** Every statement is interrupted after this long (config.queryTimeoutMs). */
  timeoutMs: number;
  /** No answer holds more rows (config.sqlMaxRows). */
  maxRows: number;
  guard: SqlStatementGuard;
  /** Statements that may run at once, each on its own connection. */
  poolSize?: number;
  /** Requests that may wait for a connection; past this, a retryable 503. */
  maxWaiting?: number;
}

/** How a refused statement type is named in the error. */
const REFUSED_TYPES: Partial<Record<number, string>> = {
  [StatementType.INSERT]: 'INSERT',
  [StatementType.UPDATE]: 'UPDATE',
  [StatementType.DELETE]: 'DELETE',
  [StatementType.MERGE_INTO]: 'MERGE INTO',
  [StatementType.CREATE]: 'CREATE',
  [StatementType.CREATE_FUNC]: 'CREATE FUNCTION/MACRO',
  [StatementType.ALTER]: 'ALTER',
  [StatementType.DROP]: 'DROP (or DEALLOCATE)',
  [StatementType.PREPARE]: 'PREPARE',
  [StatementType.EXECUTE]: 'EXECUTE',
  [StatementType.TRANSACTION]: 'transaction control (BEGIN, COMMIT, ROLLBACK)',
  [StatementType.COPY]: 'COPY',
  [StatementType.COPY_DATABASE]: 'COPY FROM DATABASE',
  [StatementType.EXPORT]: 'EXPORT DATABASE',
  [StatementType.ANALYZE]: 'ANALYZE',
  [StatementType.VACUUM]: 'VACUUM/ANALYZE',
  [StatementType.VARIABLE_SET]: 'SET VARIABLE',
  [StatementType.SET]: 'SET, RESET or USE',
  [StatementType.PRAGMA]: 'a PRAGMA that changes settings or state',
  [StatementType.CALL]: 'CALL (or CHECKPOINT); to read a table function use SELECT * FROM fn()',
  [StatementType.LOAD]: 'INSTALL or LOAD',
  [StatementType.EXTENSION]: 'an extension statement',
  [StatementType.UPDATE_EXTENSIONS]: 'UPDATE EXTENSIONS',
  [StatementType.ATTACH]: 'ATTACH',
  [StatementType.DETACH]: 'DETACH',
  [StatementType.MULTI]: 'several statements in one',
};

const QUERY_KINDS = 'SELECT, WITH, FROM, VALUES, TABLE, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN';

export class DuckDBSqlRunner implements SqlRunner {
  private readonly idle: DuckDBConnection[] = [];
  private readonly busy = new Set<DuckDBConnection>();
  private readonly waiting: Array<{ resolve: (c: DuckDBConnection) => void; reject: (e: Error) => void }> = [];
  private created = 0;
  private closed = false;
  private scratch: Promise<Database> | undefined;
  private readonly poolSize: number;
  private readonly maxWaiting: number;

  constructor(
    private readonly db: Database,
    private readonly options: SqlRunnerOptions,
  ) {
    this.poolSize = options.poolSize ?? 2;
    this.maxWaiting = options.maxWaiting ?? 32;
  }

  get maxRows(): number {
    return this.options.maxRows;
  }

  async run(request: SqlRequest): Promise<SqlAnswer> {
    const cap = Math.max(0, Math.min(request.limit ?? this.options.maxRows, this.options.maxRows));
    const connection = await this.acquire();
    const started = performance.now();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, this.options.timeoutMs);
    let prepared: DuckDBPreparedStatement | null = null;
    let inTransaction = false;
    try {
      prepared = await this.prepareQuery(connection, request.sql);
      bindParams(prepared, request.params);
      await connection.run('BEGIN TRANSACTION READ ONLY');
      inTransaction = true;
      const result = await prepared.stream();
      const columns = Array.from({ length: result.columnCount }, (_, i) => ({ name: result.columnName(i), type: result.columnType(i).toString() }));
      const rows: Json[][] = [];
      while (rows.length <= cap) {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) break;
        for (const row of chunk.convertRows(jsonWithExactNumbers)) {
          rows.push(row);
          if (rows.length > cap) break;
        }
      }
      const truncated = rows.length > cap;
      if (truncated) rows.length = cap;
      return { columns, rows, truncated, elapsedMs: Math.round(performance.now() - started) };
    } catch (error) {
      if (this.closed) throw new DucktraceError('shutting_down', 'the server is shutting down; the statement was interrupted', 1);
      if (timedOut) {
        throw new DucktraceError(
          'query_timeout',
          `the statement ran longer than the limit of ${this.options.timeoutMs} ms (queryTimeoutMs, DUCKTRACE_QUERY_TIMEOUT_MS) and was interrupted; narrow it, e.g. with a WHERE on start_time`,
        );
      }
      throw explain(error);
    } finally {
      clearTimeout(timer);
      prepared?.destroySync();
      let reusable = true;
      if (inTransaction) {
        try {
          await connection.run('ROLLBACK');
        } catch {
          reusable = false; // never hand on a connection that may still hold a transaction
        }
      }
      this.release(connection, reusable);
    }
  }

  /** Checks, parses and prepares the one query in `sql`; throws a 400 DucktraceError otherwise. */
  private async prepareQuery(connection: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
    if ((await this.options.guard(sql, parserOn(connection))) === 'not-a-query') throw await this.refusal(sql);
    const extracted = await extractStatements(connection, sql);
    if (extracted.count > 1) {
      throw new DucktraceError('invalid_argument', `\`sql\` holds ${extracted.count} statements (as DuckDB parsed it); send exactly one query`);
    }
    const prepared = await extracted.prepare(0);
    const type = prepared.statementType;
    if (type !== StatementType.SELECT && type !== StatementType.EXPLAIN) {
      prepared.destroySync();
      throw refusedType(type);
    }
    return prepared;
  }

  /**
   * Why a statement the guard did not accept as a query is refused: DuckDB's parse error, the number
   * of statements, or the statement type. It is parsed and prepared on a scratch in-memory instance
   * with the same schema and no data, because DuckDB evaluates PRAGMA, SET and table function
   * arguments while preparing, and that must not happen on the real database.
   */
  private async refusal(sql: string): Promise<DucktraceError> {
    this.scratch ??= Database.open(null);
    const scratch = await this.scratch;
    const connection = await scratch.connect();
    try {
      const extracted = await extractStatements(connection, sql);
      if (extracted.count > 1) {
        return new DucktraceError('invalid_argument', `\`sql\` holds ${extracted.count} statements (as DuckDB parsed it); send exactly one query`);
      }
      const prepared = await extracted.prepare(0);
      const type = prepared.statementType;
      prepared.destroySync();
      if (type === StatementType.EXPLAIN) {
        return new DucktraceError('invalid_argument', 'EXPLAIN is allowed only as EXPLAIN <query> or EXPLAIN ANALYZE <query> of one SELECT, without options and without a comment before the query');
      }
      if (type === StatementType.SELECT) {
        return new DucktraceError(
          'invalid_argument',
          "PRAGMA is not allowed here; read the same with a query: SELECT * FROM pragma_version(), SELECT * FROM pragma_table_info('spans'), DESCRIBE spans, SHOW TABLES",
        );
      }
      return refusedType(type);
    } catch (error) {
      return explain(error) as DucktraceError;
    } finally {
      connection.closeSync();
    }
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new DucktraceError('shutting_down', 'the server is shutting down', 1));
    for (const connection of this.busy) connection.interrupt();
    for (const connection of this.idle.splice(0)) connection.closeSync();
    void this.scratch?.then((scratch) => scratch.close(), () => undefined);
  }

  private async acquire(): Promise<DuckDBConnection> {
    if (this.closed) throw new DucktraceError('shutting_down', 'the server is shutting down', 1);
    let connection = this.idle.pop();
    if (!connection && this.created < this.poolSize) {
      this.created++;
      try {
        connection = await this.db.connect();
      } catch (error) {
        this.created--;
        throw error;
      }
    }
    if (!connection) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new DucktraceError('overloaded', `${this.poolSize} SQL statements are running and ${this.waiting.length} are waiting; retry shortly`, 1);
      }
      connection = await new Promise<DuckDBConnection>((resolve, reject) => this.waiting.push({ resolve, reject }));
    }
    this.busy.add(connection);
    return connection;
  }

  private release(connection: DuckDBConnection, reusable: boolean): void {
    this.busy.delete(connection);
    if (this.closed || !reusable) {
      connection.closeSync();
      this.created--;
      if (!this.closed) this.handOnNewConnection();
      return;
    }
    const next = this.waiting.shift();
    if (next) next.resolve(connection);
    else this.idle.push(connection);
  }

  /** After a connection was dropped, a waiting request gets a fresh one. */
  private handOnNewConnection(): void {
    const next = this.waiting.shift();
    if (!next) return;
    this.created++;
    this.db.connect().then(next.resolve, (error: Error) => {
      this.created--;
      next.reject(error);
    });
  }
}

const WIDE_INTEGERS: ReadonlySet<DuckDBTypeId> = new Set([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT]);
const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);

/** JSON values, with wide integers and decimals as numbers where a number is exact (see the header). */
const jsonWithExactNumbers: DuckDBValueConverter<Json> = (value, type, converter) => {
  if (typeof value === 'bigint' && WIDE_INTEGERS.has(type.typeId) && value <= MAX_EXACT && value >= -MAX_EXACT) return Number(value);
  if (value instanceof DuckDBDecimalValue) {
    const number = exactNumber(value);
    if (number !== null) return number;
  }
  return JsonDuckDBValueConverter(value, type, converter);
};

/** The decimal as a number when the number's JSON text reads back as exactly the decimal; else null. */
function exactNumber(decimal: DuckDBDecimalValue): number | null {
  const number = Number(decimal.toString());
  if (!Number.isFinite(number)) return null;
  // String(number) is what JSON.stringify writes: digits × 10^exponent, compared as integers.
  const [mantissa = '', exponentText = '0'] = String(number).split('e');
  const [whole = '', fraction = ''] = mantissa.split('.');
  const digits = BigInt(whole + fraction);
  const shift = Number(exponentText) - fraction.length + decimal.scale;
  const same = shift >= 0 ? digits * 10n ** BigInt(shift) === decimal.value : digits === decimal.value * 10n ** BigInt(-shift);
  return same ? number : null;
}

async function extractStatements(connection: DuckDBConnection, sql: string) {
  return connection.extractStatements(sql).catch((error: Error) => {
    // The binding reports zero statements (only whitespace, comments or semicolons) without a message.
    if (error.message === 'Error in native callback') throw new DucktraceError('invalid_argument', '`sql` holds no statement');
    throw error;
  });
}

function refusedType(type: StatementType): DucktraceError {
  const name = REFUSED_TYPES[type] ?? StatementType[type] ?? `statement type ${type}`;
  return new DucktraceError(
    'invalid_argument',
    `only a read-only query may run here (${QUERY_KINDS}); DuckDB parsed this statement as ${name} (statement type ${StatementType[type] ?? type})`,
  );
}

function parserOn(connection: DuckDBConnection): SqlParser {
  return {
    async serialize(sql: string): Promise<SerializedSql> {
      const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]);
      const parsed = JSON.parse(String(reader.getRows()[0]?.[0])) as {
        error: boolean;
        statements?: unknown[];
        error_type?: string;
        error_message?: string;
      };
      if (parsed.error) return { ok: false, errorType: parsed.error_type ?? '', message: parsed.error_message ?? '' };
      return { ok: true, statements: parsed.statements ?? [] };
    },
  };
}

/** Binds JSON scalars: whole numbers as INTEGER or BIGINT, other numbers as DOUBLE. */
function bindParams(prepared: DuckDBPreparedStatement, params: SqlParams | undefined): void {
  const count = prepared.parameterCount;
  const names = Array.from({ length: count }, (_, i) => {
    try {
      return prepared.parameterName(i + 1);
    } catch {
      return String(i + 1);
    }
  });
  const listed = names.map((n) => `$${n}`).join(', ');
  if (params === undefined || Array.isArray(params)) {
    const values = params ?? [];
    if (values.length !== count) {
      throw new DucktraceError(
        'invalid_argument',
        count === 0
          ? `\`params\` holds ${values.length} value(s) but the statement takes no parameters`
          : `the statement takes ${count} parameter(s) (${listed}) but \`params\` holds ${values.length} value(s)`,
      );
    }
    values.forEach((value, i) => bindOne(prepared, i + 1, value, `$${i + 1}`));
    return;
  }
  const given = Object.keys(params);
  const unknown = given.filter((key) => !names.includes(key));
  if (unknown.length > 0) {
    throw new DucktraceError('invalid_argument', `\`params\` names $${unknown[0]}, which the statement does not use; its parameters: ${listed || 'none'}`);
  }
  const missing = names.filter((name) => !given.includes(name));
  if (missing.length > 0) throw new DucktraceError('invalid_argument', `no value in \`params\` for $${missing[0]}; the statement's parameters: ${listed}`);
  for (const [name, value] of Object.entries(params)) bindOne(prepared, prepared.parameterIndex(name), value, `$${name}`);
}

function bindOne(prepared: DuckDBPreparedStatement, index: number, value: SqlParamValue, label: string): void {
  let bound: DuckDBValue = value;
  let type: DuckDBType | undefined;
  if (value === null) {
    prepared.bindNull(index);
    return;
  } else if (typeof value === 'string') type = VARCHAR;
  else if (typeof value === 'boolean') type = BOOLEAN;
  else if (Number.isSafeInteger(value)) {
    if (value >= INTEGER.min && value <= INTEGER.max) type = INTEGER;
    else {
      type = BIGINT;
      bound = BigInt(value);
    }
  } else type = DOUBLE;
  try {
    prepared.bindValue(index, bound, type);
  } catch (error) {
    throw new DucktraceError('invalid_argument', `cannot bind ${label}: ${(error as Error).message}`);
  }
}

/**
 * A DuckDB error from the user's SQL (parse, bind, catalog, conversion, permission, read-only
 * transaction...) is a 400 carrying DuckDB's message; DuckDB's own internal failures stay 500.
 */
function explain(error: unknown): Error {
  if (error instanceof DucktraceError) return error;
  const message = (error as Error).message ?? String(error);
  if (/^(INTERNAL|FATAL) Error/i.test(message)) return error as Error;
  const text = message.replace(/^Failed to extract statements: /, '');
  return new DucktraceError('invalid_argument', TIME_ZONE_MIX.test(text) ? `${text}\n\n${UTC_NOW_HINT}` : text);
}

/** DuckDB refusing to compare a span time (a TIMESTAMP without zone) with now() or current_timestamp. */
const TIME_ZONE_MIX = /Cannot (?:compare|mix) values of type (?=[^\n]*TIMESTAMP WITH TIME ZONE)(?=[^\n]*TIMESTAMP(?:_NS|_MS|_S)?\b(?! WITH))/;
const UTC_NOW_HINT =
  'Hint: span times such as start_time are TIMESTAMP_NS in UTC, while now() and current_timestamp are TIMESTAMP WITH TIME ZONE. ' +
  'Compare them with utc_now(), the current UTC time as a TIMESTAMP: WHERE start_time > utc_now() - INTERVAL 1 HOUR';
