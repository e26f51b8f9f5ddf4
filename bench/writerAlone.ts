/**
 * The server's span writer alone, as the append ceiling runs it, with its knobs to turn:
 *   npm run bench:writer -- [--spans 1000000] [--batch 20000] [--connections 4] [--empty-resources]
 * prints spans/s and CPU-seconds a million spans (DuckDB's threads included). `--empty-resources`
 * writes the same spans with no resource attributes, to price them.
 */
import { decodeWorkload, measureDuckdbAppend } from './ceilings.js';
import { generateWorkload } from './workload.js';
import type { Attributes } from '../core/model/span.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a whole number above 0, not ${process.argv[i + 1]}`);
  return value;
}

const spans = option('--spans', 1_000_000);
const batch = option('--batch', 20_000);
const connections = option('--connections', 4);
const emptyResources = process.argv.includes('--empty-resources');
const rows = decodeWorkload(generateWorkload({ spans, batchSize: 512, encoding: 'protobuf', seed: 7 }));
const noAttributes: Attributes = { keys: [], values: [], types: '' };
const written = emptyResources ? rows.map((row) => ({ ...row, resourceAttributes: noAttributes })) : rows;
const { spansPerSec, cpuSecPerMillionSpans } = await measureDuckdbAppend(written, batch, connections);
console.log(
  `${spans} spans in batches of ${batch} on ${connections} connections${emptyResources ? ', resources emptied' : ''}: ` +
    `${Math.round(spansPerSec)} spans/s, ${cpuSecPerMillionSpans.toFixed(1)} CPU-s a million spans`,
);
