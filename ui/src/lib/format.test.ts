import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatCount, formatDuration, formatPercent, formatRate, nsToMs } from './format.js';

test('durations read with three significant digits in the largest fitting unit', () => {
  assert.equal(formatDuration(850), '850ns');
  assert.equal(formatDuration('12345'), '12.3µs');
  assert.equal(formatDuration(4_560_000n), '4.56ms');
  assert.equal(formatDuration(999_400_000), '999ms');
  assert.equal(formatDuration(1_200_000_000), '1.20s');
  assert.equal(formatDuration(125_000_000_000), '2m 5s');
  assert.equal(formatDuration(2 * 3600e9 + 30 * 60e9), '2h 30m');
  assert.equal(formatDuration(null), '–');
  assert.equal(formatDuration('not a number'), '–');
});

test('nanosecond timestamps beyond 2^53 convert to milliseconds exactly', () => {
  assert.equal(nsToMs('1795547349229261963'), 1795547349229);
});

test('percentages, rates and counts', () => {
  assert.equal(formatPercent(0.0123), '1.23%');
  assert.equal(formatPercent(0.5), '50.0%');
  assert.equal(formatPercent(0.00012), '0.012%');
  assert.equal(formatPercent(0), '0%');
  assert.equal(formatPercent(null), '–');
  assert.equal(formatRate(1234.5), '1,235/s');
  assert.equal(formatRate(12.34), '12.3/s');
  assert.equal(formatRate(0.05), '0.050/s');
  assert.equal(formatCount(12345), '12,345');
  assert.equal(formatCount(10.25), '10.3');
});
