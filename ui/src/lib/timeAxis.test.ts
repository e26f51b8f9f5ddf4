import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barGeometry, eventMarks, labelPlacement, offsetNs, timeTicks } from './timeAxis.js';

test('ticks fall on round offsets from the start to the end, labelled as durations', () => {
  const ticks = timeTicks(12_345_678_901, 5);
  assert.deepEqual(
    ticks.map((t) => t.label),
    ['0', '2.50s', '5.00s', '7.50s', '10.0s'],
  );
  assert.ok(ticks.every((t) => t.fraction >= 0 && t.fraction <= 1));
  assert.deepEqual(timeTicks(1_000_000, 4).map((t) => t.label), ['0', '250µs', '500µs', '750µs', '1.00ms']);
  assert.deepEqual(timeTicks(0), [{ offsetNs: 0, fraction: 0, label: '0' }]);
});

test('offsets between nanosecond timestamps beyond 2^53 are exact', () => {
  assert.equal(offsetNs('1700000000000000001', '1700000000000000008'), 7);
});

test('a bar spans its share of the trace; an instant span keeps a visible sliver', () => {
  assert.deepEqual(barGeometry(250, 500, 1000), { left: 0.25, width: 0.5 });
  assert.deepEqual(barGeometry(0, 1000, 1000), { left: 0, width: 1 });
  const instant = barGeometry(1000, 0, 1000);
  assert.ok(instant.width > 0 && instant.left + instant.width <= 1);
});

test('event marks sit where the event happened within the span, clipped to it', () => {
  assert.deepEqual(
    eventMarks('1700000000000000000', 1000, [{ timeUnixNano: '1700000000000000250' }, { timeUnixNano: '1700000000000002000' }, { timeUnixNano: '1699999999999999000' }]),
    [0.25, 1, 0],
  );
  assert.deepEqual(eventMarks('1700000000000000000', 0, [{ timeUnixNano: '1700000000000000000' }]), [0]);
});

test('a duration label goes where there is room for it', () => {
  assert.equal(labelPlacement({ left: 0.1, width: 0.2 }), 'right');
  assert.equal(labelPlacement({ left: 0.5, width: 0.5 }), 'left');
  assert.equal(labelPlacement({ left: 0, width: 1 }), 'inside');
});
