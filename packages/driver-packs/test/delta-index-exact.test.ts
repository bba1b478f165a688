import { describe, expect, it } from 'vitest';
import { BLOCK, DeltaIndex, rollHash, windowHash } from '../src/delta-index.js';
import { noise } from './support/exact.js';

// The index decides which base run a delta copies: the hash must roll exactly, ties go to the
// lowest offset, and the candidate and good-enough limits bound the work as documented.

const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const P = '0123456789ABCDEF';
const B = 'ghijklmnopqrstuv';
const X = 'XXXXXXXXXXXXXXXX';

const find = (base: Uint8Array, target: Uint8Array, pos = 0) => new DeltaIndex(base).find(target, pos, windowHash(target, pos));

describe('window hash', () => {
  it('has the documented value and rolls to the same value as a fresh hash', () => {
    expect(BLOCK).toBe(16);
    expect(windowHash(text('0123456789abcdef'), 0)).toBe(-2127649780);
    expect(windowHash(text('--0123456789abcdef'), 2)).toBe(-2127649780);
    expect(windowHash(new Uint8Array(16), 0)).toBe(0);
    const bytes = noise(300);
    let h = windowHash(bytes, 0);
    for (let pos = 1; pos + BLOCK <= bytes.length; pos++) {
      h = rollHash(h, bytes[pos - 1]!, bytes[pos + BLOCK - 1]!);
      expect(h).toBe(windowHash(bytes, pos));
    }
  });
});

describe('DeltaIndex.find', () => {
  it('finds a run of exactly one block, bounded by the target and by the base', () => {
    expect(find(text(P + B), text(P + 'zzzz'))).toEqual({ offset: 0, length: 16 });
    expect(find(text(P + B), text(P))).toEqual({ offset: 0, length: 16 });
    expect(find(text(P + B), text(P + B + 'more'))).toEqual({ offset: 0, length: 32 });
    expect(find(text(P + B), text('--' + B), 2)).toEqual({ offset: 16, length: 16 });
    expect(find(text(P + B), text(X))).toBeUndefined();
  });

  it('indexes every whole block of a larger base, and not a partial last one', () => {
    const base = noise(40 * 16 + 9);
    const index = new DeltaIndex(base);
    for (let b = 0; b < 40; b++) expect(index.find(base, b * 16, windowHash(base, b * 16))).toEqual({ offset: b * 16, length: base.length - b * 16 });
    expect(index.find(base, 40 * 16 - 7, windowHash(base, 40 * 16 - 7))).toBeUndefined();
    expect(find(text('short'), text(P))).toBeUndefined();
  });

  it('prefers the longest candidate, and the lowest offset among equals', () => {
    expect(find(text(P + X + P + B), text(P + B))).toEqual({ offset: 32, length: 32 });
    expect(find(text(P + X + P + B), text(P + 'zz'))).toEqual({ offset: 0, length: 16 });
  });

  it('compares at most 64 candidates', () => {
    // Block 64 is the 65th candidate of P's chain, and the only one followed by B.
    expect(find(text(P.repeat(65) + B), text(P + B))).toEqual({ offset: 0, length: 16 });
    expect(find(text(P.repeat(64) + B), text(P + B))).toEqual({ offset: 63 * 16, length: 32 });
  });

  it('stops at a match of 4096 bytes', () => {
    const s = noise(4096, 5);
    const base = Uint8Array.from([...s, ...new Uint8Array(16), ...s, ...new Uint8Array(16).fill(0xff)]);
    const target = Uint8Array.from([...s, ...new Uint8Array(16).fill(0xff)]);
    expect(find(base, target)).toEqual({ offset: 0, length: 4096 });
    // Below the limit (4080 bytes), the longer later candidate wins.
    const s2 = s.subarray(0, 4080);
    const base2 = Uint8Array.from([...s2, 1, ...new Uint8Array(15), ...s2, 2]);
    expect(find(base2, Uint8Array.from([...s2, 2]))).toEqual({ offset: s2.length + 16, length: s2.length + 1 });
  });
});
