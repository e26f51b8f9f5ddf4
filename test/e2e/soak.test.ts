/**
 * A short soak run in every `npm test` (`npm run soak` runs 30 minutes): steady load over HTTP and gRPC,
 * the server restarted by SIGTERM and by SIGKILL on the same data directory, then every acknowledged
 * span stored exactly once, exports in flight at a kill all or nothing, and memory that does not grow
 * from run to run.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { removeTempDirs } from '../helpers/server.js';
import { runSoak } from '../soak/soak.js';

after(() => removeTempDirs());

test('steady load across SIGTERM and SIGKILL restarts: each acknowledged span stored once, memory bounded', async (t) => {
  const report = await runSoak({ durationMs: 12_000, restartEveryMs: 4_000, concurrency: 4, spansPerExport: 40 });
  t.diagnostic(JSON.stringify(report));
  assert.deepEqual(report.restarts.map((r) => r.split(' ')[0]), ['SIGTERM', 'SIGKILL']);
  assert.ok(report.acknowledged > 50, `${report.acknowledged} exports acknowledged`);
  assert.equal(report.missing, 0, 'acknowledged spans not stored');
  assert.equal(report.duplicates, 0, 'spans stored twice');
  assert.equal(report.halfStored, 0, 'exports in flight at a kill stored in part');
  assert.ok(report.storedSpans >= report.acknowledgedSpans);
  // Each run starts afresh; the later runs replay the log but must not hold more than a small margin above the first.
  const [first, ...later] = report.peakRssMbByRun;
  for (const peak of later) assert.ok(peak < first! * 1.5 + 100, `peak RSS by run: ${report.peakRssMbByRun.join(', ')} MB`);
});
