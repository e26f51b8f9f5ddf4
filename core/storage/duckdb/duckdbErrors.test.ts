import assert from 'node:assert/strict';
import { test } from 'node:test';
import { logger } from '../../logger.js';
import { StorageHealth } from '../storageHealth.js';
import { committedDespiteError, publicMessage, queryFailure, storageFailureOf, withoutPaths } from './duckdbErrors.js';

test('storage failures: DuckDB invalidated the database, the disk is full, an I/O error; reasons without paths', () => {
  const invalidated = storageFailureOf(
    new Error('IO Error: Checkpoint failed for database "ducktrace". The database has been invalidated. Original error: Could not write file "/data/x/ducktrace.duckdb": No space left on device'),
  );
  assert.deepEqual(invalidated, { kind: 'invalidated', reason: 'DuckDB invalidated the database after a failed write (the disk holding the data directory is full)' });
  const outOfMemory = storageFailureOf(new Error('TransactionContext Error: Failed to commit: Checkpoint failed for database "ducktrace". Original error: failed to allocate data of size 3.0 MiB'));
  assert.equal(outOfMemory?.kind, 'invalidated');
  assert.match(outOfMemory!.reason, /failed to allocate data of size 3\.0 MiB/);
  assert.deepEqual(storageFailureOf(new Error('TransactionContext Error: Failed to commit: Could not write file "/data/x/ducktrace.duckdb.wal": No space left on device')), {
    kind: 'disk_full',
    reason: 'the disk holding the data directory is full',
  });
  const io = storageFailureOf(new Error('IO Error: Could not read from file "/data/x/ducktrace.duckdb": Input/output error'));
  assert.equal(io?.kind, 'io');
  assert.ok(!io!.reason.includes('/data/x'), io!.reason);
  assert.equal(storageFailureOf(new Error('Out of Memory Error: failed to allocate data of size 4.0 KiB')), null);
  assert.equal(storageFailureOf(new Error('Binder Error: Referenced column "x" not found')), null);
});

test('a COMMIT DuckDB calls durable despite its error is told apart', () => {
  assert.equal(committedDespiteError(new Error('Transaction COMMIT succeeded and is durable, but the autocheckpoint failed. Reopen the database instance to recover.')), true);
  assert.equal(committedDespiteError(new Error('TransactionContext Error: Failed to commit: Could not write file')), false);
});

test('public text: the first line, paths cut to file names unless the user wrote them', () => {
  assert.equal(publicMessage('Conversion Error: out of range for INT64\n\nLINE 3: ... FROM spans WHERE start_time > $1'), 'Conversion Error: out of range for INT64');
  assert.equal(withoutPaths('Could not write file "/var/lib/ducktrace/ducktrace.duckdb.wal": No space left'), 'Could not write file "ducktrace.duckdb.wal": No space left');
  assert.equal(withoutPaths('Permission Error: Cannot access file "/etc/passwd"', "SELECT * FROM read_csv('/etc/passwd')"), 'Permission Error: Cannot access file "/etc/passwd"');
  assert.equal(withoutPaths('no paths here: 1/2 and a/b'), 'no paths here: 1/2 and a/b');
});

test('a failed query of ducktrace’s own SQL: 503 for storage, 400 with the first line for a refused value, else a 500 without DuckDB’s text', () => {
  const health = new StorageHealth();
  const errors: string[] = [];
  const original = logger.error;
  logger.error = ((fields: { query: string }, msg: string) => void errors.push(`${msg}\n${fields.query}`)) as typeof logger.error;
  try {
    const range = queryFailure(new Error('Conversion Error: Type INT128 with value 1e21 can\'t be cast\n\nLINE 1: SELECT * FROM spans'), health, 'SELECT * FROM spans');
    assert.deepEqual([range.code, range.message], ['invalid_argument', "a parameter is out of range or invalid: Conversion Error: Type INT128 with value 1e21 can't be cast"]);
    const internal = queryFailure(new Error('Binder Error: column "x" not found\nLINE 1: SELECT x FROM spans'), health, 'SELECT x FROM spans');
    assert.equal(internal.code, 'internal');
    assert.doesNotMatch(internal.message, /SELECT|Binder/);
    assert.match(errors.join('\n'), /SELECT x FROM spans/, 'the details go to the log');
    assert.equal(health.healthy, true);
    const invalidated = queryFailure(new Error('IO Error: Database "ducktrace" has been invalidated because checkpointing failed.'), health, 'SELECT 1');
    assert.deepEqual([invalidated.code, invalidated.retryAfterSeconds], ['storage_unavailable', 1]);
    assert.equal(health.healthy, false, 'an invalidated database marks storage failing, so that it is attached again');
    const detached = queryFailure(new Error('Catalog Error: Table with name spans does not exist!'), health, 'SELECT 1 FROM spans');
    assert.equal(detached.code, 'storage_unavailable', 'tables missing while the database is attached again');
  } finally {
    logger.error = original;
  }
});
