/**
 * A process that dies without warning while appending to a WAL, for crash tests:
 *   node --import tsx collector/wal/crashChild.ts <walDir> [waves] [perWave]
 * Appends record i (i = 0, 1, 2, ...: the spans of `crashRecordSpans(i)`) in waves of concurrent appends.
 * Prints `acked <id> <i>` (synchronously) as each append resolves, and after `waves` waves starts one
 * more wave and SIGKILLs itself while that wave is being written. Everything it printed must survive.
 * Ids start at 1 in an empty directory, so record i gets id i + 1.
 */
import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { generateTraces } from '../../test/fixtures/generatedTraces.js';
import type { SpanRow } from '../../core/model/span.js';
import { WriteAheadLog } from './writeAheadLog.js';

/** The spans of record i: a few traces whose content depends on i. */
export function crashRecordSpans(i: number): SpanRow[] {
  return generateTraces(1 + (i % 5), 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n, 1_000n, i + 1);
}

async function main(): Promise<void> {
  const [dir, wavesText = '5', perWaveText = '25'] = process.argv.slice(2);
  if (!dir) throw new Error('usage: crashChild.ts <walDir> [waves] [perWave]');
  const waves = Number(wavesText);
  const perWave = Number(perWaveText);
  const { wal } = await WriteAheadLog.open({ dir, segmentBytes: 16 * 1024, groupCommitMs: 1 });
  let next = 0;
  const wave = () =>
    Array.from({ length: perWave }, () => {
      const i = next++;
      return wal.append(crashRecordSpans(i)).then((id) => {
        writeSync(1, `acked ${id} ${i}\n`);
      });
    });
  for (let w = 0; w < waves; w++) await Promise.all(wave());
  void Promise.all(wave());
  // Die while the last wave is between serialization, write and fsync.
  setTimeout(() => process.kill(process.pid, 'SIGKILL'), 1);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    writeSync(2, `${String((error as Error).stack ?? error)}\n`);
    process.exit(1);
  });
}
