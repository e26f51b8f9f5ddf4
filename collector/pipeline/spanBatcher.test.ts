import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DucktraceError } from '../../core/errors.js';
import { emptyAttributes, type SpanRow } from '../../core/model/span.js';
import type { TraceWriter } from '../../core/storage/types.js';
import { SpanBatcher } from './spanBatcher.js';

/** Records batches; `gate` holds commits until released, like a slow disk. */
class RecordingWriter implements TraceWriter {
  batches: number[] = [];
  fail = false;
  gate: Promise<void> = Promise.resolve();
  async append(spans: readonly SpanRow[]): Promise<void> {
    await this.gate;
    if (this.fail) throw new Error('disk full');
    this.batches.push(spans.length);
  }
}

const spans = (n: number): SpanRow[] =>
  Array.from({ length: n }, () => ({ traceId: '1'.repeat(32), spanId: '2'.repeat(16), attributes: emptyAttributes() }) as SpanRow);

test('a submit resolves only after its spans are committed, batched on the interval', async () => {
  const writer = new RecordingWriter();
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 1000, flushIntervalMs: 20, maxQueuedSpans: 10_000 });
  const a = batcher.submit(spans(3));
  const b = batcher.submit(spans(4));
  assert.deepEqual(writer.batches, []);
  await Promise.all([a, b]);
  assert.deepEqual(writer.batches, [7]);
});

test('a full batch is written without waiting for the interval', async () => {
  const writer = new RecordingWriter();
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 5, flushIntervalMs: 60_000, maxQueuedSpans: 10_000 });
  await batcher.submit(spans(6));
  assert.deepEqual(writer.batches, [6]);
});

test('a full queue refuses with a retryable error and keeps what it holds', async () => {
  const writer = new RecordingWriter();
  let release!: () => void;
  writer.gate = new Promise((resolve) => (release = resolve));
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 5, flushIntervalMs: 1, maxQueuedSpans: 8 });
  const first = batcher.submit(spans(5));
  assert.throws(() => batcher.assertRoomFor(4), (e: unknown) => e instanceof DucktraceError && e.code === 'overloaded' && e.retryAfterSeconds === 1);
  batcher.assertRoomFor(3);
  release();
  await first;
  assert.deepEqual(writer.batches, [5]);
});

test('a storage failure rejects the waiting exports as retryable, and later batches still go through', async () => {
  const writer = new RecordingWriter();
  writer.fail = true;
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 100, flushIntervalMs: 1, maxQueuedSpans: 1000 });
  await assert.rejects(batcher.submit(spans(2)), (e: unknown) => e instanceof DucktraceError && e.code === 'storage_unavailable');
  writer.fail = false;
  await batcher.submit(spans(3));
  assert.deepEqual(writer.batches, [3]);
});

test('stop commits everything accepted and then admits no more', async () => {
  const writer = new RecordingWriter();
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 1000, flushIntervalMs: 60_000, maxQueuedSpans: 10_000 });
  const pending = batcher.submit(spans(9));
  await batcher.stop();
  await pending;
  assert.deepEqual(writer.batches, [9]);
  assert.throws(() => batcher.assertRoomFor(1), (e: unknown) => e instanceof DucktraceError && e.code === 'shutting_down');
});

test('with two flush slots, a second batch is written while the first is still committing; none beyond', async () => {
  let release!: () => void;
  const writer = new RecordingWriter();
  writer.gate = new Promise((resolve) => (release = resolve));
  let started = 0;
  const append = writer.append.bind(writer);
  writer.append = (batch) => {
    started++;
    return append(batch);
  };
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 5, flushIntervalMs: 60_000, maxQueuedSpans: 10_000, concurrentFlushes: 2 });
  const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 5));
  const first = batcher.submit(spans(5));
  await tick();
  const second = batcher.submit(spans(5));
  await tick();
  const third = batcher.submit(spans(5));
  await tick();
  assert.equal(started, 2, 'two batches are being written, the third waits for a slot');
  assert.equal(batcher.queuedSpans, 15);
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(writer.batches, [5, 5, 5]);
  assert.equal(batcher.queuedSpans, 0);
});

test('a batch whose interval passed while every slot was busy is written as soon as one frees', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let release!: () => void;
  const writer = new RecordingWriter();
  writer.gate = new Promise((resolve) => (release = resolve));
  const batcher = new SpanBatcher(writer, { flushMaxSpans: 1000, flushIntervalMs: 100, maxQueuedSpans: 10_000, concurrentFlushes: 1 });
  const first = batcher.submit(spans(2));
  t.mock.timers.tick(100); // the first batch is being written (held by the gate)
  const second = batcher.submit(spans(3));
  t.mock.timers.tick(100); // the second batch's interval passes with no free slot
  writer.gate = Promise.resolve();
  release();
  await first;
  await new Promise((resolve) => setImmediate(resolve)); // the finished flush schedules the next
  t.mock.timers.tick(0); // no further interval: only the immediate re-flush
  await second;
  assert.deepEqual(writer.batches, [2, 3]);
});
