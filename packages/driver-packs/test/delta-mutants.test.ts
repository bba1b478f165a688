import { describe, expect, it } from 'vitest';
import { createDelta } from '../src/delta.js';
import { DeltaIndex, windowHash } from '../src/delta-index.js';

// Two edges of the delta encoder the exact tests leave open: a target of exactly one window
// (16 bytes) is hashed and matched, and the index's hash table has the next power of two at or
// above the number of blocks (a bigger table would split a crowded slot, and find other matches).

const text = (s: string) => Buffer.from(s, 'latin1');
const P = text('0123456789ABCDEF');
const B = text('ghijklmnopqrstuv');

describe('createDelta', () => {
  it('copies a target of exactly one 16-byte window', () => {
    const base = Buffer.concat([P, B]);
    expect([...createDelta(new DeltaIndex(base), P)!]).toEqual([32, 16, 0x90, 16]);
    expect([...createDelta(new DeltaIndex(base), B)!]).toEqual([32, 16, 0x91, 16, 16]);
  });
});

describe('DeltaIndex', () => {
  it('has a table of exactly the next power of two at or above its block count (128 blocks: 128 slots)', () => {
    // B shares P's slot in a 128-slot table but not in a 256-slot one.
    const hP = windowHash(P, 0);
    let b = text('');
    for (let k = 0; ; k++) {
      b = text(`block-${k}`.padEnd(16, '.'));
      const h = windowHash(b, 0);
      if ((h & 127) === (hP & 127) && (h & 255) !== (hP & 255)) break;
    }
    const fill: Buffer[] = [];
    for (let k = 0; fill.length < 62; k++) {
      const f = text(`fill-${k}`.padEnd(16, '_'));
      if ((windowHash(f, 0) & 127) !== (hP & 127)) fill.push(f);
    }
    // 65 copies of P, then b, then 62 fillers: 128 blocks. In b's slot, the 65 P blocks come
    // first, so b is the 66th candidate: past the 64 compared, not found.
    const base = Buffer.concat([...Array.from({ length: 65 }, () => P), b, ...fill]);
    expect(base.length).toBe(128 * 16);
    const index = new DeltaIndex(base);
    expect(index.find(b, 0, windowHash(b, 0))).toBeUndefined();
    // With 127 blocks (one filler less) the table still has 128 slots: the same.
    expect(new DeltaIndex(base.subarray(0, 127 * 16)).find(b, 0, windowHash(b, 0))).toBeUndefined();
    // With 63 P blocks before it (and two after), b is the 64th candidate: found.
    const fewer = Buffer.concat([...Array.from({ length: 63 }, () => P), b, ...fill, P, P]);
    expect(new DeltaIndex(fewer).find(b, 0, windowHash(b, 0))).toEqual({ offset: 63 * 16, length: 16 });
  });
});
