/**
 * Gathers accepted spans into batches and commits them through the TraceWriter: a batch is written
 * when it reaches flushMaxSpans or flushIntervalMs after its first span, whichever comes first, and
 * up to `concurrentFlushes` batches are written at once (the writer's parallelism).
 * A submit resolves only when its spans are committed, so an acknowledged span is a stored span.
 */
import { DucktraceError } from '../../core/errors.js';
import type { SpanRow } from '../../core/model/span.js';
import type { StorageHealth } from '../../core/storage/storageHealth.js';
import type { TraceWriter } from '../../core/storage/types.js';

export interface SpanBatcherOptions {
  flushMaxSpans: number;
  flushIntervalMs: number;
  maxQueuedSpans: number;
  /** Batches written at once; default 1. */
  concurrentFlushes?: number;
  /** While storage cannot write, new spans are refused. */
  health?: StorageHealth;
}

interface Batch {
  spans: SpanRow[];
  waiters: Array<{ resolve: () => void; reject: (error: Error) => void }>;
}

/** Seconds a client is asked to wait when the queue is full or storage failed. */
const RETRY_AFTER_SECONDS = 1;

export class SpanBatcher {
  private pending: Batch = { spans: [], waiters: [] };
  private inFlight = 0;
  private readonly flushing = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  /** The pending batch's time came while every flush slot was busy. */
  private overdue = false;
  private stopped = false;

  constructor(
    private readonly writer: TraceWriter,
    private readonly options: SpanBatcherOptions,
    private readonly onCommitted: (spans: number, elapsedMs: number) => void = () => {},
  ) {}

  /** Spans accepted and not yet committed. */
  get queuedSpans(): number {
    return this.pending.spans.length + this.inFlight;
  }

  /**
   * Admission control, asked before a client is answered: throws a retryable DucktraceError when
   * `spans` more would overfill the queue (the writer is behind), storage cannot write, or the batcher
   * is stopping.
   */
  assertRoomFor(spans: number): void {
    if (this.stopped) throw new DucktraceError('shutting_down', 'ducktrace is shutting down; retry against a running instance', RETRY_AFTER_SECONDS);
    const storage = this.options.health?.state;
    if (storage && !storage.healthy) {
      throw new DucktraceError('storage_unavailable', `storage cannot write (${storage.reason}); retry later, nothing was accepted`, RETRY_AFTER_SECONDS);
    }
    if (this.queuedSpans + spans > this.options.maxQueuedSpans) {
      throw new DucktraceError(
        'overloaded',
        `the write queue is full (${this.queuedSpans} spans waiting, limit ${this.options.maxQueuedSpans}); retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
  }

  /**
   * Queues spans already accepted (admitted with assertRoomFor, or decided by the tail sampler, or
   * replayed from the write-ahead log): never refused for room, so nothing acknowledged is lost.
   */
  submit(spans: readonly SpanRow[]): Promise<void> {
    if (spans.length === 0) return Promise.resolve();
    const committed = new Promise<void>((resolve, reject) => this.pending.waiters.push({ resolve, reject }));
    for (const span of spans) this.pending.spans.push(span);
    if (this.pending.spans.length >= this.options.flushMaxSpans) this.flushSoon(0);
    else this.flushSoon(this.options.flushIntervalMs);
    return committed;
  }

  /** False while storage cannot write. */
  get storageWritable(): boolean {
    return this.options.health?.healthy ?? true;
  }

  /** Resolves once storage can write (at once when it can, or when no health is known). */
  whenWritable(): Promise<void> {
    return this.options.health?.whenHealthy() ?? Promise.resolve();
  }

  /** Commits everything submitted so far. */
  async drain(): Promise<void> {
    while (this.pending.spans.length > 0 || this.flushing.size > 0) {
      if (this.pending.spans.length > 0 && this.hasFlushSlot()) void this.flush();
      else await Promise.race(this.flushing);
    }
  }

  private hasFlushSlot(): boolean {
    return this.flushing.size < (this.options.concurrentFlushes ?? 1);
  }

  /** Refuses new spans, then commits what was accepted. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.drain();
  }

  private flushSoon(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.pending.spans.length === 0) return;
      if (this.hasFlushSlot()) void this.flush();
      else this.overdue = true; // the next finished flush writes it at once
    }, delayMs);
  }

  private flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = { spans: [], waiters: [] };
    this.overdue = false;
    this.inFlight += batch.spans.length;
    const started = performance.now();
    const flushing = this.writer
      .append(batch.spans)
      .then(
        () => {
          this.onCommitted(batch.spans.length, performance.now() - started);
          for (const waiter of batch.waiters) waiter.resolve();
        },
        (error: Error) => {
          const failure =
            error instanceof DucktraceError && error.code === 'storage_unavailable'
              ? error
              : new DucktraceError('storage_unavailable', `storage could not commit the spans: ${error.message}`, RETRY_AFTER_SECONDS);
          for (const waiter of batch.waiters) waiter.reject(failure);
        },
      )
      .finally(() => {
        this.inFlight -= batch.spans.length;
        this.flushing.delete(flushing);
        if (this.overdue || this.pending.spans.length >= this.options.flushMaxSpans) this.flushSoon(0);
        else if (this.pending.spans.length > 0 && !this.timer) this.flushSoon(this.options.flushIntervalMs);
      });
    this.flushing.add(flushing);
    return flushing;
  }
}
