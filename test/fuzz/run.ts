/**
 * `npm run fuzz`: starts the real server on loopback and sends it fuzzed OTLP bodies over HTTP
 * (protobuf, JSON, gzip) and gRPC, 1,000,000 by default; every failure is printed with the seed and
 * index that reproduce it. `--seed N` (default: from the clock), `--from I`, `--count N`,
 * `--concurrency N`. Exits 1 when any answer broke the rules or the server stopped answering.
 */
import { parseArgs } from 'node:util';
import { removeTempDirs, startServer } from '../helpers/server.js';
import { describeFailure, runFuzz } from './fuzzRunner.js';

const { values } = parseArgs({
  options: { seed: { type: 'string' }, from: { type: 'string' }, count: { type: 'string' }, concurrency: { type: 'string' } },
});
const number = (text: string | undefined, fallback: number, name: string): number => {
  const n = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`--${name} must be a whole number, got ${text}`);
  return n;
};
const seed = number(values.seed, Date.now() % 2 ** 31, 'seed');
const count = number(values.count, 1_000_000, 'count');
const from = number(values.from, 0, 'from');

const server = await startServer({ env: { DUCKTRACE_FLUSH_INTERVAL_MS: '200' }, timeoutMs: 60_000 });
console.log(`fuzz: seed ${seed}, bodies ${from} to ${from + count - 1}, against ${server.otlpHttpUrl} and ${server.otlpGrpcAddress}`);
const started = Date.now();
const result = await runFuzz(server, {
  seed,
  from,
  count,
  concurrency: number(values.concurrency, 8, 'concurrency'),
  onProgress: (sent) => {
    if (sent % 50_000 === 0) console.log(`fuzz: ${sent} sent, ${Math.round(sent / ((Date.now() - started) / 1000))} a second`);
  },
});
const exit = await server.stop();
removeTempDirs();
console.log(`fuzz: ${result.sent} bodies in ${((Date.now() - started) / 1000).toFixed(1)} s; answers: ${JSON.stringify(result.outcomes)}`);
for (const failure of result.failures.slice(0, 50)) console.log(`FAIL ${describeFailure(failure)}`);
if (result.failures.length > 50) console.log(`... and ${result.failures.length - 50} more`);
if (exit.code !== 0) console.log(`FAIL the server exited with ${exit.code ?? exit.signal} after the run:\n${exit.stdout.slice(-2000)}${exit.stderr.slice(-2000)}`);
process.exitCode = result.failures.length > 0 || exit.code !== 0 ? 1 : 0;
