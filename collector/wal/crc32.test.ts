import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { crc32 } from './crc32.js';

test('crc32 gives the standard check value and agrees with the CRC in gzip trailers', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  // gzip stores the CRC-32 of the uncompressed data in its trailer: an independent implementation.
  let seed = 12345;
  for (const length of [1, 7, 8, 9, 63, 64, 1000, 65_537]) {
    const data = Buffer.alloc(length);
    for (let i = 0; i < length; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      data[i] = seed >>> 24;
    }
    const gz = gzipSync(data);
    assert.equal(crc32(data), gz.readUInt32LE(gz.length - 8), `length ${length}`);
    // Ranges and running checksums.
    const cut = Math.floor(length / 3);
    assert.equal(crc32(data, cut, length, crc32(data, 0, cut)), crc32(data), `running, length ${length}`);
  }
});
