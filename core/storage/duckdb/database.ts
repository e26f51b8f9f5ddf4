/**
 * Opens the DuckDB file under the data directory, brings its schema up to date, and attaches it again
 * when DuckDB has invalidated it.
 *
 * The file is not DuckDB's initial database but attached to an in-memory instance, under the name
 * DuckDB would give it (`ducktrace`) and made every connection's default. DuckDB treats a failed
 * checkpoint (a full disk, or no memory left for it) as fatal: an initial database is then invalid
 * until the process restarts, while an attached one is invalidated alone and comes back, its
 * write-ahead log replayed, when it is detached and attached again (`reattach`).
 */
import { mkdirSync, statfsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { MIGRATIONS } from '../schema.js';
import { StorageHealth } from '../storageHealth.js';

export const DATABASE_FILE = 'ducktrace.duckdb';
/** The name the file is attached under: the one DuckDB gives a file opened directly, so `ducktrace.spans` keeps working. */
export const DATABASE_NAME = 'ducktrace';

export class DataDirectoryLockedError extends Error {}

/** The database file is damaged: ducktrace must not start on it and acknowledge spans it cannot store. */
export class DamagedDatabaseError extends Error {}

/** A DuckDB file starts with three 4 KiB headers; its blocks follow. */
const FILE_HEADERS_BYTES = 3 * 4096;

/** How long a reattach waits for the transactions still holding the invalidated database to end. */
const REATTACH_WAIT_MS = 10_000;

/**
 * The instance's settings. ducktrace needs no files but its own, no network and no extensions, and user
 * SQL runs on this instance: external access is switched off once the file is attached (DuckDB then
 * allows that file, its write-ahead log and the temporary directory only) and the configuration is
 * locked (no SET, ATTACH, COPY, INSTALL).
 */
const SETTINGS: Record<string, string> = {
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  /**
   * The storage format of a file DuckDB creates (one it opens keeps its own). DuckDB's default stays
   * readable by v0.10; this one also compresses strings with a dictionary of FSST-compressed values: at
   * 10 M of the bench's spans, 3.6% fewer bytes and a scan of the attribute maps 3.5 times as fast.
   */
  storage_compatibility_version: 'v1.5.0',
  /**
   * No automatic checkpoint at a commit: a checkpoint that finds no memory invalidates the database, so
   * the writer checkpoints (every checkpointSpans spans, see spanWriter.ts) after SQL statements have
   * made room for it.
   */
  checkpoint_threshold: '1000GB',
};

export class Database {
  /** Whether storage can write; the writer marks it failing, storage recovery healthy again. */
  readonly health = new StorageHealth();
  /** Settles when the reattach under way is done: a connection made meanwhile would find no database to use. */
  private reattaching: Promise<void> | null = null;

  private constructor(
    readonly instance: DuckDBInstance,
    /** The database file, or `:memory:`. */
    readonly path: string,
    /** A connection on the instance's own in-memory database, which detaches and attaches the file. */
    private readonly control: DuckDBConnection,
  ) {}

  /**
   * `dataDir` null opens an in-memory database (unit tests). `memoryLimitMb` caps DuckDB's own memory
   * (its buffer pool and query state; beyond it DuckDB evicts or fails the query); DuckDB's default is
   * 80% of the machine's memory.
   */
  static async open(dataDir: string | null, memoryLimitMb?: number): Promise<Database> {
    let path = ':memory:';
    const settings = { ...SETTINGS };
    if (dataDir !== null) {
      mkdirSync(dataDir, { recursive: true });
      path = join(resolve(dataDir), DATABASE_FILE);
      // Where DuckDB spills what does not fit in memory: beside the file, as for a file it opens itself.
      settings.temp_directory = `${path}.tmp`;
    }
    if (memoryLimitMb !== undefined) settings.memory_limit = `${memoryLimitMb}MB`;
    const instance = await DuckDBInstance.create(':memory:', settings);
    let control: DuckDBConnection | null = null;
    try {
      control = await instance.connect();
      await attach(control, path);
      await control.run('SET enable_external_access = false');
      await control.run('SET lock_configuration = true');
    } catch (error) {
      control?.closeSync();
      instance.closeSync();
      throw explainOpenError(error as Error, dataDir ?? path);
    }
    const db = new Database(instance, path, control);
    try {
      if (dataDir !== null) await db.checkFileLength();
      await db.migrate();
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  }

  /**
   * A file cut short (a full disk, a copy that stopped) can still open when the blocks DuckDB reads at
   * start come before the cut; the blocks after it fail only when a query reaches them. DuckDB's own
   * block count says how long the file must be.
   */
  private async checkFileLength(): Promise<void> {
    const connection = await this.connect();
    try {
      const row = (await connection.runAndReadAll('SELECT total_blocks, block_size FROM pragma_database_size() WHERE database_name = current_database()')).getRowObjects()[0];
      if (!row) return;
      const expected = FILE_HEADERS_BYTES + Number(row.total_blocks) * Number(row.block_size);
      const actual = statSync(this.path).size;
      if (actual < expected) {
        throw new DamagedDatabaseError(
          `the database file ${this.path} is truncated: it holds ${actual} bytes, and its own catalog says ${expected}; ` +
            'ducktrace will not start on it and accept spans it could not store. Restore the file from a backup, or move it ' +
            'aside to start with an empty database; the write-ahead log in the data directory still holds the spans not yet stored, ' +
            'and they are stored again at the next start',
        );
      }
    } finally {
      connection.closeSync();
    }
  }

  /** A connection whose default database is the file. */
  async connect(): Promise<DuckDBConnection> {
    await this.available();
    const connection = await this.instance.connect();
    try {
      await connection.run(`USE ${DATABASE_NAME}`);
    } catch (error) {
      connection.closeSync();
      throw error;
    }
    return connection;
  }

  /** Resolves once no reattach is under way. */
  available(): Promise<void> {
    return this.reattaching ?? Promise.resolve();
  }

  /** True when the file is not attached or DuckDB has invalidated it, so that it must be attached again. */
  async needsReattach(): Promise<boolean> {
    try {
      await this.control.run(`SELECT 1 FROM ${DATABASE_NAME}.schema_version LIMIT 0`);
      return false;
    } catch {
      return true;
    }
  }

  /**
   * Detaches the file and attaches it again, which replays DuckDB's write-ahead log: the way back from
   * an invalidated database. Connections keep working on the new attachment, and their prepared
   * statements are bound again by DuckDB.
   */
  reattach(): Promise<void> {
    this.reattaching ??= this.detachAndAttach().finally(() => (this.reattaching = null));
    return this.reattaching;
  }

  private async detachAndAttach(): Promise<void> {
    await this.control.run(`DETACH DATABASE IF EXISTS ${DATABASE_NAME}`);
    const deadline = Date.now() + REATTACH_WAIT_MS;
    for (;;) {
      try {
        await attach(this.control, this.path);
        return;
      } catch (error) {
        // A transaction begun before the detach still holds the old attachment; each runs under a time limit.
        if (!/Unique file handle conflict/.test((error as Error).message) || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Applies the migrations this file has not seen yet; returns the schema version now in force. */
  async migrate(): Promise<number> {
    const connection = await this.connect();
    try {
      await connection.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, description VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())');
      const current = await connection.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_version');
      let version = Number(current.getRowObjects()[0]!.v);
      for (const migration of MIGRATIONS) {
        if (migration.version <= version) continue;
        await connection.run('BEGIN TRANSACTION');
        try {
          for (const statement of migration.statements) await connection.run(statement);
          await connection.run('INSERT INTO schema_version (version, description) VALUES ($1, $2)', [migration.version, migration.description]);
          await connection.run('COMMIT');
        } catch (error) {
          await connection.run('ROLLBACK');
          throw new Error(`schema migration ${migration.version} (${migration.description}) failed: ${(error as Error).message}`);
        }
        version = migration.version;
      }
      return version;
    } finally {
      connection.closeSync();
    }
  }

  /** Writes everything to the main file so that a restart needs no WAL replay and the file size is true. */
  async checkpoint(): Promise<void> {
    const connection = await this.connect();
    try {
      await connection.run('CHECKPOINT');
    } finally {
      connection.closeSync();
    }
  }

  /** Bytes on disk of the database file and DuckDB's own WAL beside it (0 in memory). */
  fileBytes(): number {
    return sizeOf(this.path) + this.walBytes();
  }

  /** Bytes of DuckDB's own write-ahead log: about what the next checkpoint writes to the file at most. */
  walBytes(): number {
    return sizeOf(`${this.path}.wal`);
  }

  /** Bytes free to ducktrace on the disk holding the file (Infinity in memory). */
  freeBytes(): number {
    if (this.path === ':memory:') return Infinity;
    const stats = statfsSync(dirname(this.path));
    return stats.bavail * stats.bsize;
  }

  close(): void {
    this.control.closeSync();
    this.instance.closeSync();
  }
}

function sizeOf(file: string): number {
  if (file.startsWith(':memory:')) return 0;
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

async function attach(connection: DuckDBConnection, path: string): Promise<void> {
  await connection.run(`ATTACH '${path.replaceAll("'", "''")}' AS ${DATABASE_NAME}`);
}

function explainOpenError(error: Error, where: string): Error {
  if (error.message.includes('Could not set lock on file')) {
    const pid = /PID (\d+)/.exec(error.message)?.[1];
    return new DataDirectoryLockedError(
      `data directory ${where} is in use by another running ducktrace${pid ? ` (pid ${pid})` : ''}; ` +
        'stop it first, or point DUCKTRACE_DATA_DIR at another directory',
    );
  }
  if (error.message.includes('Could not read enough bytes')) {
    return new DamagedDatabaseError(
      `the database file in ${where} is truncated or damaged (${error.message}); restore it from a backup, or move it aside to start ` +
        'with an empty database; the write-ahead log in the data directory still holds the spans not yet stored',
    );
  }
  return new Error(`cannot open the database in ${where}: ${error.message}`);
}
