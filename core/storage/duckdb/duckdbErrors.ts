/**
 * What DuckDB's error messages mean for ducktrace: a storage failure (the database invalidated, the
 * disk full, an I/O error), a commit that is durable although it reported an error, or running out
 * of memory; and the part of a message that may be shown to a client: its first line, without the
 * SQL DuckDB quotes after it and with file paths cut to their last component.
 */
import { DucktraceError } from '../../errors.js';
import { logger } from '../../logger.js';
import type { StorageHealth } from '../storageHealth.js';

export type StorageFailureKind = 'invalidated' | 'disk_full' | 'io';

export interface StorageFailure {
  kind: StorageFailureKind;
  /** For logs and /readyz: what happened, without file paths. */
  reason: string;
}

const INVALIDATED = /has been invalidated|Checkpoint failed for database|Failed to create checkpoint|autocheckpoint failed|must be restarted prior to being used again/;
const DISK_FULL = /No space left on device|ENOSPC|Disk quota exceeded|EDQUOT|File too large|EFBIG/;
const IO = /^(?:\w+ Error: )*IO Error|Could not (?:write|read|open|truncate|sync|fsync) (?:file|from file)|Could not set lock/;

export function storageFailureOf(error: unknown): StorageFailure | null {
  const message = messageOf(error);
  if (INVALIDATED.test(message)) {
    const cause = DISK_FULL.test(message) ? 'the disk holding the data directory is full' : publicMessage(message);
    return { kind: 'invalidated', reason: `DuckDB invalidated the database after a failed write (${cause})` };
  }
  if (DISK_FULL.test(message)) return { kind: 'disk_full', reason: 'the disk holding the data directory is full' };
  if (IO.test(message)) return { kind: 'io', reason: `storage cannot read or write its files (${publicMessage(message)})` };
  return null;
}

/**
 * DuckDB says a COMMIT whose automatic checkpoint failed is durable: its rows are in DuckDB's write-ahead
 * log and come back when the database is attached again, so writing them again would store them twice.
 */
export function committedDespiteError(error: unknown): boolean {
  return /Transaction COMMIT succeeded and is durable/.test(messageOf(error));
}

/** DuckDB's errors when a query, or its commit, would pass the memory limit. */
export function isOutOfMemory(error: unknown): boolean {
  return /Out of Memory Error|failed to pin block|could not allocate block|failed to allocate data/.test(messageOf(error));
}

/** The first line of a DuckDB message (what follows it quotes the SQL or suggests settings), paths cut to file names. */
export function publicMessage(message: string): string {
  const firstLine = message.split('\n', 1)[0]!.trim();
  return withoutPaths(firstLine);
}

/**
 * Absolute paths cut to their last component, but for those `keep` holds (a path the user's own SQL
 * named): a client learns which file, not where the data directory is.
 */
export function withoutPaths(text: string, keep = ''): string {
  return text.replace(/(?<![\w.:/-])(?:\/[^\s"'/:]+)+\/([^\s"'/:]+)/g, (path, name: string) => (keep.includes(path) ? path : name));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The retryable 503 for a query that met failing storage, or null. An invalidated database also marks
 * storage failing, so that it is attached again; while it is being attached, its tables are missing.
 */
export function storageUnavailable(error: unknown, health: StorageHealth): DucktraceError | null {
  const storage = storageFailureOf(error);
  if (!storage && (health.healthy || !/^Catalog Error/.test(messageOf(error)))) return null;
  if (storage?.kind === 'invalidated') health.fail(storage.reason);
  const state = health.state;
  const reason = storage?.reason ?? (state.healthy ? 'the database is being attached again' : state.reason);
  return new DucktraceError('storage_unavailable', `storage is recovering (${reason}); retry shortly`, 1);
}

/**
 * What a query API caller is told when ducktrace's own SQL failed: never DuckDB's text whole, which
 * quotes that SQL. Failing storage is a retryable 503; a value DuckDB refuses (a regex RE2 rejects, a
 * number out of range) is a 400 with DuckDB's first line; anything else is a 500 whose details go to
 * the server log.
 */
export function queryFailure(error: unknown, health: StorageHealth, sql: string): DucktraceError {
  if (error instanceof DucktraceError) return error;
  const unavailable = storageUnavailable(error, health);
  if (unavailable) return unavailable;
  const message = messageOf(error);
  if (/^(Invalid Input|Conversion|Out of Range) Error/.test(message)) return new DucktraceError('invalid_argument', `a parameter is out of range or invalid: ${publicMessage(message)}`);
  logger.error({ component: 'storage', query: sql }, `ducktrace: a query failed: ${message}`);
  return new DucktraceError('internal', 'the query failed (an internal error); the server log has the details');
}
