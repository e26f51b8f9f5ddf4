import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StorageHealth } from './storageHealth.js';

test('failing keeps the first reason of an outage and tells listeners once; recovering wakes whoever waits', async () => {
  let now = 1_000;
  const health = new StorageHealth(() => now);
  const heard: string[] = [];
  health.onFailure((reason) => heard.push(reason));
  assert.equal(health.healthy, true);
  await health.whenHealthy();

  health.fail('the disk is full');
  now = 2_000;
  health.fail('another reason');
  assert.deepEqual(health.state, { healthy: false, reason: 'the disk is full', sinceMs: 1_000 });
  assert.deepEqual(heard, ['the disk is full']);

  let woken = false;
  const waiting = health.whenHealthy().then(() => (woken = true));
  await Promise.resolve();
  assert.equal(woken, false);
  health.recover();
  await waiting;
  assert.equal(health.healthy, true);

  health.fail('invalidated');
  assert.deepEqual(heard, ['the disk is full', 'invalidated']);
});
