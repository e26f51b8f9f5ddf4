/**
 * The write-ahead log: accepted spans are made durable here before the client is acknowledged, and
 * replayed at start-up so that nothing acknowledged is lost when the process stops before the spans
 * reach storage.
 *
 * ## Files
 * A directory of segment files, `NNNNNNNNNNNNNNNNNNNN.wal`: the id of the segment's first record in
 * 20 decimal digits, zero-padded (so names sort in id order; u64 fits in 20 digits). Exactly one
 * segment, the newest, is written; the others are sealed. Records are appended; a segment is rolled
 * when the next group commit would take it past `segmentBytes`. A sealed segment all of whose records
 * are released is deleted. Creating or deleting a segment is followed by an fsync of the directory.
 *
 * ## Segment header (24 bytes, all integers little-endian)
 *   0  u32  magic 0x4c575444 ("DTWL")
 *   4  u16  format version (1)
 *   6  u16  header length (24)
 *   8  u64  first record id (the same as the file name)
 *  16  u32  CRC-32 of bytes 0..16
 *  20  u32  reserved, 0
 *
 * ## Record frame (28-byte header + payload)
 *   0  u32  magic 0x52575444 ("DTWR")
 *   4  u32  CRC-32 (IEEE) of bytes 8..end of payload: covers the header fields below and the payload
 *   8  u32  payload length in bytes
 *  12  u32  uncompressed length: the length of the v8.serialize'd span array
 *  16  u64  record id; ids increase by one per append, across segments and restarts (never reused)
 *  24  u8   flags: bit 0 = payload is an lz4 block; clear = payload stored raw (lz4 could not shrink it);
 *           bit 1 (without bit 0) = payload is slices, for records of many spans (below)
 *  25  3 bytes reserved, 0
 *  28  payload: lz4 block (or raw) of v8.serialize(SpanRow[]) (v8's format keeps bigint fields)
 *
 * A sliced payload is a sequence of slices, each `u32 stored bytes, u32 serialized bytes, u32 flags
 * (bit 0: lz4)` and then the lz4 block (or raw bytes) of v8.serialize of up to 4,096 of the record's
 * spans; the header's uncompressed length is the sum of the serialized bytes. Serializing a slice at a
 * time lets a request of a hundred thousand spans share the event loop.
 *
 * ## Recovery
 * Every segment is read in id order. A record whose header or payload runs past the end of the file,
 * whose magic, CRC or flags are wrong, whose id does not increase, or whose payload does not decode is
 * damaged: the reader skips to the next offset where a whole valid frame starts (the magic, a matching
 * CRC and an increasing id make a false start all but impossible), so one damaged record costs only
 * itself. Each skipped stretch is copied to `damaged/` and reported through `onCorruption`. Open never
 * throws for corrupt data. Whether a record was released before the stop is not recorded, so every surviving record is
 * recovered (and counts as unreleased); the consumer is idempotent by trace id and span id.
 * Open always starts a new segment, so nothing is ever appended after a torn tail.
 *
 * ## Group commit
 * `append` serializes and compresses at once (so the size is known for backpressure), then waits up to
 * `groupCommitMs` for company; all gathered frames go to disk in one positional write and one
 * fdatasync, after which every one of their promises resolves. Appends arriving during a commit form
 * the next group, which is written as soon as the current one is durable.
 */
import type { FileHandle } from 'node:fs/promises';
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import v8 from 'node:v8';
import { crc32 } from 'node:zlib';
import { DucktraceError } from '../../core/errors.js';
import type { SpanRow } from '../../core/model/span.js';

interface Lz4Block {
  encodeBlock(input: Buffer, output: Buffer): number;
  decodeBlock(input: Buffer, output: Buffer): number;
}
// lz4 ships no type declarations; only its block functions are used.
const lz4 = createRequire(import.meta.url)('lz4') as Lz4Block;

export interface WalOptions {
  /** The directory of segment files, e.g. <dataDir>/wal; created when missing. */
  dir: string;
  /** Roll to a new segment file when the next commit would take the current one past this size (default 64 MiB). */
  segmentBytes?: number;
  /** Bound on WAL disk use; append() refuses beyond it (backpressure). Default 1 GiB. */
  maxDiskBytes?: number;
  /** Gather appends for up to this long before one write + fsync for all (default 2 ms; 0 = the same event-loop turn). */
  groupCommitMs?: number;
  /** Called at open once per damaged stretch of a segment that recovery skipped: a loud log line and metrics. */
  onCorruption?: (message: string, skippedBytes: number) => void;
}

export interface RecoveredRecord {
  id: bigint;
  spans: SpanRow[];
}

export const WAL_DEFAULTS = {
  segmentBytes: 64 * 1024 * 1024,
  maxDiskBytes: 1024 * 1024 * 1024,
  groupCommitMs: 2,
} as const;

/** Seconds a client is asked to wait when the WAL is full. */
const RETRY_AFTER_SECONDS = 1;

const SEGMENT_MAGIC = 0x4c575444;
const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 24;
const RECORD_MAGIC = 0x52575444;
export const RECORD_HEADER_BYTES = 28;
const FLAG_LZ4 = 1;
/** The payload is a sequence of slices (see below), each an lz4 block or raw. */
const FLAG_SLICED = 2;
/** A slice: u32 stored bytes, u32 serialized bytes, u32 flags (FLAG_LZ4 or 0), then the stored bytes. */
const SLICE_HEADER_BYTES = 12;
/** A record of more spans than this is serialized and compressed a slice at a time, yielding between slices. */
const SLICE_SPANS = 4096;
/** Largest serialized record accepted (lz4's block limit is just under 2 GiB). */
const MAX_RECORD_BYTES = 1024 * 1024 * 1024;
/** A group commit is started at once, without waiting groupCommitMs, when this much is gathered. */
const EAGER_COMMIT_BYTES = 8 * 1024 * 1024;
const SEGMENT_NAME = /^(\d{20})\.wal$/;
/** While writes fail, a file of this size is written and removed beside the segments, this often. */
const PROBE_FILE = '.write-probe';
const PROBE_BYTES = 64 * 1024;
const PROBE_INTERVAL_MS = 1000;
/** Beside the segments: copies of the stretches recovery could not read. */
export const DAMAGED_DIR = 'damaged';

interface Segment {
  firstId: bigint;
  file: string;
  /** Bytes in the file that belong to it: header plus committed frames. */
  bytes: number;
  /** Ids of committed (or recovered) records not yet released. */
  unreleased: Set<bigint>;
  /** Whether any record was committed to (or recovered from) it. */
  hasRecords: boolean;
  deleting: boolean;
}

interface PendingRecord {
  id: bigint;
  frame: Buffer;
  uncompressedBytes: number;
  payloadBytes: number;
  resolve: (id: bigint) => void;
  reject: (error: Error) => void;
}

export function segmentFileName(firstId: bigint): string {
  return `${firstId.toString().padStart(20, '0')}.wal`;
}

export class WriteAheadLog {
  private readonly dir: string;
  private segmentBytes: number;
  private maxDiskBytes: number;
  private groupCommitMs: number;

  /** All segments in id order; the last is the one being written. */
  private readonly segments: Segment[] = [];
  private active!: Segment;
  private handle!: FileHandle;
  private nextId = 1n;

  private pending: PendingRecord[] = [];
  private pendingBytes = 0;
  private inFlightBytes = 0;
  private flushing: Promise<void> | null = null;
  /** Cancels the pending group commit's timer. */
  private timer: (() => void) | null = null;
  /** Set after a failed write or fsync: the next commit goes to a fresh segment. */
  private mustRoll = false;
  private failure: string | null = null;
  private probe: NodeJS.Timeout | null = null;
  private closing = false;
  private closed: Promise<void> | null = null;
  private background: Promise<void> = Promise.resolve();

  private committedDiskBytes = 0;
  private totalUncompressed = 0;
  private totalCompressed = 0;
  private fsyncs = 0;

  private constructor(options: WalOptions) {
    this.dir = options.dir;
    this.segmentBytes = WAL_DEFAULTS.segmentBytes;
    this.maxDiskBytes = WAL_DEFAULTS.maxDiskBytes;
    this.groupCommitMs = WAL_DEFAULTS.groupCommitMs;
    this.reconfigure(options);
  }

  /** New bounds for what comes next (a configuration reload); records already written stay where they are. */
  reconfigure(options: Pick<WalOptions, 'segmentBytes' | 'maxDiskBytes' | 'groupCommitMs'>): void {
    const next = {
      segmentBytes: options.segmentBytes ?? this.segmentBytes,
      maxDiskBytes: options.maxDiskBytes ?? this.maxDiskBytes,
      groupCommitMs: options.groupCommitMs ?? this.groupCommitMs,
    };
    for (const [name, value] of Object.entries(next)) {
      if (!Number.isFinite(value) || value < 0) throw new RangeError(`WAL ${name} must be a non-negative number, got ${value}`);
    }
    ({ segmentBytes: this.segmentBytes, maxDiskBytes: this.maxDiskBytes, groupCommitMs: this.groupCommitMs } = next);
  }

  /**
   * Opens the directory, replays every segment (skipping a corrupt or truncated tail with onCorruption,
   * recovering everything before it, and also later segments), and returns the log plus the records not
   * yet released, in id order.
   */
  static async open(options: WalOptions): Promise<{ wal: WriteAheadLog; recovered: RecoveredRecord[] }> {
    const wal = new WriteAheadLog(options);
    const report = options.onCorruption ?? (() => {});
    const created = await fs.mkdir(wal.dir, { recursive: true });
    if (created !== undefined) await wal.syncDirectory(path.dirname(created));

    const names = (await fs.readdir(wal.dir)).filter((name) => SEGMENT_NAME.test(name)).sort();
    const recovered: RecoveredRecord[] = [];
    const empty: Segment[] = [];
    let nextId = 1n;
    for (const name of names) {
      const firstId = BigInt(name.slice(0, 20));
      if (firstId + 1n > nextId) nextId = firstId + 1n;
      const file = path.join(wal.dir, name);
      const data = await fs.readFile(file);
      const { records, damaged } = readSegment(data, firstId);
      for (const range of damaged) report(`WAL segment ${file} is damaged at offset ${range.offset} of ${data.length}: ${range.reason}; ${range.length} bytes skipped, ${await wal.keepDamaged(name, data, range)}`, range.length);
      const segment: Segment = { firstId, file, bytes: data.length, unreleased: new Set(), hasRecords: records.length > 0, deleting: false };
      if (records.length === 0) {
        empty.push(segment);
        continue;
      }
      for (const record of records) {
        segment.unreleased.add(record.id);
        recovered.push(record);
      }
      const lastId = records[records.length - 1]!.id;
      if (lastId + 1n > nextId) nextId = lastId + 1n;
      wal.segments.push(segment);
      wal.committedDiskBytes += data.length;
    }

    wal.nextId = nextId;
    const { segment, handle } = await wal.createSegment(nextId);
    wal.segments.push(segment);
    wal.active = segment;
    wal.handle = handle;
    wal.committedDiskBytes += segment.bytes;

    // Segments with nothing recoverable (an empty active segment left by a clean close, or one corrupt
    // from its first record) go now that the new segment holds the id high-water mark.
    if (empty.length > 0) {
      for (const segment of empty) await fs.rm(segment.file, { force: true });
      await wal.syncDirectory(wal.dir);
    }
    return { wal, recovered };
  }

  /** Copies a damaged stretch of a segment to `damaged/` beside the segments, for whoever investigates it; says where. */
  private async keepDamaged(segmentName: string, data: Buffer, range: DamagedRange): Promise<string> {
    const dir = path.join(this.dir, DAMAGED_DIR);
    const file = path.join(dir, `${segmentName}.${range.offset}-${range.offset + range.length}.damaged`);
    try {
      await fs.mkdir(dir, { recursive: true });
      await fs.writeFile(file, data.subarray(range.offset, range.offset + range.length));
      return `kept in ${file}`;
    } catch (error) {
      return `not kept (${(error as Error).message})`;
    }
  }

  /**
   * Appends one record and resolves with its id once the bytes are written and fsync'd (concurrent
   * appends share one write and one fsync). Throws synchronously (a record of many spans, serialized a
   * slice at a time, rejects instead): DucktraceError 'overloaded' (retryable,
   * with retryAfterSeconds) when maxDiskBytes would be exceeded, 'payload_too_large' when the record alone
   * could never fit, 'shutting_down' after close(). Rejects with 'storage_unavailable' when the write or
   * fsync fails.
   */
  append(spans: readonly SpanRow[]): Promise<bigint> {
    if (this.closing) throw new DucktraceError('shutting_down', 'the write-ahead log is closed; retry against a running instance', RETRY_AFTER_SECONDS);
    if (spans.length > SLICE_SPANS) return this.appendSliced(spans);
    const body = v8.serialize(spans);
    if (body.length > MAX_RECORD_BYTES) {
      throw new DucktraceError('payload_too_large', `a WAL record of ${body.length} bytes exceeds the limit of ${MAX_RECORD_BYTES}`);
    }
    return this.enqueue((id) => encodeFrame(id, body), body.length);
  }

  /** A large record, serialized and compressed a slice at a time so that other work runs in between. */
  private async appendSliced(spans: readonly SpanRow[]): Promise<bigint> {
    const slices: Buffer[] = [];
    let serializedBytes = 0;
    for (let start = 0; start < spans.length; start += SLICE_SPANS) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const body = v8.serialize(spans.slice(start, start + SLICE_SPANS));
      serializedBytes += body.length;
      if (serializedBytes > MAX_RECORD_BYTES) {
        throw new DucktraceError('payload_too_large', `a WAL record of over ${serializedBytes} bytes exceeds the limit of ${MAX_RECORD_BYTES}`);
      }
      slices.push(encodeSlice(body));
    }
    if (this.closing) throw new DucktraceError('shutting_down', 'the write-ahead log is closed; retry against a running instance', RETRY_AFTER_SECONDS);
    return this.enqueue((id) => frameOf(id, slices, serializedBytes, FLAG_SLICED), serializedBytes);
  }

  /** Gives the next id to a frame and queues it for the next group commit, if it fits. */
  private enqueue(encode: (id: bigint) => { frame: Buffer; payloadBytes: number }, uncompressedBytes: number): Promise<bigint> {
    const id = this.nextId;
    const { frame, payloadBytes } = encode(id);
    if (frame.length + 2 * SEGMENT_HEADER_BYTES > this.maxDiskBytes) {
      throw new DucktraceError('payload_too_large', `a WAL record of ${frame.length} bytes can never fit in the WAL's ${this.maxDiskBytes} bytes (maxDiskBytes)`);
    }
    const wouldUse = this.committedDiskBytes + this.pendingBytes + this.inFlightBytes + frame.length + SEGMENT_HEADER_BYTES;
    if (wouldUse > this.maxDiskBytes) {
      throw new DucktraceError(
        'wal_full',
        `the write-ahead log is full (${this.committedDiskBytes + this.pendingBytes + this.inFlightBytes} of ${this.maxDiskBytes} bytes in use until stored spans are released; walMaxBytes); retry later`,
        RETRY_AFTER_SECONDS,
      );
    }
    this.nextId = id + 1n;
    const committed = new Promise<bigint>((resolve, reject) => {
      this.pending.push({ id, frame, uncompressedBytes, payloadBytes, resolve, reject });
    });
    this.pendingBytes += frame.length;
    this.scheduleCommit();
    return committed;
  }


  /**
   * The record's spans are all decided and committed (or sampled out). A sealed segment all of whose
   * records are released is deleted in the background; the segment being written is kept until it rolls.
   * Unknown or already released ids are ignored.
   */
  release(id: bigint): void {
    const segment = this.segmentOf(id);
    if (!segment || !segment.unreleased.delete(id)) return;
    if (segment.unreleased.size === 0 && segment !== this.active) this.sweep();
  }

  /** Bytes of segment files on disk, committed records only (recovered records count until their segment is deleted). */
  /** Why the last write failed, while no write has succeeded since (readiness says so); null when writing. */
  get failing(): string | null {
    return this.failure;
  }

  private markFailing(reason: string): void {
    this.failure = reason;
    // With readiness down, exports may stop coming: a probe finds out when the disk takes writes again.
    if (this.probe || this.closing) return;
    const file = path.join(this.dir, PROBE_FILE);
    this.probe = setInterval(() => {
      void fs
        .writeFile(file, Buffer.alloc(PROBE_BYTES), { flush: true })
        .then(() => fs.rm(file, { force: true }))
        .then(
          () => this.markWriting(),
          () => fs.rm(file, { force: true }).catch(() => undefined),
        );
    }, PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  private markWriting(): void {
    this.failure = null;
    if (this.probe) clearInterval(this.probe);
    this.probe = null;
  }

  get diskBytes(): number {
    return this.committedDiskBytes;
  }

  /** Serialized bytes of the records committed since open, before compression. */
  get uncompressedBytes(): number {
    return this.totalUncompressed;
  }

  /** Payload bytes of the records committed since open, after compression (frame headers excluded). */
  get compressedBytes(): number {
    return this.totalCompressed;
  }

  /** fsync/fdatasync calls made since open (files and the directory), for tests and metrics. */
  get fsyncCount(): number {
    return this.fsyncs;
  }

  /** Segment files currently held (sealed and the one being written). */
  get segmentCount(): number {
    return this.segments.length;
  }

  /** Records committed or recovered and not yet released. */
  get unreleasedRecords(): number {
    let n = 0;
    for (const segment of this.segments) n += segment.unreleased.size;
    return n;
  }

  /** Resolves when every append so far is committed (or failed) and every pending segment deletion is done. */
  async settle(): Promise<void> {
    while (this.pending.length > 0 || this.flushing) {
      if (!this.flushing) this.startCommit();
      await this.flushing;
    }
    let background: Promise<void>;
    do {
      background = this.background;
      await background;
    } while (background !== this.background);
  }

  /**
   * Refuses further appends, commits what was appended, and closes the file. When every record of the
   * segment being written is released, rolls first so that its segment is deleted and a restart after a
   * clean stop replays nothing.
   */
  close(): Promise<void> {
    this.closed ??= this.doClose();
    return this.closed;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    if (this.probe) clearInterval(this.probe);
    await this.settle();
    if (this.active.hasRecords && this.active.unreleased.size === 0) {
      try {
        await this.roll(this.nextId);
        await this.settle();
      } catch {
        // Keeping the old segment only means its records are replayed at the next open.
      }
    }
    await this.handle.close();
  }

  private segmentOf(id: bigint): Segment | undefined {
    // The last segment whose first id is <= id; fall back to a scan should a recovered segment be odd.
    let lo = 0;
    let hi = this.segments.length - 1;
    let found: Segment | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const segment = this.segments[mid]!;
      if (segment.firstId <= id) {
        found = segment;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found?.unreleased.has(id)) return found;
    return this.segments.find((segment) => segment.unreleased.has(id));
  }

  private scheduleCommit(): void {
    if (this.flushing) return; // the running commit loop takes the new group as soon as it is done
    if (this.pendingBytes >= EAGER_COMMIT_BYTES) {
      this.startCommit();
      return;
    }
    if (this.timer) return;
    const fire = (): void => {
      this.timer = null;
      this.startCommit();
    };
    // The timer keeps its own way to be cancelled: groupCommitMs may change before it fires.
    if (this.groupCommitMs > 0) {
      const timeout = setTimeout(fire, this.groupCommitMs);
      this.timer = () => clearTimeout(timeout);
    } else {
      const immediate = setImmediate(fire);
      this.timer = () => clearImmediate(immediate);
    }
  }

  private clearTimer(): void {
    this.timer?.();
    this.timer = null;
  }

  private startCommit(): void {
    if (this.flushing) return;
    this.clearTimer();
    this.flushing = this.commitLoop().finally(() => {
      this.flushing = null;
      // An append made by a continuation of the last group may have arrived after the loop's last check.
      if (this.pending.length > 0) this.scheduleCommit();
    });
  }

  private async commitLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const group = this.pending;
      const bytes = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      this.inFlightBytes = bytes;
      try {
        await this.commit(group, bytes);
      } catch (error) {
        this.mustRoll = true;
        // The client hears the kind of failure only: Node's message may name the file.
        const reason = describeWriteFailure(error as NodeJS.ErrnoException);
        this.markFailing(reason);
        const failure = new DucktraceError('storage_unavailable', `the write-ahead log could not make the spans durable (${reason}); retry later`, RETRY_AFTER_SECONDS);
        for (const record of group) record.reject(failure);
        continue;
      } finally {
        this.inFlightBytes = 0;
      }
      this.markWriting();
      for (const record of group) record.resolve(record.id);
    }
  }

  private async commit(group: PendingRecord[], bytes: number): Promise<void> {
    const first = group[0]!;
    if (this.mustRoll || (this.active.hasRecords && this.active.bytes + bytes > this.segmentBytes)) {
      await this.roll(first.id);
      this.mustRoll = false;
    }
    const data = group.length === 1 ? first.frame : Buffer.concat(group.map((record) => record.frame), bytes);
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.handle.write(data, written, data.length - written, this.active.bytes + written);
      if (bytesWritten <= 0) throw new Error(`short write to ${this.active.file}`);
      written += bytesWritten;
    }
    await this.handle.datasync();
    this.fsyncs++;
    const segment = this.active;
    segment.bytes += data.length;
    segment.hasRecords = true;
    this.committedDiskBytes += data.length;
    for (const record of group) {
      segment.unreleased.add(record.id);
      this.totalUncompressed += record.uncompressedBytes;
      this.totalCompressed += record.payloadBytes;
    }
  }

  /** Starts a new segment named firstId and seals the current one (deleting it if all its records are released). */
  private async roll(firstId: bigint): Promise<void> {
    const { segment, handle } = await this.createSegment(firstId);
    const oldHandle = this.handle;
    this.segments.push(segment);
    this.active = segment;
    this.handle = handle;
    this.committedDiskBytes += segment.bytes;
    await oldHandle.close().catch(() => {});
    this.sweep();
  }

  private async createSegment(firstId: bigint): Promise<{ segment: Segment; handle: FileHandle }> {
    const file = path.join(this.dir, segmentFileName(firstId));
    const handle = await fs.open(file, 'wx');
    try {
      const header = Buffer.alloc(SEGMENT_HEADER_BYTES);
      header.writeUInt32LE(SEGMENT_MAGIC, 0);
      header.writeUInt16LE(SEGMENT_VERSION, 4);
      header.writeUInt16LE(SEGMENT_HEADER_BYTES, 6);
      header.writeBigUInt64LE(firstId, 8);
      header.writeUInt32LE(crc32(header.subarray(0, 16)), 16);
      await handle.write(header, 0, header.length, 0);
      await handle.sync();
      this.fsyncs++;
      await this.syncDirectory(this.dir);
    } catch (error) {
      await handle.close().catch(() => {});
      await fs.rm(file, { force: true }).catch(() => {});
      throw error;
    }
    const segment: Segment = { firstId, file, bytes: SEGMENT_HEADER_BYTES, unreleased: new Set(), hasRecords: false, deleting: false };
    return { segment, handle };
  }

  /** Deletes, in the background, every sealed segment all of whose records are released. */
  private sweep(): void {
    for (const segment of this.segments) {
      if (segment === this.active || segment.deleting || segment.unreleased.size > 0) continue;
      segment.deleting = true;
      this.background = this.background.then(() => this.deleteSegment(segment));
    }
  }

  private async deleteSegment(segment: Segment): Promise<void> {
    try {
      await fs.rm(segment.file, { force: true });
    } catch {
      segment.deleting = false; // tried again at the next sweep; its bytes stay counted meanwhile
      return;
    }
    const index = this.segments.indexOf(segment);
    if (index >= 0) this.segments.splice(index, 1);
    this.committedDiskBytes -= segment.bytes;
    await this.syncDirectory(this.dir).catch(() => {});
  }

  private async syncDirectory(dir: string): Promise<void> {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
      this.fsyncs++;
    } finally {
      await handle.close();
    }
  }
}

let scratch = Buffer.allocUnsafe(64 * 1024);

/** One record frame for `body` (a v8.serialize'd span array), lz4-compressed when that makes it smaller. */
export function encodeFrame(id: bigint, body: Buffer): { frame: Buffer; payloadBytes: number } {
  const n = body.length;
  let output = scratch;
  if (output.length < n) {
    output = Buffer.allocUnsafe(n);
    if (n <= 16 * 1024 * 1024) scratch = output;
  }
  // A capacity of n - 1 makes lz4 give up (return 0) unless the block is smaller than the input.
  const compressed = n > 1 ? lz4.encodeBlock(body, output.subarray(0, n - 1)) : 0;
  return compressed > 0 ? frameOf(id, [output.subarray(0, compressed)], n, FLAG_LZ4) : frameOf(id, [body], n, 0);
}

/** A record frame around `payload` (its parts in order), `serializedBytes` its uncompressed length. */
function frameOf(id: bigint, payload: Buffer[], serializedBytes: number, flags: number): { frame: Buffer; payloadBytes: number } {
  const payloadBytes = payload.reduce((n, part) => n + part.length, 0);
  const frame = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payloadBytes);
  frame.writeUInt32LE(RECORD_MAGIC, 0);
  frame.writeUInt32LE(payloadBytes, 8);
  frame.writeUInt32LE(serializedBytes, 12);
  frame.writeBigUInt64LE(id, 16);
  frame.writeUInt32LE(flags, 24); // flags byte and the three reserved zero bytes
  let at = RECORD_HEADER_BYTES;
  for (const part of payload) at += part.copy(frame, at);
  frame.writeUInt32LE(crc32(frame.subarray(8)), 4);
  return { frame, payloadBytes };
}

/** One slice of a sliced record: its header, then its serialized spans as an lz4 block or raw. */
function encodeSlice(body: Buffer): Buffer {
  const n = body.length;
  const slice = Buffer.allocUnsafe(SLICE_HEADER_BYTES + n);
  // A capacity of n - 1 makes lz4 give up (return 0) unless the block is smaller than the input.
  const compressed = n > 1 ? lz4.encodeBlock(body, slice.subarray(SLICE_HEADER_BYTES, SLICE_HEADER_BYTES + n - 1)) : 0;
  if (compressed === 0) body.copy(slice, SLICE_HEADER_BYTES);
  const stored = compressed > 0 ? compressed : n;
  slice.writeUInt32LE(stored, 0);
  slice.writeUInt32LE(n, 4);
  slice.writeUInt32LE(compressed > 0 ? FLAG_LZ4 : 0, 8);
  return slice.subarray(0, SLICE_HEADER_BYTES + stored);
}

/** A stretch of a segment file that held no readable record, and what was wrong with it. */
export interface DamagedRange {
  offset: number;
  length: number;
  reason: string;
}

export interface SegmentContents {
  records: RecoveredRecord[];
  /** The damaged stretches skipped, in file order. */
  damaged: DamagedRange[];
}

/** Why the frame at `offset` cannot be read, or the record and where the next frame starts. */
function readFrame(data: Buffer, offset: number, previousId: bigint): { error: string } | { record: RecoveredRecord; end: number } {
  if (data.length - offset < RECORD_HEADER_BYTES) return { error: `a record header is truncated (${data.length - offset} of ${RECORD_HEADER_BYTES} bytes)` };
  if (data.readUInt32LE(offset) !== RECORD_MAGIC) return { error: 'bad record magic' };
  const payloadBytes = data.readUInt32LE(offset + 8);
  const end = offset + RECORD_HEADER_BYTES + payloadBytes;
  if (end > data.length) return { error: `the record runs past the end of the file (payload of ${payloadBytes} bytes, ${data.length - offset - RECORD_HEADER_BYTES} present)` };
  const expectedCrc = data.readUInt32LE(offset + 4);
  const actualCrc = crc32(data.subarray(offset + 8, end));
  if (expectedCrc !== actualCrc) return { error: `CRC mismatch (stored ${expectedCrc.toString(16)}, computed ${actualCrc.toString(16)})` };
  const uncompressedBytes = data.readUInt32LE(offset + 12);
  const id = data.readBigUInt64LE(offset + 16);
  const flags = data.readUInt32LE(offset + 24);
  if ((flags & ~(FLAG_LZ4 | FLAG_SLICED)) !== 0 || flags === (FLAG_LZ4 | FLAG_SLICED)) return { error: `unknown record flags ${flags.toString(16)}` };
  if (id <= previousId) return { error: `record id ${id} does not follow ${previousId}` };
  try {
    const payload = data.subarray(offset + RECORD_HEADER_BYTES, end);
    const spans = flags === FLAG_SLICED ? decodeSlices(payload, uncompressedBytes) : decodePayload(payload, uncompressedBytes, flags === FLAG_LZ4);
    return { record: { id, spans }, end };
  } catch (error) {
    return { error: `the payload does not decode: ${(error as Error).message}` };
  }
}

const RECORD_MAGIC_BYTES = Buffer.alloc(4);
RECORD_MAGIC_BYTES.writeUInt32LE(RECORD_MAGIC);

/**
 * The records of one segment file. A damaged record does not end the reading: the frames are
 * CRC-checked, so the reader looks for the next offset where a whole valid frame starts and goes on
 * from there. Each skipped stretch is returned with its reason.
 */
export function readSegment(data: Buffer, firstId: bigint): SegmentContents {
  const records: RecoveredRecord[] = [];
  const damaged: DamagedRange[] = [];
  const wholeFile = (reason: string): SegmentContents => ({ records, damaged: [{ offset: 0, length: data.length, reason: `the segment is unreadable: ${reason}` }] });

  if (data.length < SEGMENT_HEADER_BYTES) return wholeFile(`the segment header is truncated (${data.length} of ${SEGMENT_HEADER_BYTES} bytes)`);
  if (data.readUInt32LE(0) !== SEGMENT_MAGIC) return wholeFile('not a WAL segment (bad magic)');
  const version = data.readUInt16LE(4);
  const headerBytes = data.readUInt16LE(6);
  if (version !== SEGMENT_VERSION || headerBytes !== SEGMENT_HEADER_BYTES) return wholeFile(`unsupported segment format version ${version} (header ${headerBytes} bytes)`);
  // A damaged header's checksum or first id is no reason to give up: the records carry their own checksums.

  let offset = SEGMENT_HEADER_BYTES;
  let previousId = firstId - 1n;
  while (offset < data.length) {
    const frame = readFrame(data, offset, previousId);
    if ('record' in frame) {
      records.push(frame.record);
      previousId = frame.record.id;
      offset = frame.end;
      continue;
    }
    // Resynchronise: the next offset holding the record magic where a whole valid frame starts.
    let next = -1;
    for (let candidate = data.indexOf(RECORD_MAGIC_BYTES, offset + 1); candidate >= 0; candidate = data.indexOf(RECORD_MAGIC_BYTES, candidate + 1)) {
      if ('record' in readFrame(data, candidate, previousId)) {
        next = candidate;
        break;
      }
    }
    const length = (next < 0 ? data.length : next) - offset;
    damaged.push({ offset, length, reason: next < 0 ? `${frame.error}; no intact record after it` : `${frame.error}; the next intact record is at offset ${next}` });
    if (next < 0) break;
    offset = next;
  }
  return { records, damaged };
}

function decodePayload(payload: Buffer, uncompressedBytes: number, compressed: boolean): SpanRow[] {
  let body = payload;
  if (compressed) {
    if (uncompressedBytes > MAX_RECORD_BYTES) throw new Error(`uncompressed length ${uncompressedBytes} is over the limit`);
    body = Buffer.allocUnsafe(uncompressedBytes);
    const decoded = lz4.decodeBlock(payload, body);
    if (decoded !== uncompressedBytes) throw new Error(`lz4 gave ${decoded} bytes, expected ${uncompressedBytes}`);
  } else if (payload.length !== uncompressedBytes) {
    throw new Error(`a raw payload of ${payload.length} bytes, expected ${uncompressedBytes}`);
  }
  const value: unknown = v8.deserialize(body);
  if (!Array.isArray(value)) throw new Error('the payload is not an array of spans');
  return value as SpanRow[];
}

function decodeSlices(payload: Buffer, serializedBytes: number): SpanRow[] {
  const spans: SpanRow[] = [];
  let total = 0;
  for (let at = 0; at < payload.length; ) {
    if (payload.length - at < SLICE_HEADER_BYTES) throw new Error('a slice header is truncated');
    const stored = payload.readUInt32LE(at);
    const serialized = payload.readUInt32LE(at + 4);
    const flags = payload.readUInt32LE(at + 8);
    const end = at + SLICE_HEADER_BYTES + stored;
    if (end > payload.length || (flags & ~FLAG_LZ4) !== 0) throw new Error('a slice is damaged');
    for (const span of decodePayload(payload.subarray(at + SLICE_HEADER_BYTES, end), serialized, flags === FLAG_LZ4)) spans.push(span);
    total += serialized;
    at = end;
  }
  if (total !== serializedBytes) throw new Error(`slices of ${total} bytes, expected ${serializedBytes}`);
  return spans;
}

/** A failed write as a client may be told it: the kind of failure, never a path. */
function describeWriteFailure(error: NodeJS.ErrnoException): string {
  if (error.code === 'ENOSPC' || error.code === 'EDQUOT') return 'the disk is full';
  if (error.code === 'EROFS') return 'the disk is read-only';
  return error.code ? `I/O error ${error.code}` : 'I/O error';
}
