/**
 * A bounded fuzz run in every `npm test` (`npm run fuzz` sends a million): fuzzed OTLP bodies over HTTP
 * and gRPC to the real server, every answer one the OTLP specification allows and well formed, the
 * health check answered throughout, and a clean stop afterwards. A failure names the seed and index
 * that reproduce it.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { describeFailure, runFuzz } from '../fuzz/fuzzRunner.js';
import { logEntries, removeTempDirs, startServer } from '../helpers/server.js';

const BODIES = 3000;
after(() => removeTempDirs());

test(`${BODIES} fuzzed OTLP bodies: only the answers the OTLP specification allows, and the server keeps serving`, async (t) => {
  const seed = Number(process.env.DUCKTRACE_FUZZ_SEED ?? Date.now() % 2 ** 31);
  const server = await startServer();
  const result = await runFuzz(server, { seed, count: BODIES });
  const exit = await server.stop();
  t.diagnostic(`seed ${seed}: ${JSON.stringify(result.outcomes)}`);
  assert.deepEqual(result.failures.map(describeFailure), []);
  assert.equal(result.sent, BODIES);
  assert.ok(Object.keys(result.outcomes).some((o) => o.startsWith('http 200')) && Object.keys(result.outcomes).some((o) => o.startsWith('http 400')), 'both accepted and refused bodies');
  assert.equal(exit.code, 0, exit.stdout.slice(-2000));
  const failures = logEntries(exit.stdout).filter((entry) => entry.level === 'error' || entry.level === 'fatal');
  assert.deepEqual(failures, [], 'no error in the log');
  assert.equal(exit.stderr, '');
});
