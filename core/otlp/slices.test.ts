import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runInSlices, runToEnd, type Pauser, type Steps } from './slices.js';

/** Work of `steps` steps of about 1 ms each, offering to pause after each; returns how many it ran. */
function* busy(steps: number, pauser: Pauser): Steps<number> {
  for (let i = 0; i < steps; i++) {
    const until = performance.now() + 1;
    while (performance.now() < until);
    if (pauser.due()) yield;
  }
  return steps;
}

test('run to its end, work is never asked to pause', () => {
  assert.equal(runToEnd((pauser) => busy(5, pauser)), 5);
});

test('run in slices, work lets the event loop turn between them', async () => {
  let turns = 0;
  const tick = (): void => {
    turns++;
    if (!done) setImmediate(tick);
  };
  let done = false;
  setImmediate(tick);
  const result = await runInSlices((pauser) => busy(30, pauser), 2);
  done = true;
  assert.equal(result, 30);
  assert.ok(turns >= 5, `the event loop turned ${turns} times during 30 ms of work in 2 ms slices`);
});
