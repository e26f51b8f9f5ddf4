import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationAxis, linearScale, niceStep, scatterLayout, timeDomain, timeTicks } from './plotScales.js';

test('linear scales map the domain onto the pixels, flipped for a y axis', () => {
  const y = linearScale(0, 100, 200, 0);
  assert.equal(y(0), 200);
  assert.equal(y(25), 150);
  assert.equal(y(100), 0);
  assert.equal(linearScale(5, 5, 0, 10)(5), 5, 'a single value sits in the middle');
});

test('steps are 1, 2 or 5 times a power of ten', () => {
  assert.equal(niceStep(100, 5), 20);
  assert.equal(niceStep(1_000, 4), 500);
  assert.equal(niceStep(7, 7), 1);
  assert.equal(niceStep(2_900_000_000, 5), 1_000_000_000);
});

test('the duration axis starts at zero and ends on a round value at or above the slowest trace', () => {
  const axis = durationAxis(2_900_000_000);
  assert.equal(axis.max, 3_000_000_000);
  assert.deepEqual(axis.ticks.map((t) => t.label), ['0ns', '1.00s', '2.00s', '3.00s']);
  const small = durationAxis(42_000_000);
  assert.equal(small.max, 50_000_000);
  assert.deepEqual(small.ticks.map((t) => t.label), ['0ns', '10.0ms', '20.0ms', '30.0ms', '40.0ms', '50.0ms']);
  assert.ok(durationAxis(0).max > 0, 'no traces, or only instant ones, still give an axis');
});

test('time ticks fall on round clock times inside the range, with seconds only when the step is shorter than a minute', () => {
  const start = Date.UTC(2026, 10, 24, 10, 0, 7);
  const ticks = timeTicks(start, start + 10 * 60_000, 'utc', 5);
  assert.ok(ticks.length >= 4 && ticks.length <= 6, `${ticks.length} ticks`);
  for (const tick of ticks) {
    assert.ok(tick.value >= start && tick.value <= start + 10 * 60_000);
    assert.equal(tick.value % 60_000, 0, 'on whole minutes');
    assert.match(tick.label, /^\d\d:\d\d$/);
  }
  const seconds = timeTicks(start, start + 60_000, 'utc', 6);
  assert.match(seconds[0]!.label, /^\d\d:\d\d:\d\d$/);
});

test('hour ticks fall on the hours of the chosen zone, and read its clock', () => {
  const start = Date.UTC(2026, 10, 24, 10, 10);
  const end = start + 6 * 3_600_000;
  const utc = timeTicks(start, end, 'utc', 6);
  assert.deepEqual(utc.map((t) => t.label), ['11:00', '12:00', '13:00', '14:00', '15:00', '16:00']);
  const before = process.env.TZ;
  process.env.TZ = 'Asia/Kolkata';
  try {
    const local = timeTicks(start, end, 'local', 6);
    assert.deepEqual(local.map((t) => t.label), ['16:00', '17:00', '18:00', '19:00', '20:00', '21:00']);
    assert.equal(local[0]!.value, Date.UTC(2026, 10, 24, 10, 30), 'India is at UTC+05:30');
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
});

test('the time domain is padded around the points', () => {
  assert.deepEqual(timeDomain([1_000, 101_000]), [-2_000, 104_000]);
  assert.deepEqual(timeDomain([60_000]), [30_000, 90_000]);
});

test('scatter layout: later is further right, slower is higher, the slowest point inside the frame', () => {
  const box = { width: 600, height: 300, left: 60, right: 10, top: 10, bottom: 30 };
  const layout = scatterLayout(
    [
      { traceId: 'a', timeMs: 1_000_000, durationNs: 10_000_000, spanCount: 1, error: false },
      { traceId: 'b', timeMs: 1_060_000, durationNs: 80_000_000, spanCount: 16, error: true },
    ],
    box,
    'utc',
  );
  const [a, b] = layout.points;
  assert.ok(a!.x < b!.x && a!.y > b!.y);
  assert.ok(b!.y >= box.top && a!.x >= box.left && b!.x <= box.width - box.right);
  assert.ok(b!.r > a!.r, 'a trace of 16 spans gets a bigger dot than one of 1');
  assert.equal(layout.yTicks[0]!.y, box.height - box.bottom, 'zero on the x axis');
  assert.ok(layout.xTicks.length >= 2);
});
