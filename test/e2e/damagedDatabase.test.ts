/**
 * A database file cut short refuses to start, with a message that names the file and says what to do,
 * instead of starting ready and acknowledging spans it cannot store: cut inside the blocks that DuckDB
 * reads only when a query reaches them, and cut so short that DuckDB itself cannot open it.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DATABASE_FILE } from '../../core/storage/duckdb/database.js';
import { makeTrace, postOtlp, PROTOBUF, protobufRequest } from '../helpers/otlp.js';
import { logMessages, makeTempDir, removeTempDirs, runServerToExit, startServer, waitForStored } from '../helpers/server.js';

const BLOCK = 262_144;
let intact: string;

before(async () => {
  intact = makeTempDir();
  const server = await startServer({ dataDir: intact });
  // Enough spans for a file of many blocks.
  for (let i = 0; i < 20; i++) {
    const spans = Array.from({ length: 100 }, () => makeTrace(undefined, 9, 'damaged-db')).flat();
    assert.equal((await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF })).status, 200);
  }
  await waitForStored(server.queryUrl, 10_000);
  assert.equal((await server.stop()).code, 0);
  assert.ok(statSync(join(intact, DATABASE_FILE)).size > 4 * BLOCK, 'a file of several blocks');
});
after(() => removeTempDirs());

/** A copy of the intact data directory with its database file cut to `length(size)` bytes. */
function cutCopy(length: (size: number) => number): string {
  const dir = makeTempDir();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, DATABASE_FILE);
  copyFileSync(join(intact, DATABASE_FILE), file);
  truncateSync(file, length(statSync(file).size));
  return dir;
}

for (const [name, length] of [
  ['its last block', (size: number) => size - BLOCK],
  ['to a tenth', (size: number) => Math.floor(size / 10)],
] as const) {
  test(`a database file cut short (${name}) stops the start with a message naming the file and what to do`, async () => {
    const dir = cutCopy(length);
    const exit = await runServerToExit(dir);
    assert.equal(exit.code, 1, exit.stdout + exit.stderr);
    assert.doesNotMatch(exit.stdout, /listening on/, 'no listener was opened');
    const fatal = logMessages(exit.stdout, ['fatal']);
    assert.match(fatal, /^ducktrace: the database file .* truncated/m);
    assert.ok(fatal.includes(dir), `the message names the data directory: ${fatal}`);
    assert.match(fatal, /restore (the file|it) from a backup, or move it aside/i);
  });
}

test('the intact file still starts', async () => {
  const server = await startServer({ dataDir: cutCopy((size) => size) });
  assert.equal((await server.stop()).code, 0);
});
