/**
 * The benchmark's query client process: reads the query plans (JSON, from bench/queries.ts) on stdin,
 * runs them against `--port` and prints the figures as one JSON line.
 */
import { text } from 'node:stream/consumers';
import { timeQueries, type QueryPlan } from './queries.js';

const at = process.argv.indexOf('--port');
const port = Number(process.argv[at + 1]);
if (at < 0 || !Number.isInteger(port)) throw new Error('queryClient: --port is required');
const plans = JSON.parse(await text(process.stdin)) as QueryPlan[];
process.stdout.write(`${JSON.stringify(await timeQueries(port, plans))}\n`);
