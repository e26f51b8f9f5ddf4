/**
 * Runs the query services' SQL on a small pool of connections, each query under a time limit: when
 * the limit passes, the query's own connection is interrupted, so other queries are unaffected.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { DucktraceError } from '../../errors.js';
import type { Database } from './database.js';
import { queryFailure } from './duckdbErrors.js';

export type QueryParams = Record<string, string | number | boolean | bigint | null>;

export interface QueryExecutor {
  /** Rows as plain objects: BIGINT as bigint, lists as arrays, structs as objects. */
  all(sql: string, params?: QueryParams): Promise<Record<string, unknown>[]>;
}

export class DuckDBQueryExecutor implements QueryExecutor {
  private readonly idle: DuckDBConnection[] = [];
  private readonly waiting: Array<(connection: DuckDBConnection) => void> = [];
  private created = 0;

  constructor(
    private readonly db: Database,
    /** Each query's time limit; a reload may change it, for the queries that start after. */
    public timeoutMs: number,
    private readonly poolSize = 4,
  ) {}

  async all(sql: string, params: QueryParams = {}): Promise<Record<string, unknown>[]> {
    await this.db.available();
    let connection: DuckDBConnection;
    try {
      connection = await this.acquire();
    } catch (error) {
      throw queryFailure(error, this.db.health, sql);
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      connection.interrupt();
    }, this.timeoutMs);
    try {
      const reader = await connection.runAndReadAll(sql, usedParams(sql, params));
      return reader.getRowObjectsJS() as Record<string, unknown>[];
    } catch (error) {
      if (timedOut) {
        throw new DucktraceError('query_timeout', `the query took longer than the limit of ${this.timeoutMs} ms (queryTimeoutMs); narrow the time range or the filters`);
      }
      // Bad user input that only DuckDB can judge, such as a regex RE2 refuses, is a 400; the rest never shows DuckDB's text.
      throw queryFailure(error, this.db.health, sql);
    } finally {
      clearTimeout(timer);
      this.release(connection);
    }
  }

  close(): void {
    for (const connection of this.idle) connection.closeSync();
    this.idle.length = 0;
  }

  private async acquire(): Promise<DuckDBConnection> {
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.created < this.poolSize) {
      this.created++;
      try {
        return await this.db.connect();
      } catch (error) {
        this.created--;
        throw error;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(connection: DuckDBConnection): void {
    const next = this.waiting.shift();
    if (next) next(connection);
    else this.idle.push(connection);
  }
}

/** DuckDB refuses named parameters a statement does not use; services share one parameter set across statements. */
function usedParams(sql: string, params: QueryParams): Record<string, DuckDBValue> {
  const used = new Set([...sql.matchAll(/\$(\w+)/g)].map((m) => m[1]!));
  return Object.fromEntries(Object.entries(params).filter(([name]) => used.has(name))) as Record<string, DuckDBValue>;
}
