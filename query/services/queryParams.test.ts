import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseTime } from './queryParams.js';

test('times and durations past what storage holds (2^63-1 ns) are 400s naming the parameter, before any SQL', () => {
  assert.equal(parseDuration('2562047h', 'minDuration'), 2562047n * 3_600_000_000_000n);
  assert.throws(() => parseDuration('99999999h', 'minDuration'), /^Error: parameter "minDuration": "99999999h" is too large: a duration goes up to about 292 years/);
  assert.throws(() => parseDuration('9999999999999999999', 'maxDuration'), /parameter "maxDuration": .* is too large/);
  assert.equal(parseTime('9223372036854775807', 'end'), 2n ** 63n - 1n);
  assert.throws(() => parseTime('9999999999999999999', 'end'), /parameter "end": .* is too large: a time goes up to 2262-04-11/);
  assert.throws(() => parseTime('9999-12-31T00:00:00Z', 'end'), /too large/);
  assert.throws(() => parseTime('0001-01-01T00:00:00Z', 'start'), /parameter "start": .* is before 1970/);
  assert.equal(parseTime('2024-01-02T03:04:05.123456789Z', 'start'), 1704164645123456789n);
});
