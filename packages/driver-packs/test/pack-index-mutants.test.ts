import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PackIndex } from '../src/pack-index.js';

// find() searches only the bucket the fanout names for the hash's first byte. The reader never
// checks that the hash table is sorted, so a hand-built idx (with a correct checksum) whose
// fanout puts an 01.. hash before its own bucket shows whether the search starts at the bucket.

const HEADER = 8;
const FANOUT = 256 * 4;

/** An idx v2 with `hashes` in the given order and the given fanout, checksum made valid. */
function handBuiltIdx(hashes: string[], fanout: (i: number) => number): Buffer {
  const n = hashes.length;
  const bytes = Buffer.alloc(HEADER + FANOUT + n * 28 + 40);
  Buffer.from([0xff, 0x74, 0x4f, 0x63]).copy(bytes, 0);
  bytes.writeUInt32BE(2, 4);
  for (let i = 0; i < 256; i++) bytes.writeUInt32BE(fanout(i), HEADER + i * 4);
  hashes.forEach((h, i) => Buffer.from(h, 'hex').copy(bytes, HEADER + FANOUT + i * 20));
  // CRCs and offsets stay zero; the pack checksum is any 20 bytes.
  createHash('sha1').update(bytes.subarray(0, bytes.length - 20)).digest().copy(bytes, bytes.length - 20);
  return bytes;
}

describe('PackIndex.find', () => {
  it('searches only the fanout bucket of the first byte: an 01.. hash placed before its bucket is not found', () => {
    const inBucket0 = '01aa'.padEnd(40, '0');
    const inBucket1 = '01bb'.padEnd(40, '0');
    // fanout[0x00] = 1, so the bucket of first byte 0x01 is [1, 2): only position 1.
    const idx = new PackIndex(handBuiltIdx([inBucket0, inBucket1], (i) => (i === 0 ? 1 : 2)), 'hand-built.idx');
    expect(idx.count).toBe(2);
    expect(idx.find(inBucket1)).toBe(1);
    expect(idx.find(inBucket0)).toBe(-1);
  });
});
