/**
 * Brings storage back by itself once it has failed (db.health): the database is attached again when
 * DuckDB has invalidated it (which replays DuckDB's own write-ahead log, so reads work again at once),
 * then, once the disk has room, a checkpoint is tried: the write a full disk or a lack of memory
 * stopped. When it succeeds, storage is healthy again and the commits held meanwhile (their spans are
 * in ducktrace's write-ahead log) are retried. Tries are spaced out, longer each time up to maxDelayMs,
 * for as long as it takes.
 */
import type { Log } from '../../logger.js';
import { publicMessage } from './duckdbErrors.js';
import type { Database } from './database.js';

/** Free disk below which no checkpoint is tried: it would fail, and invalidate the database again. */
const MIN_FREE_BYTES = 1024 * 1024;

export interface StorageRecoveryOptions {
  /** The pause before the first try, doubled after each failed one. */
  minDelayMs?: number;
  maxDelayMs?: number;
}

export class StorageRecovery {
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly db: Database,
    private readonly log: Log,
    options: StorageRecoveryOptions = {},
  ) {
    this.minDelayMs = options.minDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    db.health.onFailure((reason) => {
      this.log.error(`ducktrace: STORAGE CANNOT WRITE: ${reason}; exports are refused with 503 and /readyz says not ready until it recovers by itself`);
      this.running ??= this.recover().finally(() => (this.running = null));
    });
  }

  private async recover(): Promise<void> {
    const started = Date.now();
    let delayMs = this.minDelayMs;
    for (let attempt = 1; !this.stopped && !this.db.health.healthy; attempt++) {
      await this.pause(delayMs);
      if (this.stopped) return;
      try {
        await this.reattachIfInvalid();
        const free = this.db.freeBytes();
        if (free < MIN_FREE_BYTES) throw new Error(`the disk holding the data directory has ${Math.floor(free / 1024)} KiB free`);
        await this.db.checkpoint();
        this.db.health.recover();
        this.log.info(`ducktrace: storage recovered after ${((Date.now() - started) / 1000).toFixed(1)} s; exports are accepted again and the spans held meanwhile are being stored`);
        return;
      } catch (error) {
        // A failed checkpoint invalidates the database again: attach it at once, so that reads go on working.
        await this.reattachIfInvalid().catch(() => undefined);
        // Logged on the 1st, 2nd, 4th, 8th... try, so that a long outage does not flood the log.
        if ((attempt & (attempt - 1)) === 0) {
          this.log.warn(`ducktrace: storage still cannot write (${publicMessage((error as Error).message)}); try ${attempt}, the next in ${Math.min(delayMs * 2, this.maxDelayMs)} ms`);
        }
        delayMs = Math.min(delayMs * 2, this.maxDelayMs);
      }
    }
  }

  private async reattachIfInvalid(): Promise<void> {
    if (!(await this.db.needsReattach())) return;
    await this.db.reattach();
    this.log.info('ducktrace: the database was attached again (DuckDB had invalidated it); queries of what is stored are answered again');
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Stops trying; resolves once the try under way has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.running;
  }
}
