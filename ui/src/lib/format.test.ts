import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatClock,
  formatCount,
  formatDay,
  formatDuration,
  formatInputTime,
  formatPercent,
  formatRate,
  formatTime,
  formatTimestamp,
  nsToMs,
  offsetLabel,
  parseInputTime,
  zoneName,
} from './format.js';

// Local times below are those of New York (daylight saving time from 8 March to 1 November 2026)
// and of India (UTC+05:30 all year). Node reads TZ again whenever it is set.
const inZone = <T>(tz: string, run: () => T): T => {
  const before = process.env.TZ;
  process.env.TZ = tz;
  try {
    return run();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
};

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

test('one timestamp format, in UTC or local time, always naming its zone unless told not to', () => {
  const ms = Date.UTC(2026, 10, 24, 14, 3, 7, 123);
  assert.equal(formatTimestamp(ms, 'utc'), '2026-11-24 14:03:07.123 UTC');
  assert.equal(formatTimestamp(ms, 'utc', { withZone: false }), '2026-11-24 14:03:07.123');
  assert.equal(formatTime('1795528987123456789', 'utc'), '2026-11-24 14:03:07.123 UTC');
  inZone('America/New_York', () => {
    assert.equal(formatTimestamp(ms, 'local'), '2026-11-24 09:03:07.123 UTC-05:00');
    assert.equal(formatTimestamp(Date.UTC(2026, 6, 1, 12), 'local'), '2026-07-01 08:00:00.000 UTC-04:00', 'summer time');
    assert.equal(zoneName('local'), 'America/New_York');
  });
  inZone('Asia/Kolkata', () => {
    assert.equal(formatTimestamp(ms, 'local'), '2026-11-24 19:33:07.123 UTC+05:30');
    assert.equal(offsetLabel('local', ms), 'UTC+05:30');
  });
  assert.equal(zoneName('utc'), 'UTC');
  assert.equal(formatTimestamp(Number.NaN, 'utc'), '–');
});

test('axis labels: clock times and days in the chosen zone', () => {
  const ms = Date.UTC(2026, 10, 24, 23, 30, 5);
  assert.equal(formatClock(ms, 'utc', false), '23:30');
  assert.equal(formatClock(ms, 'utc', true), '23:30:05');
  assert.equal(formatDay(ms, 'utc'), '2026-11-24');
  inZone('Asia/Kolkata', () => {
    assert.equal(formatClock(ms, 'local', false), '05:00');
    assert.equal(formatDay(ms, 'local'), '2026-11-25', 'past midnight in India');
  });
});

test('the range picker writes and reads times on the chosen zone\'s clock, and they round-trip', () => {
  const ms = Date.UTC(2026, 10, 24, 14, 3, 7);
  assert.equal(formatInputTime(ms, 'utc'), '2026-11-24 14:03:07');
  assert.equal(parseInputTime('2026-11-24 14:03:07', 'utc'), ms);
  assert.equal(parseInputTime(' 2026-11-24T14:03 ', 'utc'), ms - 7_000, 'seconds are optional, T or a space between');
  assert.equal(parseInputTime('2026-11-24 14:03:07.5', 'utc'), ms + 500);
  assert.equal(parseInputTime('2028-02-29 00:00', 'utc'), Date.UTC(2028, 1, 29), 'a leap day');
  inZone('America/New_York', () => {
    assert.equal(formatInputTime(ms, 'local'), '2026-11-24 09:03:07');
    assert.equal(parseInputTime('2026-11-24 09:03:07', 'local'), ms);
    const summer = Date.UTC(2026, 6, 1, 12, 0, 30);
    assert.equal(parseInputTime(formatInputTime(summer, 'local'), 'local'), summer);
  });
  for (const bad of ['', '2026-11-24', '2026-13-01 00:00', '2026-02-30 00:00', '2026-11-24 24:00', '2026-11-24 10:60', '24.11.2026 14:03', 'yesterday']) {
    assert.ok(Number.isNaN(parseInputTime(bad, 'utc')), bad);
  }
  assert.equal(formatInputTime(Number.NaN, 'utc'), '');
});
