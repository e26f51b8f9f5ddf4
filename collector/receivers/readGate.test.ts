import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReadGate, type Admission } from './readGate.js';

/** A memory limit with room for `slots` messages; counts the refusals it was made to count. */
function limit(slots: number) {
  const state = { used: 0, countedRefusals: 0 };
  const take = (): (() => void) => {
    state.used++;
    let released = false;
    return () => {
      if (!released) state.used--;
      released = true;
    };
  };
  return {
    state,
    tryReserve: () => (state.used < slots ? take() : null),
    reserve: () => {
      if (state.used < slots) return take();
      state.countedRefusals++;
      throw new Error('memory at its limit');
    },
  };
}

function gate(slots: number, maxWaiting = 10, maxWaitMs = 60_000) {
  const memory = limit(slots);
  return { memory, gate: new ReadGate({ tryReserve: memory.tryReserve, reserve: memory.reserve, maxWaiting, maxWaitMs }) };
}

function admit(g: ReadGate): { admissions: Admission[]; cancel: () => void } {
  const admissions: Admission[] = [];
  const cancel = g.admit((a) => admissions.push(a));
  return { admissions, cancel };
}

const released = (a: Admission | undefined): () => void => {
  assert.ok(a && 'release' in a, 'admitted');
  return a.release;
};

test('calls are admitted while the limit has room, and wait for a message to arrive when it has none', () => {
  const { memory, gate: g } = gate(2);
  const first = admit(g);
  const second = admit(g);
  const third = admit(g);
  assert.equal(first.admissions.length + second.admissions.length, 2);
  assert.deepEqual(third.admissions, [], 'the third waits');
  assert.equal(g.queued, 1);
  released(first.admissions[0])();
  assert.equal(third.admissions.length, 1, 'admitted once the first message arrived');
  assert.equal(g.inFlight, 2);
  released(second.admissions[0])();
  released(third.admissions[0])();
  released(third.admissions[0])();
  assert.equal(memory.state.used, 0, 'a release releases once');
  assert.equal(g.inFlight, 0);
});

test('with nothing being read, or the queue full, a call is refused at once, and the refusal counted', () => {
  const none = gate(0);
  const refused = admit(none.gate);
  assert.ok('refusal' in refused.admissions[0]!);
  assert.equal(none.memory.state.countedRefusals, 1);

  const { memory, gate: g } = gate(1, 2);
  admit(g);
  const waiting = [admit(g), admit(g)];
  const overflow = admit(g);
  assert.deepEqual(waiting.map((w) => w.admissions.length), [0, 0]);
  assert.ok('refusal' in overflow.admissions[0]!, 'the queue holds two');
  assert.equal(memory.state.countedRefusals, 1, 'waiting is not refusing');
});

test('a waiting call that ends leaves the queue; waiters are admitted in order', () => {
  const { gate: g } = gate(1);
  const reading = admit(g);
  const gone = admit(g);
  const next = admit(g);
  const last = admit(g);
  gone.cancel();
  released(reading.admissions[0])();
  assert.deepEqual(gone.admissions, []);
  assert.equal(next.admissions.length, 1);
  assert.deepEqual(last.admissions, []);
  released(next.admissions[0])();
  assert.equal(last.admissions.length, 1);
});

test('a call that waits longer than maxWaitMs is refused', async () => {
  const { memory, gate: g } = gate(1, 10, 5);
  admit(g);
  const waiting = admit(g);
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(waiting.admissions.length, 1);
  assert.ok('refusal' in waiting.admissions[0]!);
  assert.equal(memory.state.countedRefusals, 1);
  assert.equal(g.queued, 0);
});
