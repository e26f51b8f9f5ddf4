import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import { crc32 } from 'node:zlib';
import { DucktraceError, ERROR_CATALOG } from '../../core/errors.js';
import type { SpanRow } from '../../core/model/span.js';
import { generateTraces, spanRow } from '../../test/fixtures/generatedTraces.js';
import { crashRecordSpans } from './crashChild.js';
import { DAMAGED_DIR, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, WriteAheadLog, encodeFrame, segmentFileName, type WalOptions } from './writeAheadLog.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const T0 = 1_700_000_000_000_000_000n;

async function tempDir(t: TestContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ducktrace-wal-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return path.join(dir, 'wal');
}

async function segmentFiles(dir: string): Promise<string[]> {
  return (await fs.readdir(dir)).filter((name) => name.endsWith('.wal')).sort();
}

/** A span with every field set to something other than its default, including the awkward values. */
function fullSpan(): SpanRow {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: '53995c3f42cd8ad8',
    traceState: 'ot=th:8;rv:1234567890abcd,vendor=x',
    flags: 0x301,
    name: 'GET /orders/{id} — ünïcødé 🚀',
    kind: 3,
    serviceName: 'checkout',
    startTimeUnixNano: 9_223_372_036_854_775_807n,
    durationNs: -42n,
    statusCode: 2,
    statusMessage: 'upstream timed out',
    attributes: {
      keys: ['s', 'b', 'i', 'd', 'y', 'a', 'k', 'n'],
      values: ['text', 'true', '-9007199254740993', '3.5', 'AAEC', '[1,"x"]', '{"a":1}', ''],
      types: 'sbidyakn',
    },
    droppedAttributesCount: 1,
    events: [
      { timeUnixNano: 1_700_000_000_000_000_123n, name: 'exception', attributes: { keys: ['exception.type'], values: ['Error'], types: 's' }, droppedAttributesCount: 2 },
    ],
    droppedEventsCount: 3,
    links: [
      {
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        traceState: 'a=b',
        flags: 1,
        attributes: { keys: ['link.kind'], values: ['follows'], types: 's' },
        droppedAttributesCount: 4,
      },
    ],
    droppedLinksCount: 5,
    resourceAttributes: { keys: ['service.name', 'host.cpus'], values: ['checkout', '8'], types: 'si' },
    resourceDroppedAttributesCount: 6,
    resourceSchemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
    scopeName: 'io.opentelemetry.http',
    scopeVersion: '1.2.3',
    scopeAttributes: { keys: ['scope.attr'], values: ['1'], types: 'i' },
    scopeDroppedAttributesCount: 7,
    scopeSchemaUrl: 'https://opentelemetry.io/schemas/1.25.0',
    sampleWeight: 10.5,
    samplingPolicy: 'errors',
  };
}

function open(dir: string, extra: Partial<WalOptions> = {}, corruption: string[] = []) {
  return WriteAheadLog.open({ dir, groupCommitMs: 1, onCorruption: (message) => corruption.push(message), ...extra });
}

test('spans round-trip with every field, ids increase, and records survive close and reopen', async (t) => {
  const dir = await tempDir(t);
  const corruption: string[] = [];
  const { wal, recovered: none } = await open(dir, {}, corruption);
  assert.deepEqual(none, []);
  const records: SpanRow[][] = [[fullSpan()], generateTraces(20, T0, 1_000_000n), [], [spanRow({ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), serviceName: 's', name: 'n', startTimeUnixNano: 0n, durationNs: 0n })]];
  const ids: bigint[] = [];
  for (const spans of records) ids.push(await wal.append(spans));
  // Concurrent appends get increasing ids in call order too.
  const concurrent = await Promise.all(records.map((spans) => wal.append(spans)));
  ids.push(...concurrent);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `id ${ids[i]} after ${ids[i - 1]}`);
  await wal.close();

  const again = await open(dir, {}, corruption);
  assert.deepEqual(
    again.recovered.map((r) => r.id),
    ids,
  );
  assert.deepEqual(
    again.recovered.map((r) => r.spans),
    [...records, ...records],
  );
  assert.equal(typeof again.recovered[0]!.spans[0]!.startTimeUnixNano, 'bigint');
  // Ids keep increasing across restarts.
  const later = await again.wal.append([fullSpan()]);
  assert.ok(later > ids[ids.length - 1]!, `id ${later} after a restart`);
  await again.wal.close();
  assert.deepEqual(corruption, []);
});

test('a record is recovered after an abrupt stop without close (same process)', async (t) => {
  const dir = await tempDir(t);
  const first = await open(dir);
  const spans = generateTraces(5, T0, 1_000n);
  const id = await first.wal.append(spans);
  // No close(): the next open reads what the first instance left behind.
  const second = await open(dir);
  assert.deepEqual(second.recovered, [{ id, spans }]);
  await second.wal.close();
  await first.wal.close();
});

test('every acknowledged record survives a SIGKILL in the middle of appending (child process)', async (t) => {
  const dir = await tempDir(t);
  const child = path.join(here, 'crashChild.ts');
  const { stdout, signal } = await new Promise<{ stdout: string; signal: NodeJS.Signals | null }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', child, dir, '6', '25'], { cwd: path.resolve(here, '../..') }, (error, stdout, stderr) => {
      resolve({ stdout: stdout + stderr, signal: (error as { signal?: NodeJS.Signals } | null)?.signal ?? null });
    });
  });
  assert.equal(signal, 'SIGKILL', `the child should die by SIGKILL; stdout: ${stdout.slice(0, 500)}`);
  const acked = stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('acked '))
    .map((line) => line.split(' '))
    .map(([word, id, i]) => {
      assert.equal(word, 'acked');
      return { id: BigInt(id!), i: Number(i) };
    });
  assert.ok(acked.length >= 150, `six waves of 25 are acknowledged before the kill, got ${acked.length}`);
  for (const { id, i } of acked) assert.equal(id, BigInt(i + 1));

  const corruption: string[] = [];
  const { wal, recovered } = await open(dir, {}, corruption);
  const byId = new Map(recovered.map((r) => [r.id, r.spans]));
  for (const { id, i } of acked) assert.deepEqual(byId.get(id), crashRecordSpans(i), `acknowledged record ${id}`);
  // Anything else recovered (written but not yet acknowledged) is whole, too.
  for (const record of recovered) assert.deepEqual(record.spans, crashRecordSpans(Number(record.id) - 1));
  for (let i = 1; i < recovered.length; i++) assert.ok(recovered[i]!.id > recovered[i - 1]!.id, `recovered id ${recovered[i]!.id} in order`);
  assert.ok((await segmentFiles(dir)).length > 2, 'the child rolled segments');
  await wal.close();
});

test('segments roll past segmentBytes, are named by their first record id, and stay within the size', async (t) => {
  const dir = await tempDir(t);
  const segmentBytes = 8 * 1024;
  const { wal } = await open(dir, { segmentBytes });
  const ids: bigint[] = [];
  for (let i = 0; i < 40; i++) ids.push(await wal.append(generateTraces(3, T0 + BigInt(i) * 1_000_000n, 1_000n, i + 1)));
  await wal.close();
  const files = await segmentFiles(dir);
  assert.ok(files.length >= 4, `expected several segments, got ${files.length}`);
  for (const name of files) {
    const data = await fs.readFile(path.join(dir, name));
    assert.ok(data.length <= segmentBytes, `${name} is ${data.length} bytes`);
    if (data.length > SEGMENT_HEADER_BYTES) assert.equal(data.readBigUInt64LE(SEGMENT_HEADER_BYTES + 16), BigInt(name.slice(0, 20)), `${name} starts with its own id`);
  }
  assert.equal(files[0], segmentFileName(ids[0]!));
  const { wal: again, recovered } = await open(dir, { segmentBytes });
  assert.deepEqual(
    recovered.map((r) => r.id),
    ids,
  );
  await again.close();
});

test('released records are not recovered once their segment is deleted; the segment being written is kept', async (t) => {
  const dir = await tempDir(t);
  const segmentBytes = 4 * 1024;
  const { wal } = await open(dir, { segmentBytes });
  const ids: bigint[] = [];
  for (let i = 0; i < 30; i++) ids.push(await wal.append(generateTraces(2, T0 + BigInt(i) * 1_000_000n, 1_000n, i + 1)));
  const segmentsBefore = wal.segmentCount;
  assert.ok(segmentsBefore >= 4, `${segmentsBefore} segments`);
  const diskBefore = wal.diskBytes;
  const filesBefore = await segmentFiles(dir);
  assert.equal(wal.diskBytes, (await Promise.all(filesBefore.map((f) => fs.stat(path.join(dir, f))))).reduce((sum, s) => sum + s.size, 0));

  // Release the first 20 records, one of them twice and in a shuffled order.
  const released = ids.slice(0, 20);
  for (const id of [...released].reverse()) wal.release(id);
  wal.release(released[3]!);
  wal.release(123456789n);
  await wal.settle();
  const filesAfter = await segmentFiles(dir);
  assert.ok(filesAfter.length < filesBefore.length, 'fully released sealed segments are deleted');
  assert.ok(wal.diskBytes < diskBefore, `${wal.diskBytes} bytes on disk after releases, ${diskBefore} before`);
  assert.equal(wal.diskBytes, (await Promise.all(filesAfter.map((f) => fs.stat(path.join(dir, f))))).reduce((sum, s) => sum + s.size, 0));
  assert.equal(wal.unreleasedRecords, 10);
  await wal.close();

  const second = await open(dir, { segmentBytes });
  const recoveredIds = second.recovered.map((r) => r.id);
  // Unreleased records all come back; released ones only if they shared a segment with an unreleased one.
  for (const id of ids.slice(20)) assert.ok(recoveredIds.includes(id), `unreleased ${id} recovered`);
  assert.ok(recoveredIds.length < ids.length, 'records of deleted segments are not recovered');
  assert.ok(!recoveredIds.includes(ids[0]!), 'the first record, released, is gone');

  // Releasing everything, including the segment being written, then closing leaves nothing to replay.
  for (const record of second.recovered) second.wal.release(record.id);
  second.wal.release(await second.wal.append([fullSpan()]));
  await second.wal.close();
  const third = await open(dir, { segmentBytes });
  assert.deepEqual(third.recovered, []);
  assert.equal((await segmentFiles(dir)).length, 1, 'only the new, empty segment is left');
  await third.wal.close();
});

/** Writes `count` records over at least two segments, closes, and returns their ids and spans. */
async function writeTwoSegments(dir: string, count: number): Promise<Array<{ id: bigint; spans: SpanRow[] }>> {
  const { wal } = await open(dir, { segmentBytes: 6 * 1024 });
  const records: Array<{ id: bigint; spans: SpanRow[] }> = [];
  for (let i = 0; i < count; i++) {
    const spans = generateTraces(3, T0 + BigInt(i) * 1_000_000n, 1_000n, i + 1);
    records.push({ id: await wal.append(spans), spans });
  }
  await wal.close();
  return records;
}

/** The byte offsets of the record frames in a segment file. */
function frameOffsets(data: Buffer): number[] {
  const offsets: number[] = [];
  for (let offset = SEGMENT_HEADER_BYTES; offset < data.length; offset += RECORD_HEADER_BYTES + data.readUInt32LE(offset + 8)) offsets.push(offset);
  return offsets;
}

test('a truncated tail is skipped with onCorruption; everything before it and later segments are recovered', async (t) => {
  const dir = await tempDir(t);
  const records = await writeTwoSegments(dir, 20);
  const files = await segmentFiles(dir);
  assert.ok(files.length >= 3, `${files.length} segments`);
  const victim = path.join(dir, files[0]!);
  const data = await fs.readFile(victim);
  const offsets = frameOffsets(data);
  assert.ok(offsets.length >= 3, `${offsets.length} records in the first segment`);
  const lastOffset = offsets[offsets.length - 1]!;
  await fs.truncate(victim, lastOffset + RECORD_HEADER_BYTES + 10); // mid-payload of the last record

  const corruption: string[] = [];
  const { wal, recovered } = await open(dir, {}, corruption);
  assert.equal(corruption.length, 1, corruption.join('\n'));
  assert.match(corruption[0]!, new RegExp(`${files[0]!.replace('.', '\\.')} is damaged at offset ${lastOffset}\\b`));
  assert.match(corruption[0]!, /past the end of the file/);
  const lost = records[offsets.length - 1]!.id;
  assert.deepEqual(
    recovered,
    records.filter((r) => r.id !== lost),
  );
  await wal.close();

  // A tail cut inside a record header is reported too.
  await fs.truncate(victim, offsets[1]! + 5);
  const again: string[] = [];
  const reopened = await open(dir, {}, again);
  assert.equal(again.length, 1);
  assert.match(again[0]!, /record header is truncated/);
  assert.deepEqual(
    reopened.recovered.map((r) => r.id),
    records.filter((_, i) => i === 0 || i >= offsets.length).map((r) => r.id),
  );
  await reopened.wal.close();
});

test('a flipped byte fails one record\'s CRC: that record alone is skipped, kept aside, and every intact record after it recovered', async (t) => {
  const dir = await tempDir(t);
  const records = await writeTwoSegments(dir, 20);
  const files = await segmentFiles(dir);
  const victim = path.join(dir, files[0]!);
  const data = await fs.readFile(victim);
  const offsets = frameOffsets(data);
  assert.ok(offsets.length >= 3, `${offsets.length} records in the first segment`);
  const target = offsets[1]!;
  data[target + RECORD_HEADER_BYTES + 3]! ^= 0x40;
  await fs.writeFile(victim, data);

  const corruption: string[] = [];
  const skipped: number[] = [];
  const { wal, recovered } = await WriteAheadLog.open({ dir, groupCommitMs: 1, onCorruption: (message, bytes) => (corruption.push(message), skipped.push(bytes)) });
  assert.equal(corruption.length, 1, corruption.join('\n'));
  assert.match(corruption[0]!, new RegExp(`damaged at offset ${target}\\b.*CRC mismatch.*next intact record is at offset ${offsets[2]}\\b`));
  assert.deepEqual(skipped, [offsets[2]! - target]);
  assert.deepEqual(recovered, records.filter((_, i) => i !== 1));
  const kept = await fs.readFile(path.join(dir, DAMAGED_DIR, `${files[0]}.${target}-${offsets[2]}.damaged`));
  assert.deepEqual(kept, data.subarray(target, offsets[2]), 'the damaged record\'s bytes are kept as they were');
  assert.match(corruption[0]!, /kept in .*\.damaged/);
  await wal.close();
});

test('garbage written over the middle of a segment costs only the records it covers', async (t) => {
  const dir = await tempDir(t);
  const records = await writeTwoSegments(dir, 20);
  const files = await segmentFiles(dir);
  const victim = path.join(dir, files[0]!);
  const data = await fs.readFile(victim);
  const offsets = frameOffsets(data);
  assert.ok(offsets.length >= 4, `${offsets.length} records in the first segment`);
  // From inside record 1 to inside record 2, including record 2's header: both are lost, none after.
  data.fill(0x5a, offsets[1]! + 7, offsets[2]! + 12);
  await fs.writeFile(victim, data);
  const corruption: string[] = [];
  const { wal, recovered } = await open(dir, {}, corruption);
  assert.equal(corruption.length, 1, corruption.join('\n'));
  assert.deepEqual(recovered.map((r) => r.id), records.filter((_, i) => i !== 1 && i !== 2).map((r) => r.id));
  await wal.close();
});

test('a frame with a valid CRC whose payload does not decode is skipped, and the record after it recovered', async (t) => {
  const dir = await tempDir(t);
  const records = await writeTwoSegments(dir, 20);
  const files = await segmentFiles(dir);
  const last = path.join(dir, files[files.length - 1]!);
  const size = (await fs.stat(last)).size;
  // Append a well-framed record whose lz4 payload is nonsense, then a good one after it.
  const bad = encodeFrame(records[records.length - 1]!.id + 1n, v8.serialize([fullSpan()])).frame;
  bad.fill(0xff, RECORD_HEADER_BYTES);
  bad.writeUInt32LE(crc32(bad.subarray(8)), 4);
  const good = encodeFrame(records[records.length - 1]!.id + 2n, v8.serialize([fullSpan()])).frame;
  await fs.appendFile(last, Buffer.concat([bad, good]));

  const corruption: string[] = [];
  const { wal, recovered } = await open(dir, {}, corruption);
  assert.equal(corruption.length, 1);
  assert.match(corruption[0]!, new RegExp(`damaged at offset ${size}\\b.*does not decode`));
  assert.deepEqual(recovered.map((r) => r.id), [...records.map((r) => r.id), records[records.length - 1]!.id + 2n]);
  await wal.close();
});

test('a repeated frame (an id that does not increase) is reported and not recovered twice', async (t) => {
  const dir = await tempDir(t);
  const records = await writeTwoSegments(dir, 20);
  const files = await segmentFiles(dir);
  const last = path.join(dir, files[files.length - 1]!);
  const data = await fs.readFile(last);
  const offsets = frameOffsets(data);
  const lastFrame = data.subarray(offsets[offsets.length - 1]!);
  await fs.appendFile(last, lastFrame);

  const corruption: string[] = [];
  const { wal, recovered } = await open(dir, {}, corruption);
  assert.equal(corruption.length, 1);
  assert.match(corruption[0]!, new RegExp(`damaged at offset ${data.length}\\b.*does not follow.*no intact record after it`));
  assert.deepEqual(recovered, records);
  await wal.close();
});

test('a segment with an unreadable header is reported, kept aside and removed; other segments are recovered', async (t) => {
  const dir = await tempDir(t);
  const records = await writeTwoSegments(dir, 20);
  const files = await segmentFiles(dir);
  const victim = path.join(dir, files[0]!);
  const data = await fs.readFile(victim);
  const inFirst = frameOffsets(data).length;
  data.fill(0, 0, 4);
  await fs.writeFile(victim, data);
  await fs.writeFile(path.join(dir, 'notes.txt'), 'not a segment');

  const corruption: string[] = [];
  const { wal, recovered } = await open(dir, {}, corruption);
  assert.equal(corruption.length, 1);
  assert.match(corruption[0]!, /bad magic/);
  assert.deepEqual(recovered, records.slice(inFirst));
  assert.ok(!(await segmentFiles(dir)).includes(files[0]!), 'the unreadable segment is removed');
  assert.deepEqual(await fs.readFile(path.join(dir, DAMAGED_DIR, `${files[0]}.0-${data.length}.damaged`)), data);
  assert.ok((await fs.readdir(dir)).includes('notes.txt'), 'foreign files are left alone');
  await wal.close();
});

test('append refuses with a retryable wal_full error beyond maxDiskBytes, and accepts again once space is released', async (t) => {
  const dir = await tempDir(t);
  const maxDiskBytes = 32 * 1024;
  const { wal } = await open(dir, { maxDiskBytes, segmentBytes: 4 * 1024 });
  const ids: bigint[] = [];
  let refusal: unknown;
  for (let i = 0; i < 1000 && refusal === undefined; i++) {
    try {
      ids.push(await wal.append(generateTraces(3, T0 + BigInt(i) * 1_000_000n, 1_000n, i + 1)));
    } catch (error) {
      refusal = error;
    }
  }
  assert.ok(refusal instanceof DucktraceError, `expected a refusal, got ${String(refusal)}`);
  assert.equal(refusal.code, 'wal_full');
  assert.equal(ERROR_CATALOG[refusal.code].retryable, true);
  assert.ok((refusal.retryAfterSeconds ?? 0) > 0, `retryAfterSeconds ${refusal.retryAfterSeconds}`);
  assert.ok(wal.diskBytes <= maxDiskBytes, `${wal.diskBytes} bytes on disk`);
  assert.ok(ids.length > 5, `${ids.length} appends before the refusal`);
  // Refused appends do not use up ids or bytes: once released, the same append goes through.
  for (const id of ids) wal.release(id);
  await wal.settle();
  assert.ok(wal.diskBytes < maxDiskBytes / 2, `${wal.diskBytes} bytes on disk after release`);
  const next = await wal.append(generateTraces(3, T0, 1_000n));
  assert.equal(next, ids[ids.length - 1]! + 1n);

  // A record that could never fit is refused as non-retryable.
  assert.throws(
    () => wal.append(Array.from({ length: 2000 }, (_, i) => spanRow({ traceId: `${i}`.padStart(32, '0'), spanId: `${i}`.padStart(16, '0'), serviceName: `s${i * 7919}`, name: `op ${Math.sin(i)}`, startTimeUnixNano: BigInt(i) * 7919n, durationNs: BigInt(i) }))),
    (error: unknown) => error instanceof DucktraceError && error.code === 'payload_too_large',
  );
  await wal.close();
  assert.throws(() => wal.append([]), (error: unknown) => error instanceof DucktraceError && error.code === 'shutting_down');
});

test('group commit: many concurrent appends share far fewer fsyncs than sequential ones', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await open(dir, { groupCommitMs: 2 });
  const spans = generateTraces(2, T0, 1_000n);

  let before = wal.fsyncCount;
  for (let i = 0; i < 10; i++) await wal.append(spans);
  assert.equal(wal.fsyncCount - before, 10, 'one fsync per sequential append');

  before = wal.fsyncCount;
  const ids = await Promise.all(Array.from({ length: 500 }, () => wal.append(spans)));
  const fsyncs = wal.fsyncCount - before;
  assert.ok(fsyncs >= 1 && fsyncs <= 5, `500 concurrent appends took ${fsyncs} fsyncs`);
  assert.equal(new Set(ids).size, 500);
  for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1]! + 1n);

  // Appends made while a commit is running are committed too (none is stranded).
  const chained = await Promise.all(Array.from({ length: 20 }, () => wal.append(spans).then(() => wal.append(spans))));
  assert.equal(chained.length, 20);
  await wal.close();
  const { wal: again, recovered } = await open(dir);
  assert.equal(recovered.length, 10 + 500 + 40);
  await again.close();
});

test('lz4 compresses realistic span rows (ratio > 1), and incompressible records are stored raw', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await open(dir);
  const rows = generateTraces(600, T0, 1_000_000n);
  const batches: SpanRow[][] = [];
  for (let i = 0; i < rows.length; i += 512) batches.push(rows.slice(i, i + 512));
  await Promise.all(batches.map((batch) => wal.append(batch)));
  const ratio = wal.uncompressedBytes / wal.compressedBytes;
  assert.ok(ratio > 1, `compression ratio ${ratio}`);
  assert.equal(wal.uncompressedBytes, batches.reduce((sum, batch) => sum + v8.serialize(batch).length, 0));
  await wal.close();

  // A single short span does not shrink; its frame holds the serialized bytes as they are.
  const tiny = v8.serialize([]);
  const { frame, payloadBytes } = encodeFrame(1n, tiny);
  assert.equal(payloadBytes, tiny.length);
  assert.equal(frame[24], 0, 'stored raw');
  assert.deepEqual(frame.subarray(RECORD_HEADER_BYTES), tiny);
  const big = encodeFrame(2n, v8.serialize(rows.slice(0, 100)));
  assert.equal(big.frame[24], 1, 'lz4');
});

test('a full disk: appends refused as retryable without a path, the log says it is failing, and a probe sees the space come back', async (t) => {
  const mountPoint = await fs.mkdtemp(path.join(os.tmpdir(), 'ducktrace-wal-full-'));
  try {
    await new Promise<void>((resolve, reject) => execFile('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], (error) => (error ? reject(error) : resolve())));
  } catch (error) {
    console.warn(`\n*** a WAL full-disk test SKIPPED: cannot mount a tmpfs (${(error as Error).message.trim()}) ***\n`);
    t.skip('cannot mount a tmpfs');
    await fs.rm(mountPoint, { recursive: true, force: true });
    return;
  }
  t.after(async () => {
    await new Promise((resolve) => execFile('umount', ['-l', mountPoint], resolve));
    await fs.rm(mountPoint, { recursive: true, force: true });
  });
  const dir = path.join(mountPoint, 'wal');
  const { wal } = await open(dir);
  await wal.append([fullSpan()]);
  assert.equal(wal.failing, null);
  const filler = path.join(mountPoint, 'filler');
  await fs.writeFile(filler, Buffer.alloc(1024 * 1024)).catch(() => undefined);

  const big = Array.from({ length: 50 }, (_, i) => ({ ...fullSpan(), spanId: i.toString(16).padStart(16, '0'), name: 'x'.repeat(20_000) }));
  await assert.rejects(wal.append(big), (error: unknown) => {
    assert.ok(error instanceof DucktraceError);
    assert.equal(error.code, 'storage_unavailable');
    assert.equal(ERROR_CATALOG[error.code].retryable, true);
    assert.match(error.message, /the disk is full/);
    assert.ok(!error.message.includes(mountPoint), error.message);
    return true;
  });
  assert.equal(wal.failing, 'the disk is full');

  await fs.rm(filler);
  const deadline = Date.now() + 5_000;
  while (wal.failing !== null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(wal.failing, null, 'the probe saw the space come back');
  await wal.append([fullSpan()]);
  await wal.close();
});

test('a record of many spans is written in slices, letting other work run between them, and reads back whole', async (t) => {
  const dir = await tempDir(t);
  const { wal } = await open(dir);
  const spans = Array.from({ length: 10_000 }, (_, i) => ({ ...fullSpan(), spanId: (i + 1).toString(16).padStart(16, '0') }));
  let enqueuedBeforeOtherWork: boolean | undefined;
  const appended = wal.append(spans);
  // An immediate scheduled now runs before the record is queued only if the serialization yields.
  setImmediate(() => (enqueuedBeforeOtherWork = wal.diskBytes > SEGMENT_HEADER_BYTES || (wal as unknown as { pendingBytes: number }).pendingBytes > 0));
  const id = await appended;
  assert.equal(enqueuedBeforeOtherWork, false, 'other work ran while the record was being serialized');
  await wal.close();

  const [file] = await segmentFiles(dir);
  const data = await fs.readFile(path.join(dir, file!));
  assert.equal(data.readUInt8(SEGMENT_HEADER_BYTES + 24), 2, 'the record is sliced');
  const reopened = await open(dir);
  assert.deepEqual(reopened.recovered, [{ id, spans }]);
  await reopened.wal.close();
});
