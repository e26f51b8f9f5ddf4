import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DucktraceError } from '../../core/errors.js';
import { effectiveMemoryLimitBytes, MemoryLimiter } from './memoryLimiter.js';

const MIB = 1024 * 1024;

test('reservations count against the limit until released, and a refusal is a retryable 429 that names the setting', () => {
  let inUse = 60 * MIB;
  const limiter = new MemoryLimiter(100 * MIB, () => inUse);
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
  assert.equal(limiter.refused, 1);
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

test('the limit is lowered to 75% of the heap limit when that is smaller', () => {
  assert.equal(effectiveMemoryLimitBytes(1536, 4096 * MIB), 1536 * MIB);
  assert.equal(effectiveMemoryLimitBytes(1536, 1024 * MIB), 768 * MIB);
});
