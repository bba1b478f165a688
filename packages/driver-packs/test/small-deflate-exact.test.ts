import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateSized } from '../src/small-deflate.js';

// The window is sized to the input: the zlib header names it (CINFO = window bits - 8), the
// level shows in FLEVEL, and the stream must be the one zlib writes with those parameters.

const text = (n: number) => Buffer.from(Array.from({ length: n }, (_, i) => `line ${i % 97} ${(i * 31) % 13}\n`).join('').slice(0, n));

describe('deflateSized', () => {
  it('picks the smallest window that holds the input and zlib\'s lookahead', () => {
    const cases: [number, number][] = [[0, 9], [250, 9], [251, 10], [762, 10], [763, 11], [16122, 14], [16123, 15], [100000, 15]];
    for (const [n, bits] of cases) {
      const data = text(n);
      const out = deflateSized(data);
      expect(out[0], `${n} bytes`).toBe(((bits - 8) << 4) | 8);
      const memLevel = Math.max(1, Math.min(8, bits - 5));
      expect(out.equals(zlib.deflateSync(data, { level: 6, windowBits: bits, memLevel })), `${n} bytes`).toBe(true);
      expect(zlib.inflateSync(out).equals(data)).toBe(true);
    }
  });

  it('uses level 6 unless told otherwise', () => {
    const data = text(5000);
    expect(deflateSized(data)[1]! >> 6).toBe(2);
    expect(deflateSized(data, 1)[1]! >> 6).toBe(0);
    expect(deflateSized(data, 9)[1]! >> 6).toBe(3);
    expect(deflateSized(data, 1).equals(zlib.deflateSync(data, { level: 1, windowBits: 13, memLevel: 8 }))).toBe(true);
    expect(deflateSized(data, 0).equals(zlib.deflateSync(data, { level: 0, windowBits: 13, memLevel: 8 }))).toBe(true);
  });
});
