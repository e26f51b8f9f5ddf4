import assert from 'node:assert/strict';
import { test } from 'node:test';
import { apiRange, parseRange, rangeParams, resolveRange, seriesStep } from './timeRange.js';

const q = (text: string): URLSearchParams => new URLSearchParams(text);

test('presets and custom ranges round-trip through the URL', () => {
  assert.deepEqual(parseRange(q('')), { preset: '1h' });
  assert.deepEqual(parseRange(q('range=6h')), { preset: '6h' });
  assert.deepEqual(rangeParams({ preset: '1h' }), {});
  assert.deepEqual(rangeParams({ preset: '24h' }), { range: '24h' });
  const custom = { preset: 'custom' as const, startMs: Date.UTC(2026, 10, 24, 10), endMs: Date.UTC(2026, 10, 24, 11) };
  const params = rangeParams(custom);
  assert.deepEqual(params, { range: 'custom', start: '2026-11-24T10:00:00.000Z', end: '2026-11-24T11:00:00.000Z' });
  assert.deepEqual(parseRange(q(new URLSearchParams(params as Record<string, string>).toString())), custom);
});

test('unreadable ranges fall back to the last hour', () => {
  assert.deepEqual(parseRange(q('range=7y')), { preset: '1h' });
  assert.deepEqual(parseRange(q('range=custom&start=yesterday&end=2026-11-24T10:00:00Z')), { preset: '1h' });
  assert.deepEqual(parseRange(q('range=custom&start=2026-11-24T11:00:00Z&end=2026-11-24T10:00:00Z')), { preset: '1h' });
  assert.deepEqual(parseRange(q('range=constructor')), { preset: '1h' });
});

test('relative ranges end now; API bounds are unix nanoseconds', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  assert.deepEqual(resolveRange({ preset: '15m' }, now), { startMs: now - 900_000, endMs: now });
  assert.deepEqual(apiRange({ preset: '15m' }, now), { start: `${now - 900_000}000000`, end: `${now}000000` });
});

test('series steps give about 60 readable buckets', () => {
  const now = Date.UTC(2026, 10, 24, 12);
  assert.equal(seriesStep({ preset: '1h' }, now), '60000ms');
  assert.equal(seriesStep({ preset: '15m' }, now), '15000ms');
  assert.equal(seriesStep({ preset: '24h' }, now), '1800000ms');
});
