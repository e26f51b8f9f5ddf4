/**
 * Sheds export load by memory, as the OpenTelemetry Collector's memory_limiter does: while the
 * JavaScript memory in use (heap, garbage included, and buffers) plus what the exports being read and
 * decoded are about to take passes the limit, new exports are refused with a retryable error. So more
 * load, more concurrent exports or larger ones, shows up as refusals the client retries, not as a
 * growing process; the counted limits (maxQueuedSpans, the tail sampler's) bound what stays held.
 * The heap in use counts garbage too, and V8 collects it late when its own limit is far: so before it
 * refuses, the limiter has V8 collect garbage, at most once a second (every 10 s while collecting does
 * not make room), and refuses only if the memory is still not there.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DucktraceError } from '../../core/errors.js';

/** Heap bytes a decoded request takes per byte of its body (measured on the bench's workload: 4.0 and 1.6). */
export const DECODED_BYTES_PER_BODY_BYTE = { protobuf: 4, json: 2 } as const;

/** The share of V8's heap limit that the limit may use at most: past the heap limit the process dies. */
const HEAP_LIMIT_SHARE = 0.75;

const MIB = 1024 * 1024;
const RETRY_AFTER_SECONDS = 1;

/** V8 heap in use, garbage included, plus the memory of buffers (request bodies, write-ahead log records). */
export function javascriptMemoryInUse(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

/** The limit to enforce: the configured one, lowered to a safe share of V8's heap limit when that is smaller. */
export function effectiveMemoryLimitBytes(memoryLimitMb: number, heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.min(memoryLimitMb * MIB, Math.floor(heapLimitBytes * HEAP_LIMIT_SHARE));
}

/** V8's full garbage collection, made callable without starting Node.js with --expose-gc. */
export function fullGarbageCollection(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** After a collection that made room, and after one that did not: the least time before the next. */
const COLLECTION_INTERVAL_MS = { madeRoom: 1_000, madeNoRoom: 10_000 } as const;

export interface MemoryLimiterOptions {
  memoryInUse?: () => number;
  collectGarbage?: () => void;
  now?: () => number;
}

export class MemoryLimiter {
  private reservedBytes = 0;
  private collectionCount = 0;
  private nextCollectionAt = 0;
  private readonly memoryInUse: () => number;
  private readonly collectGarbage: () => void;
  private readonly now: () => number;

  constructor(
    readonly limitBytes: number,
    options: MemoryLimiterOptions = {},
  ) {
    this.memoryInUse = options.memoryInUse ?? javascriptMemoryInUse;
    this.collectGarbage = options.collectGarbage ?? fullGarbageCollection();
    this.now = options.now ?? Date.now;
  }

  /** Garbage collections the limiter asked for. */
  get collections(): number {
    return this.collectionCount;
  }

  /** Bytes reserved by exports being read or decoded. */
  get reserved(): number {
    return this.reservedBytes;
  }

  /**
   * Reserves `bytes` for an export about to be read or decoded and returns the release (idempotent),
   * or throws DucktraceError 'overloaded' when the memory in use and reserved would pass the limit.
   */
  reserve(bytes: number): () => void {
    let inUse = this.memoryInUse();
    if (inUse + this.reservedBytes + bytes > this.limitBytes && this.now() >= this.nextCollectionAt) {
      this.collectGarbage();
      this.collectionCount++;
      inUse = this.memoryInUse();
      const madeRoom = inUse + this.reservedBytes + bytes <= this.limitBytes;
      this.nextCollectionAt = this.now() + COLLECTION_INTERVAL_MS[madeRoom ? 'madeRoom' : 'madeNoRoom'];
    }
    if (inUse + this.reservedBytes + bytes > this.limitBytes) {
      throw new DucktraceError(
        'overloaded',
        `the server's memory is at its limit (${mib(inUse)} MiB in use, ${mib(this.reservedBytes + bytes)} MiB wanted by exports being read, limit ${mib(this.limitBytes)} MiB: memoryLimitMb); retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.reservedBytes += bytes;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.reservedBytes -= bytes;
    };
  }
}

function mib(bytes: number): number {
  return Math.round(bytes / MIB);
}
