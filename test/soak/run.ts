/**
 * `npm run soak`: steady OTLP load into the real server for 30 minutes (`--minutes N`), restarted on the
 * same data directory every 2 minutes (`--restart-every S` seconds), by SIGTERM and SIGKILL in turn;
 * then checks that every acknowledged span is stored exactly once and prints the memory of each run.
 * Exits 1 on any lost or duplicated span.
 */
import { parseArgs } from 'node:util';
import { removeTempDirs } from '../helpers/server.js';
import { runSoak } from './soak.js';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, 'restart-every': { type: 'string' }, concurrency: { type: 'string' } } });
const minutes = Number(values.minutes ?? 30);
const restartEverySeconds = Number(values['restart-every'] ?? 120);
if (!(minutes > 0) || !(restartEverySeconds > 0)) throw new Error('--minutes and --restart-every must be positive numbers');
console.log(`soak: ${minutes} min, a restart every ${restartEverySeconds} s`);
const report = await runSoak({
  durationMs: minutes * 60_000,
  restartEveryMs: restartEverySeconds * 1000,
  concurrency: Number(values.concurrency ?? 8),
  log: (line) => console.log(line),
});
removeTempDirs();
console.log(JSON.stringify(report, null, 2));
process.exitCode = report.missing > 0 || report.duplicates > 0 || report.halfStored > 0 ? 1 : 0;
