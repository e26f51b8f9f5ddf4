/**
 * Sheds export load by memory, as the OpenTelemetry Collector's memory_limiter does: while the
 * JavaScript memory in use (heap, garbage included, and buffers) plus what the exports being read and
 * decoded are about to take passes the limit, new exports are refused with a retryable error. So more
 * load, more concurrent exports or larger ones, shows up as refusals the client retries, not as a
 * growing process; the counted limits (maxQueuedSpans, the tail sampler's) bound what stays held.
 */
import { getHeapStatistics } from 'node:v8';
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

export class MemoryLimiter {
  private reservedBytes = 0;
  private refusedCount = 0;

  constructor(
    readonly limitBytes: number,
    private readonly memoryInUse: () => number = javascriptMemoryInUse,
  ) {}

  /** Bytes reserved by exports being read or decoded. */
  get reserved(): number {
    return this.reservedBytes;
  }

  /** Exports refused so far for memory. */
  get refused(): number {
    return this.refusedCount;
  }

  /**
   * Reserves `bytes` for an export about to be read or decoded and returns the release (idempotent),
   * or throws DucktraceError 'overloaded' when the memory in use and reserved would pass the limit.
   */
  reserve(bytes: number): () => void {
    const inUse = this.memoryInUse();
    if (inUse + this.reservedBytes + bytes > this.limitBytes) {
      this.refusedCount++;
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
