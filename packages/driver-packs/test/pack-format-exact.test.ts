import { describe, expect, it } from 'vitest';
import { entryHeader, ofsDeltaDistance, packHeader, packTypeOf, parseEntryHeader, PackType, typeName } from '../src/pack-format.js';
import { corrupt, failure } from './support/exact.js';

// The byte-level pieces of the pack format, byte for byte as git writes them: a pack that git
// cannot read (or that we misread) starts here, so every value and every refusal is exact.

describe('type numbers', () => {
  it('names the four whole-object types and nothing else', () => {
    expect(PackType).toEqual({ commit: 1, tree: 2, blob: 3, tag: 4, ofsDelta: 6, refDelta: 7 });
    expect([0, 1, 2, 3, 4, 5, 6, 7].map(typeName)).toEqual([undefined, 'commit', 'tree', 'blob', 'tag', undefined, undefined, undefined]);
    expect(['commit', 'tree', 'blob', 'tag', 'ofsDelta', 'refDelta', 'constructor', ''].map(packTypeOf)).toEqual([1, 2, 3, 4, undefined, undefined, undefined, undefined]);
  });
});

describe('packHeader', () => {
  it('is PACK, version 2 and the count, big-endian', () => {
    expect([...packHeader(2)]).toEqual([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 2]);
    expect([...packHeader(0x01020304)]).toEqual([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 1, 2, 3, 4]);
  });
});

describe('entryHeader', () => {
  // The first two were read from `git pack-objects` output (a 10-byte and a 300-byte blob).
  it('writes the type and size varint as git does', () => {
    expect(entryHeader(PackType.blob, 10)).toEqual([0x3a]);
    expect(entryHeader(PackType.blob, 300)).toEqual([0xbc, 0x12]);
    expect(entryHeader(PackType.commit, 0)).toEqual([0x10]);
    expect(entryHeader(PackType.tree, 15)).toEqual([0x2f]);
    expect(entryHeader(PackType.tree, 16)).toEqual([0xa0, 0x01]);
    expect(entryHeader(PackType.tag, 2047)).toEqual([0xcf, 0x7f]);
    expect(entryHeader(PackType.tag, 2048)).toEqual([0xc0, 0x80, 0x01]);
    expect(entryHeader(PackType.refDelta, 2 ** 40)).toEqual([0xf0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]);
  });
});

describe('ofsDeltaDistance', () => {
  // git's encoding: each continuation group stands for one more than its bits say.
  it('writes big-endian groups with the continuation offset', () => {
    expect(ofsDeltaDistance(1)).toEqual([0x01]);
    expect(ofsDeltaDistance(127)).toEqual([0x7f]);
    expect(ofsDeltaDistance(128)).toEqual([0x80, 0x00]);
    expect(ofsDeltaDistance(16511)).toEqual([0xff, 0x7f]);
    expect(ofsDeltaDistance(16512)).toEqual([0x80, 0x80, 0x00]);
    expect(ofsDeltaDistance(300)).toEqual([0x81, 0x2c]);
  });

  it('round-trips through parseEntryHeader for distances of every length', () => {
    for (const distance of [1, 127, 128, 300, 16511, 16512, 2113663, 2113664, 2 ** 32 + 5]) {
      const bytes = Uint8Array.from([0x65, ...ofsDeltaDistance(distance)]);
      const offset = distance + 7;
      expect(parseEntryHeader(bytes, offset, 'p')).toEqual({ type: 6, size: 5, dataOffset: offset + bytes.length, baseOffset: 7 });
    }
  });
});

describe('parseEntryHeader', () => {
  it('reads whole-object headers, from a slice of the buffer', () => {
    expect(parseEntryHeader(Uint8Array.from([0x3a]), 12, 'p')).toEqual({ type: 3, size: 10, dataOffset: 13 });
    expect(parseEntryHeader(Uint8Array.from([0xbc, 0x12]), 100, 'p')).toEqual({ type: 3, size: 300, dataOffset: 102 });
    // `from`/`to` select the header inside a larger read; dataOffset counts from `offset`.
    expect(parseEntryHeader(Uint8Array.from([9, 9, 0xc0, 0x80, 0x01, 7]), 50, 'p', 2, 5)).toEqual({ type: 4, size: 2048, dataOffset: 53 });
    const big = Uint8Array.from(entryHeader(PackType.commit, 2 ** 45 + 3));
    expect(parseEntryHeader(big, 0, 'p')).toEqual({ type: 1, size: 2 ** 45 + 3, dataOffset: big.length });
  });

  it('refuses a header that ends before its last byte, at `to` and not at the buffer end', () => {
    expect(failure(() => parseEntryHeader(Uint8Array.from([0xbc]), 40, 'pack-a.pack'))).toMatchObject(corrupt('pack-a.pack', 'truncated entry header at offset 40'));
    expect(failure(() => parseEntryHeader(Uint8Array.from([0xbc, 0x12]), 40, 'w', 0, 1))).toMatchObject(corrupt('w', 'truncated entry header at offset 40'));
    expect(failure(() => parseEntryHeader(Uint8Array.from([0x3a]), 3, 'w', 1))).toMatchObject(corrupt('w', 'truncated entry header at offset 3'));
    expect(failure(() => parseEntryHeader(Uint8Array.from([0x65, 0x85, 0x01]), 900, 'w', 0, 2))).toMatchObject(corrupt('w', 'truncated entry header at offset 900'));
  });

  it('refuses a size of more than 53 bits', () => {
    // Seven size groups after the first byte still fit; an eighth would reach past 2^53.
    const fits = Uint8Array.from([0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(parseEntryHeader(fits, 0, 'w')).toEqual({ type: 3, size: 2 ** 47 - 1, dataOffset: 8 });
    const over = Uint8Array.from([0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(failure(() => parseEntryHeader(over, 77, 'w'))).toMatchObject(corrupt('w', 'entry size overflows at offset 77'));
  });

  it('refuses an OFS_DELTA distance of 0, past the pack start, or overflowing', () => {
    expect(failure(() => parseEntryHeader(Uint8Array.from([0x65, 0x00]), 10, 'w'))).toMatchObject(corrupt('w', 'delta at offset 10 points outside the pack (distance 0)'));
    expect(failure(() => parseEntryHeader(Uint8Array.from([0x65, 0x0b]), 10, 'w'))).toMatchObject(corrupt('w', 'delta at offset 10 points outside the pack (distance 11)'));
    expect(parseEntryHeader(Uint8Array.from([0x65, 0x0a]), 10, 'w')).toEqual({ type: 6, size: 5, dataOffset: 12, baseOffset: 0 });
    // Six continuation groups stay below 2^48; the seventh passes it.
    const fits = Uint8Array.from([0x65, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    expect(parseEntryHeader(fits, 2 ** 52, 'w')).toEqual({ type: 6, size: 5, dataOffset: 2 ** 52 + 8, baseOffset: 2 ** 52 - 4432676798592 });
    const over = Uint8Array.from([0x65, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00]);
    expect(failure(() => parseEntryHeader(over, 2 ** 52, 'w'))).toMatchObject(corrupt('w', `delta base offset overflows at offset ${2 ** 52}`));
    // Exactly 2^48 is still a distance.
    const limit = Uint8Array.from([0x65, ...ofsDeltaDistance(2 ** 48)]);
    expect(parseEntryHeader(limit, 2 ** 52, 'w')).toEqual({ type: 6, size: 5, dataOffset: 2 ** 52 + limit.length, baseOffset: 2 ** 52 - 2 ** 48 });
  });

  it('counts an OFS_DELTA data offset from `from`, not from the buffer start', () => {
    expect(parseEntryHeader(Uint8Array.from([1, 2, 3, 0x65, 0x81, 0x2c, 9]), 1000, 'w', 3)).toEqual({ type: 6, size: 5, dataOffset: 1003, baseOffset: 700 });
  });

  it('reads a REF_DELTA base hash and refuses one cut short', () => {
    const hash = Buffer.from('0123456789abcdef0123456789abcdef01234567', 'hex');
    const bytes = Buffer.concat([Buffer.from([5, 0xf2, 0x01]), hash, Buffer.from([1, 2])]);
    expect(parseEntryHeader(bytes, 64, 'w', 1)).toEqual({ type: 7, size: 18, dataOffset: 64 + 2 + 20, baseHash: hash.toString('hex') });
    expect(parseEntryHeader(bytes, 64, 'w', 1, 23)).toEqual({ type: 7, size: 18, dataOffset: 86, baseHash: hash.toString('hex') });
    expect(failure(() => parseEntryHeader(bytes, 64, 'w', 1, 22))).toMatchObject(corrupt('w', 'truncated delta base at offset 64'));
  });

  it('refuses the reserved type numbers', () => {
    expect(failure(() => parseEntryHeader(Uint8Array.from([0x05]), 30, 'w'))).toMatchObject(corrupt('w', 'invalid entry type 0 at offset 30'));
    expect(failure(() => parseEntryHeader(Uint8Array.from([0xd0, 0x01]), 31, 'w'))).toMatchObject(corrupt('w', 'invalid entry type 5 at offset 31'));
  });
});
