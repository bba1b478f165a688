import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inflateInto, InflateError } from '../src/inflate.js';
import { inflateFailure } from './support/exact.js';

const STRATEGIES = [zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FIXED, zlib.constants.Z_HUFFMAN_ONLY, zlib.constants.Z_RLE];

/** Bytes with repeats (so deflate emits matches, near and far), text and noise mixed. */
const content = fc.array(fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.string({ maxLength: 200 }).map((s) => new TextEncoder().encode(s.repeat(3))),
  fc.record({ byte: fc.integer({ min: 0, max: 255 }), n: fc.integer({ min: 1, max: 2000 }) }).map(({ byte, n }) => new Uint8Array(n).fill(byte)),
), { maxLength: 12 }).map((parts) => Buffer.concat(parts));

describe('inflateInto (zlib streams into a caller-owned buffer)', () => {
  it('decodes what zlib writes at every level and strategy, ignoring bytes after the stream (property)', () => {
    fc.assert(fc.property(content, fc.integer({ min: 0, max: 9 }), fc.constantFrom(...STRATEGIES), (data, level, strategy) => {
      const stream = zlib.deflateSync(data, { level, strategy });
      const out = Buffer.alloc(data.length);
      inflateInto(Buffer.concat([stream, Buffer.from('the next pack entry')]), 0, out);
      expect(out.equals(data)).toBe(true);
    }), { numRuns: 300 });
  });

  it('a short stream is truncated, a wrong declared size too long or too short, and a flipped bit never decodes silently (property)', () => {
    fc.assert(fc.property(content, fc.nat(), fc.integer({ min: 0, max: 7 }), (data, where, bit) => {
      const stream = zlib.deflateSync(data);
      expect(inflateFailure(() => inflateInto(stream.subarray(0, stream.length - 1), 0, Buffer.alloc(data.length))).reason).toBe('truncated');
      if (data.length > 0) expect(inflateFailure(() => inflateInto(stream, 0, Buffer.alloc(data.length - 1))).reason).toBe('too long');
      expect(['too short', 'truncated']).toContain(inflateFailure(() => inflateInto(stream, 0, Buffer.alloc(data.length + 1))).reason);
      const damaged = Buffer.from(stream);
      damaged[where % damaged.length]! ^= 1 << bit;
      const out = Buffer.alloc(data.length);
      try {
        inflateInto(damaged, 0, out);
        expect(out.equals(data)).toBe(true); // only a bit deflate ignores (e.g. padding) may pass
      } catch (err) {
        expect(err).toBeInstanceOf(InflateError);
      }
    }), { numRuns: 300 });
  });

  it('an inflate bomb stops at the output buffer', () => {
    const bomb = zlib.deflateSync(Buffer.alloc(10 * 1024 * 1024));
    expect(inflateFailure(() => inflateInto(bomb, 0, Buffer.alloc(100))).reason).toBe('too long');
  });

  it('refuses what is not a zlib stream', () => {
    expect(inflateFailure(() => inflateInto(zlib.deflateRawSync(Buffer.from('raw deflate, no zlib header')), 0, Buffer.alloc(27))).reason).toBe('corrupt');
  });
});
