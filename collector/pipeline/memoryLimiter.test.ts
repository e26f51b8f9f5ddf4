import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DucktraceError } from '../../core/errors.js';
import { getHeapStatistics } from 'node:v8';
import { effectiveMemoryLimitBytes, fullGarbageCollection, MemoryLimiter } from './memoryLimiter.js';

const MIB = 1024 * 1024;

test('reservations count against the limit until released, and a refusal is a retryable 429 that names the setting', () => {
  let inUse = 60 * MIB;
  const limiter = new MemoryLimiter(100 * MIB, { memoryInUse: () => inUse, collectGarbage: () => {} });
  const first = limiter.reserve(30 * MIB);
  assert.equal(limiter.reserved, 30 * MIB);
  assert.throws(
    () => limiter.reserve(20 * MIB),
    (error: unknown) => {
      assert.ok(error instanceof DucktraceError);
      assert.equal(error.code, 'overloaded');
      assert.equal(error.httpStatus, 429);
      assert.equal(error.retryDelaySeconds, 1);
      assert.match(error.message, /memory is at its limit \(60 MiB in use, 50 MiB wanted by exports being read, limit 100 MiB: memoryLimitMb\); retry later/);
      return true;
    },
  );
  assert.equal(limiter.reserved, 30 * MIB, 'a refused reservation takes nothing');

  first();
  first();
  assert.equal(limiter.reserved, 0, 'a release counts once');
  const second = limiter.reserve(20 * MIB);
  second();

  inUse = 101 * MIB;
  assert.throws(() => limiter.reserve(0), /101 MiB in use/, 'memory in use past the limit refuses even an export of unknown size');
  inUse = 99 * MIB;
  limiter.reserve(0)();
});

test('before refusing, garbage is collected, at most once a second, or every 10 s while collecting makes no room', () => {
  let inUse = 90 * MIB;
  let garbage = 30 * MIB;
  let now = 0;
  const limiter = new MemoryLimiter(100 * MIB, {
    memoryInUse: () => inUse,
    collectGarbage: () => {
      inUse -= garbage;
      garbage = 0;
    },
    now: () => now,
  });
  limiter.reserve(20 * MIB)();
  assert.equal(limiter.collections, 1, 'garbage made the room');
  assert.equal(inUse, 60 * MIB);

  inUse = 95 * MIB;
  garbage = 10 * MIB;
  now = 999;
  assert.throws(() => limiter.reserve(20 * MIB), /95 MiB in use/, 'within a second of a collection, no other');
  assert.equal(limiter.collections, 1);
  now = 1_000;
  assert.throws(() => limiter.reserve(20 * MIB), /85 MiB in use/, 'a collection that makes too little room still refuses');
  assert.equal(limiter.collections, 2);

  inUse = 95 * MIB;
  garbage = 50 * MIB;
  now = 10_999;
  assert.throws(() => limiter.reserve(20 * MIB), /95 MiB in use/, 'after a collection that made no room, none for 10 s');
  now = 11_000;
  limiter.reserve(20 * MIB)();
  assert.equal(limiter.collections, 3);
});

test('the limit is lowered to 75% of the heap limit when that is smaller', () => {
  assert.equal(effectiveMemoryLimitBytes(1536, 4096 * MIB), 1536 * MIB);
  assert.equal(effectiveMemoryLimitBytes(1536, 1024 * MIB), 768 * MIB);
});

test('fullGarbageCollection gives back the memory of what nothing holds any more', () => {
  const collect = fullGarbageCollection();
  collect();
  const before = getHeapStatistics().used_heap_size;
  let held: number[][] | null = Array.from({ length: 200 }, () => Array.from({ length: 50_000 }, (_, i) => i + 0.5));
  assert.ok(getHeapStatistics().used_heap_size > before + 50 * MIB && held.length === 200);
  held = null;
  collect();
  assert.ok(getHeapStatistics().used_heap_size < before + 10 * MIB);
});
