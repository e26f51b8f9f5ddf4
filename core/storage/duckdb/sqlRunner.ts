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
 * Bounds, so that one statement cannot take the server down:
 *  - Time: one limit from the guard to the last row. DuckDB does not stop binding or planning when
 *    interrupted (an expression its optimizer chews on ran on long after the interrupt), so the answer
 *    does not wait for it: at the limit the request fails, and the connection goes back to the pool
 *    only once DuckDB lets go of it, so such statements never run more than the pool's size at once.
 *  - Rows and bytes: rows are converted one by one as DuckDB streams them, and conversion stops at the
 *    row cap or once the rows' JSON would pass the byte cap; the rest is never computed.
 *  - Memory: DuckDB has one memory limit for the whole instance, so a statement holding most of it
 *    leaves storage none, and a checkpoint that cannot get memory invalidates the database. While
 *    statements run, DuckDB's memory in use is watched, and past `maxMemoryBytes` they are interrupted.
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
  type DuckDBDataChunk,
  type DuckDBPreparedStatement,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type Json,
} from '@duckdb/node-api';
import { DucktraceError } from '../../errors.js';
import { logger } from '../../logger.js';
import { Database } from './database.js';
import { isOutOfMemory, publicMessage, storageUnavailable, withoutPaths } from './duckdbErrors.js';

export type SqlParamValue = string | number | boolean | null;
/** Positional (`$1`, `?`) as an array, or named (`$name`) as an object. */
export type SqlParams = SqlParamValue[] | Record<string, SqlParamValue>;

export interface SqlRequest {
  sql: string;
  params?: SqlParams;
  /** Rows wanted; capped at the runner's maxRows. */
  limit?: number;
}

export interface SqlColumn {
  name: string;
  type: string;
}

/**
 * Why an answer holds fewer rows than the statement gives: the row cap, the byte cap, or a failure after
 * the first rows were sent (the time limit, the memory bound, or another error, told in `error`).
 */
export type SqlTruncation = 'rows' | 'bytes' | 'timeout' | 'memory' | 'error';

export interface SqlAnswer {
  columns: SqlColumn[];
  rows: Json[][];
  /** True when the statement had more rows than the answer holds; `truncatedBy` says why. */
  truncated: boolean;
  truncatedBy?: SqlTruncation;
  /** For a statement that failed after its first rows were answered. */
  error?: { code: string; message: string };
  elapsedMs: number;
}

/** One row and its JSON text. */
export interface SqlRow {
  values: Json[];
  json: string;
}

/**
 * A statement that has started and given its first rows: the columns, then batches of rows as DuckDB
 * streams them. Iterate `batches` to the end, or stop early (break, return): either lets go of the
 * connection. `end` then says whether and why the rows were cut.
 */
export interface SqlRows {
  columns: SqlColumn[];
  batches: AsyncIterable<SqlRow[]>;
  end(): Pick<SqlAnswer, 'truncated' | 'truncatedBy' | 'error' | 'elapsedMs'>;
}

export interface SqlRunner {
  /** Starts the statement; throws a DucktraceError for one that may not run or fails before its first rows. */
  open(request: SqlRequest): Promise<SqlRows>;
  /** `open`, with every row gathered. */
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
  /** Every statement fails after this long, whatever DuckDB is doing (config.queryTimeoutMs). */
  timeoutMs: number;
  /** No answer holds more rows (config.sqlMaxRows). */
  maxRows: number;
  /** No answer holds rows whose JSON passes this many bytes (config.sqlMaxBytes); default 16 MiB. */
  maxBytes?: number;
  /** DuckDB's memory in use past which running statements are interrupted; default: not watched. */
  maxMemoryBytes?: number;
  /** The same while the writer checkpoints (see yieldToCheckpoint); default maxMemoryBytes. */
  checkpointMemoryBytes?: number;
  guard: SqlStatementGuard;
  /** Statements that may run at once, each on its own connection. */
  poolSize?: number;
  /** Requests that may wait for a connection; past this, a retryable 429. */
  maxWaiting?: number;
}

const DEFAULT_MAX_BYTES = 16 * 2 ** 20;
/** How long DuckDB gets to stop a call it was told to interrupt before the request fails without it. */
const INTERRUPT_GRACE_MS = 200;
/** How often DuckDB's memory in use is read while statements run. */
const MEMORY_WATCH_MS = 50;
/** How long a checkpoint waits for the statements it interrupted to let go of their memory. */
const CHECKPOINT_WAIT_MS = 2_000;
const MIB = 2 ** 20;

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

/** Why a statement was interrupted: its time limit, the memory bound, a checkpoint that needed the memory, or the server stopping. */
type Interruption = 'time' | 'memory' | 'checkpoint' | 'shutdown';

class Interrupted extends Error {}

/**
 * One statement's connection under its time limit. Each DuckDB call is awaited through `call`, which
 * fails as soon as the statement is interrupted, even while DuckDB goes on (binding and planning do not
 * stop when interrupted); `settled` tells when DuckDB has let go of the connection.
 */
class Statement {
  interruptedBy: Interruption | null = null;
  /** A call was still under way in DuckDB when the statement was interrupted. */
  abandoned = false;
  private readonly started = performance.now();
  private readonly timer: NodeJS.Timeout;
  private failCall: ((error: Error) => void) | null = null;
  private last: Promise<unknown> = Promise.resolve();

  constructor(
    readonly connection: DuckDBConnection,
    timeoutMs: number,
  ) {
    this.timer = setTimeout(() => this.interrupt('time'), timeoutMs);
  }

  interrupt(why: Interruption): void {
    if (this.interruptedBy) return;
    this.interruptedBy = why;
    this.connection.interrupt();
    // Execution stops within moments of an interrupt; a call still running after that is left to finish alone.
    setTimeout(() => {
      if (!this.failCall) return;
      this.abandoned = true;
      this.failCall(new Interrupted(why));
    }, INTERRUPT_GRACE_MS).unref();
  }

  call<T>(work: Promise<T>): Promise<T> {
    this.last = work.then(
      () => undefined,
      () => undefined,
    );
    if (this.interruptedBy) {
      this.abandoned = true;
      return Promise.reject(new Interrupted(this.interruptedBy));
    }
    return new Promise<T>((resolve, reject) => {
      this.failCall = reject;
      work.then(resolve, reject).finally(() => {
        if (this.failCall === reject) this.failCall = null;
      });
    });
  }

  /** Resolves once the last DuckDB call has ended. */
  settled(): Promise<unknown> {
    return this.last;
  }

  elapsedMs(): number {
    return Math.round(performance.now() - this.started);
  }

  stopTimer(): void {
    clearTimeout(this.timer);
  }
}

export class DuckDBSqlRunner implements SqlRunner {
  private readonly idle: DuckDBConnection[] = [];
  private readonly running = new Set<Statement>();
  private readonly waiting: Array<{ resolve: (c: DuckDBConnection) => void; reject: (e: Error) => void }> = [];
  private created = 0;
  private closed = false;
  private scratch: Promise<Database> | undefined;
  private watching = false;
  private watchConnection: Promise<DuckDBConnection> | undefined;
  private memoryReads: Promise<unknown> = Promise.resolve();
  /** The writer's checkpoints under way: meanwhile new statements wait, and the memory bound is lower. */
  private checkpoints = 0;
  private checkpointsDone: Promise<void> = Promise.resolve();
  private endCheckpoints: () => void = () => undefined;
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
    const answer = await this.open(request);
    const rows: Json[][] = [];
    for await (const batch of answer.batches) for (const row of batch) rows.push(row.values);
    return { columns: answer.columns, rows, ...answer.end() };
  }

  async open(request: SqlRequest): Promise<SqlRows> {
    const cap = Math.max(0, Math.min(request.limit ?? this.options.maxRows, this.options.maxRows));
    const connection = await this.acquire(request.sql);
    const statement = new Statement(connection, this.options.timeoutMs);
    this.running.add(statement);
    this.watchMemory();
    let prepared: DuckDBPreparedStatement | null = null;
    let began = false;
    let elapsedMs = 0;
    let finished: Promise<void> | null = null;
    /** Hands the connection back once DuckDB has let go of it; awaited unless DuckDB is still busy with an abandoned call. */
    const finish = async (): Promise<void> => {
      if (!finished) {
        elapsedMs = statement.elapsedMs();
        statement.stopTimer();
        this.running.delete(statement);
        finished = statement.settled().then(async () => {
          prepared?.destroySync();
          // A connection whose call was abandoned may hold what that call made (a prepared statement, a transaction).
          let reusable = !statement.abandoned;
          if (began && reusable) {
            try {
              await connection.run('ROLLBACK');
            } catch {
              reusable = false; // never hand on a connection that may still hold a transaction
            }
          }
          this.release(connection, reusable);
        });
      }
      if (!statement.abandoned) await finished;
    };
    let result: DuckDBResult;
    let first: DuckDBDataChunk | null;
    try {
      prepared = await this.prepareQuery(statement, request.sql);
      bindParams(prepared, request.params);
      began = true;
      await statement.call(connection.run('BEGIN TRANSACTION READ ONLY'));
      result = await statement.call(prepared.stream());
      first = await statement.call(result.fetchChunk());
    } catch (error) {
      await finish();
      throw this.failure(error, statement, request.sql);
    }
    const columns = Array.from({ length: result.columnCount }, (_, i) => ({ name: result.columnName(i), type: result.columnType(i).toString() }));
    let truncatedBy: SqlTruncation | undefined;
    let failure: DucktraceError | undefined;
    const maxBytes = this.options.maxBytes ?? DEFAULT_MAX_BYTES;
    const failureOf = (error: unknown): DucktraceError => this.failure(error, statement, request.sql);
    async function* batches(): AsyncGenerator<SqlRow[]> {
      let chunk = first;
      let count = 0;
      let bytes = 0;
      try {
        while (chunk && chunk.rowCount > 0) {
          const batch: SqlRow[] = [];
          for (let i = 0; i < chunk.rowCount && truncatedBy === undefined; i++) {
            if (count === cap) {
              truncatedBy = 'rows';
              break;
            }
            // Row by row, so that a chunk of large values is never converted whole past the byte cap.
            const values = chunk.convertRowValues(i, jsonWithExactNumbers) as Json[];
            const json = JSON.stringify(values);
            bytes += Buffer.byteLength(json) + 1;
            if (bytes > maxBytes) {
              truncatedBy = 'bytes';
              break;
            }
            batch.push({ values, json });
            count++;
          }
          if (batch.length > 0) yield batch;
          if (truncatedBy !== undefined) return;
          chunk = await statement.call(result.fetchChunk());
        }
      } catch (error) {
        failure = failureOf(error);
        truncatedBy = statement.interruptedBy === 'time' ? 'timeout' : statement.interruptedBy === 'memory' || statement.interruptedBy === 'checkpoint' ? 'memory' : 'error';
      } finally {
        await finish();
      }
    }
    return {
      columns,
      batches: batches(),
      end: () => ({
        truncated: truncatedBy !== undefined,
        ...(truncatedBy === undefined ? {} : { truncatedBy }),
        ...(failure === undefined ? {} : { error: { code: failure.code, message: failure.message } }),
        elapsedMs: finished ? elapsedMs : statement.elapsedMs(),
      }),
    };
  }

  /** Checks, parses and prepares the one query in `sql`; throws a 400 DucktraceError otherwise. */
  private async prepareQuery(statement: Statement, sql: string): Promise<DuckDBPreparedStatement> {
    if ((await this.options.guard(sql, parserOn(statement))) === 'not-a-query') throw await this.refusal(sql);
    const extracted = await statement.call(extractStatements(statement.connection, sql));
    if (extracted.count > 1) {
      throw new DucktraceError('invalid_argument', `\`sql\` holds ${extracted.count} statements (as DuckDB parsed it); send exactly one query`);
    }
    const prepared = await statement.call(extracted.prepare(0));
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
      return this.explain(error, sql);
    } finally {
      connection.closeSync();
    }
  }

  /** The error a client gets for a statement that failed. */
  private failure(error: unknown, statement: Statement, sql: string): DucktraceError {
    if (this.closed || statement.interruptedBy === 'shutdown') return new DucktraceError('shutting_down', 'the server is shutting down; the statement was interrupted', 1);
    if (statement.interruptedBy === 'time') {
      return new DucktraceError(
        'query_timeout',
        `the statement ran longer than the limit of ${this.options.timeoutMs} ms (queryTimeoutMs, DUCKTRACE_QUERY_TIMEOUT_MS) and was interrupted; narrow it, e.g. with a WHERE on start_time`,
      );
    }
    if (statement.interruptedBy === 'checkpoint') {
      return new DucktraceError(
        'query_memory',
        `the statement was interrupted to leave storage the memory for a checkpoint: DuckDB's memory in use passed ${Math.round(this.memoryBoundDuringCheckpoint() / MIB)} MiB, ` +
          'the most SQL statements may take it to while storage checkpoints (half of storageMemoryMb); retry it, or narrow it (fewer rows, smaller aggregates)',
      );
    }
    if (statement.interruptedBy === 'memory') {
      return new DucktraceError(
        'query_memory',
        `the statement was interrupted: DuckDB's memory in use passed ${Math.round((this.options.maxMemoryBytes ?? 0) / MIB)} MiB, ` +
          'the most SQL statements may take it to (sqlMemoryPercent of storageMemoryMb), so that storage keeps the rest to write spans; ' +
          'narrow the statement (fewer rows, smaller aggregates), or retry when fewer statements run',
      );
    }
    return this.explain(error, sql);
  }

  /**
   * A DuckDB error from the user's SQL (parse, bind, catalog, conversion, permission, read-only
   * transaction...) is a 400 carrying DuckDB's message, its file paths cut to file names unless the SQL
   * named them; storage that failed is a retryable 503; DuckDB's own internal failures are a 500 whose
   * details go to the server log only.
   */
  private explain(error: unknown, sql: string): DucktraceError {
    if (error instanceof DucktraceError) return error;
    const message = (error as Error).message ?? String(error);
    const unavailable = storageUnavailable(error, this.db.health);
    if (unavailable) return unavailable;
    if (isOutOfMemory(error)) {
      return new DucktraceError(
        'query_memory',
        `the statement needs more memory than DuckDB has (storageMemoryMb): ${publicMessage(message)}; narrow the statement (fewer rows, smaller aggregates)`,
      );
    }
    if (/^(INTERNAL|FATAL) Error/i.test(message)) {
      logger.error({ component: 'sql', statement: sql }, `ducktrace: SQL statement failed inside DuckDB: ${message}`);
      return new DucktraceError('internal', 'DuckDB failed while running the statement (an internal error); the server log has the details');
    }
    const text = withoutPaths(message.replace(/^Failed to extract statements: /, ''), sql);
    return new DucktraceError('invalid_argument', TIME_ZONE_MIX.test(text) ? `${text}\n\n${UTC_NOW_HINT}` : text);
  }

  /** While statements run, reads DuckDB's memory in use and interrupts them all once it passes the bound. */
  private watchMemory(): void {
    if (this.options.maxMemoryBytes === undefined || this.watching) return;
    this.watching = true;
    void (async () => {
      try {
        while (this.running.size > 0 && !this.closed) {
          const used = await this.memoryInUse();
          if (used > this.memoryBound()) for (const statement of this.running) statement.interrupt(this.checkpoints > 0 ? 'checkpoint' : 'memory');
          await pause(MEMORY_WATCH_MS);
        }
      } catch (error) {
        logger.error({ component: 'sql', err: error }, `ducktrace: watching DuckDB's memory for SQL statements stopped: ${(error as Error).message}`);
      } finally {
        this.watching = false;
      }
    })();
  }

  private memoryBoundDuringCheckpoint(): number {
    return this.options.checkpointMemoryBytes ?? this.options.maxMemoryBytes ?? Infinity;
  }

  private memoryBound(): number {
    const bound = this.options.maxMemoryBytes ?? Infinity;
    return this.checkpoints > 0 ? Math.min(bound, this.options.checkpointMemoryBytes ?? bound) : bound;
  }

  /** DuckDB's memory in use, read on a connection of the runner's own, one read at a time. */
  private memoryInUse(): Promise<number> {
    const read = this.memoryReads.then(async () => {
      const connection = await (this.watchConnection ??= this.db.instance.connect());
      try {
        const reader = await connection.runAndReadAll('SELECT coalesce(sum(memory_usage_bytes), 0)::DOUBLE FROM duckdb_memory()');
        return Number(reader.getRows()[0]?.[0]);
      } catch (error) {
        // Too little memory is left even to read how much is used.
        if (isOutOfMemory(error)) return Infinity;
        throw error;
      }
    });
    this.memoryReads = read.catch(() => undefined);
    return read;
  }

  /**
   * Makes room for a checkpoint of the writer, the one write DuckDB cannot fail without invalidating
   * the database: until the returned function is called, new statements wait, and statements running
   * while DuckDB's memory in use is above checkpointMemoryBytes are interrupted (and waited for).
   */
  async yieldToCheckpoint(): Promise<() => void> {
    if (this.checkpoints++ === 0) this.checkpointsDone = new Promise((resolve) => (this.endCheckpoints = resolve));
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      if (--this.checkpoints === 0) this.endCheckpoints();
    };
    try {
      if (this.running.size > 0 && this.options.maxMemoryBytes !== undefined && (await this.memoryInUse()) > this.memoryBound()) {
        const statements = [...this.running];
        for (const statement of statements) statement.interrupt('checkpoint');
        await Promise.race([Promise.all(statements.map((statement) => statement.settled())), pause(CHECKPOINT_WAIT_MS)]);
      }
    } catch {
      // The checkpoint goes ahead: making room is a precaution.
    }
    return release;
  }

  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.reject(new DucktraceError('shutting_down', 'the server is shutting down', 1));
    for (const statement of this.running) statement.interrupt('shutdown');
    for (const connection of this.idle.splice(0)) connection.closeSync();
    void this.watchConnection?.then((connection) => connection.closeSync(), () => undefined);
    void this.scratch?.then((scratch) => scratch.close(), () => undefined);
  }

  private async acquire(sql: string): Promise<DuckDBConnection> {
    if (this.closed) throw new DucktraceError('shutting_down', 'the server is shutting down', 1);
    // A statement begun during a checkpoint could take the memory the checkpoint needs.
    if (this.checkpoints > 0) await Promise.race([this.checkpointsDone, pause(this.options.timeoutMs)]);
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.created < this.poolSize) {
      this.created++;
      try {
        return await this.db.connect();
      } catch (error) {
        this.created--;
        throw this.explain(error, sql);
      }
    }
    if (this.waiting.length >= this.maxWaiting) {
      throw new DucktraceError('overloaded', `${this.poolSize} SQL statements are running and ${this.waiting.length} are waiting; retry shortly`, 1);
    }
    // Waiting counts toward nothing else, so it has a bound of its own: the same time limit.
    return new Promise<DuckDBConnection>((resolve, reject) => {
      const waiter = {
        resolve: (connection: DuckDBConnection) => {
          clearTimeout(timer);
          resolve(connection);
        },
        reject: (error: Error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        reject(new DucktraceError('overloaded', `no SQL connection came free within ${this.options.timeoutMs} ms: ${this.poolSize} statements are running; retry shortly`, 1));
      }, this.options.timeoutMs);
      this.waiting.push(waiter);
    });
  }

  private release(connection: DuckDBConnection, reusable: boolean): void {
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
      next.reject(this.explain(error, ''));
    });
  }
}

/** A pause that does not keep the process alive. */
function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
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

function parserOn(statement: Statement): SqlParser {
  return {
    async serialize(sql: string): Promise<SerializedSql> {
      const reader = await statement.call(statement.connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR)', [sql]));
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

/** DuckDB refusing to compare a span time (a TIMESTAMP without zone) with now() or current_timestamp. */
const TIME_ZONE_MIX = /Cannot (?:compare|mix) values of type (?=[^\n]*TIMESTAMP WITH TIME ZONE)(?=[^\n]*TIMESTAMP(?:_NS|_MS|_S)?\b(?! WITH))/;
const UTC_NOW_HINT =
  'Hint: span times such as start_time are TIMESTAMP_NS in UTC, while now() and current_timestamp are TIMESTAMP WITH TIME ZONE. ' +
  'Compare them with utc_now(), the current UTC time as a TIMESTAMP: WHERE start_time > utc_now() - INTERVAL 1 HOUR';
