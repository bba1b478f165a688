import { describe, expect, it } from 'vitest';
import { applyDelta, createDelta, deltaSizes, readSizeVarint, writeSizeVarint } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';
import { corrupt, failure, noise } from './support/exact.js';

// git's delta format byte for byte: the opcodes we write must be the ones git's patch-delta
// reads, and a corrupt delta must be refused with its exact reason (never applied loosely).

const text = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
const bytes = (...parts: (number | string)[]) => parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : [p]));
const P = '0123456789ABCDEF';
const B = 'ghijklmnopqrstuv';
const base32 = text(P + B);

const delta = (base: Uint8Array, target: Uint8Array, maxSize?: number) => {
  const d = createDelta(new DeltaIndex(base), target, maxSize);
  return d === undefined ? undefined : [...d];
};

describe('size varints', () => {
  it('writes 7 bits per byte, least significant first', () => {
    const cases: [number, number[]][] = [[0, [0]], [127, [0x7f]], [128, [0x80, 0x01]], [300, [0xac, 0x02]], [16384, [0x80, 0x80, 0x01]], [2 ** 35 + 1, [0x81, 0x80, 0x80, 0x80, 0x80, 0x01]]];
    for (const [n, expected] of cases) {
      const out = [9];
      writeSizeVarint(out, n);
      expect(out).toEqual([9, ...expected]);
      expect(readSizeVarint(Uint8Array.from([7, ...expected, 5]), 1, 'w')).toEqual([n, 1 + expected.length]);
    }
  });

  it('refuses a varint that ends early or passes 2^56', () => {
    expect(failure(() => readSizeVarint(Uint8Array.from([0x80, 0x80]), 0, 'w'))).toMatchObject(corrupt('w', 'truncated delta header'));
    expect(failure(() => readSizeVarint(Uint8Array.from([1]), 1, 'w'))).toMatchObject(corrupt('w', 'truncated delta header'));
    expect(readSizeVarint(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0, 'w')).toEqual([2 ** 49, 8]);
    expect(failure(() => readSizeVarint(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), 0, 'w'))).toMatchObject(corrupt('w', 'truncated delta header'));
  });

  it('deltaSizes reads both sizes and where the instructions start', () => {
    expect(deltaSizes(Uint8Array.from([0xac, 0x02, 0x10, 0x90]), 'w')).toEqual({ baseSize: 300, resultSize: 16, start: 3 });
    expect(failure(() => deltaSizes(Uint8Array.from([0xac, 0x02]), 'pack-d.pack'))).toMatchObject(corrupt('pack-d.pack', 'truncated delta header'));
  });
});

describe('createDelta', () => {
  it('writes one copy for an identical target, and literals before and after', () => {
    expect(delta(base32, base32)).toEqual([32, 32, 0x90, 32]);
    expect(delta(base32, text('XY' + P + B))).toEqual(bytes(32, 34, 2, 'XY', 0x90, 32));
    expect(delta(base32, text(P + B + 'tail'))).toEqual(bytes(32, 36, 0x90, 32, 4, 'tail'));
    expect(delta(base32, text(''))).toEqual([32, 0]);
    expect(delta(base32, text('short'))).toEqual(bytes(32, 5, 5, 'short'));
  });

  it('extends a match backwards into pending literals', () => {
    // The block match is B at offset 16; "CDEF" before it also equals the base.
    expect(delta(base32, text('xxCDEF' + B))).toEqual(bytes(32, 22, 2, 'xx', 0x91, 12, 20));
  });

  it('never extends a match back into bytes a copy already wrote', () => {
    // Base: 15 x "y", "F", B, P. Target P + B: P is copied from 32, then B from 16, whose
    // preceding base byte "F" equals P's last byte, which the first copy already covered.
    expect(delta(text('y'.repeat(15) + 'F' + B + P), text(P + B))).toEqual([48, 32, 0x91, 32, 16, 0x91, 16, 16]);
  });

  it('hashes the window anew right after a copy, also when it is the last window', () => {
    expect(delta(base32, text(B + P))).toEqual([32, 32, 0x91, 16, 16, 0x90, 16]);
  });

  it('finds a second match after a copy and a literal gap', () => {
    expect(delta(base32, text(B + '--' + P))).toEqual(bytes(32, 34, 0x91, 16, 16, 2, '--', 0x90, 16));
  });

  it('splits literals into inserts of at most 127 bytes', () => {
    const target = Uint8Array.from({ length: 200 }, (_, i) => 1 + (i % 250));
    expect(delta(new Uint8Array(32), target)).toEqual([32, 0xc8, 0x01, 127, ...target.subarray(0, 127), 73, ...target.subarray(127)]);
  });

  it('writes only the offset and size bytes that are not zero', () => {
    const base = noise(0x10100 + 32);
    expect(delta(base, base.subarray(0x10100))).toEqual([0xa0, 0x82, 0x04, 32, 0x96, 0x01, 0x01, 0x20]);
    // Size 0x10000 is written as no size bytes (git's convention).
    const exact = noise(0x10000, 7);
    expect(delta(exact, exact)).toEqual([0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80]);
  });

  it('gives up when the delta would exceed maxSize, and not at exactly maxSize', () => {
    expect(delta(base32, base32, 4)).toEqual([32, 32, 0x90, 32]);
    expect(delta(base32, base32, 3)).toBeUndefined();
    expect(delta(base32, text('short'), 8)).toEqual(bytes(32, 5, 5, 'short'));
    expect(delta(base32, text('short'), 7)).toBeUndefined();
  });
});

describe('applyDelta', () => {
  const base = text('0123456789abcdef');
  const apply = (d: (number | string)[], maxSize?: number, offset?: number) => Buffer.from(applyDelta(base, Uint8Array.from(bytes(...d)), 'pack-x.pack', maxSize, offset)).toString('latin1');
  const refusal = (d: (number | string)[], maxSize?: number, offset?: number) => failure(() => apply(d, maxSize, offset));

  it('reads every offset and size byte of a copy', () => {
    expect(apply([16, 3, 0xff, 2, 0, 0, 0, 3, 0, 0])).toBe('234');
    expect(apply([16, 3, 0x91, 2, 3])).toBe('234');
    expect(apply([16, 4, 0x90, 4])).toBe('0123');
    expect(apply([16, 4, 0x91, 12, 4])).toBe('cdef');
    expect(apply([16, 0])).toBe('');
    expect(apply([16, 9, 0x91, 14, 2, 3, 'xyz', 0x91, 1, 4])).toBe('efxyz1234');
  });

  it('reads a size in its second and third bytes and an offset in its fourth', () => {
    const big = new Uint8Array(0x1000000 + 0x10200);
    for (let i = 0; i < 0x10200; i++) big[0x1000000 + i] = (i * 7) % 251;
    const expected = big.subarray(0x1000000 + 0x100, 0x1000000 + 0x100 + 0x10100);
    // op 0xea: offset bytes 1 and 3 (0x1000100), size bytes 1 and 2 (0x10100).
    expect(Buffer.from(applyDelta(big, Uint8Array.from([...writeVarint(big.length), 0x80, 0x82, 0x04, 0xea, 0x01, 0x01, 0x01, 0x01]), 'w')).equals(expected)).toBe(true);
    const copy16 = Uint8Array.from([...writeVarint(big.length), 16, 0x98, 0x01, 16]);
    expect([...applyDelta(big, copy16, 'w')]).toEqual([...big.subarray(0x1000000, 0x1000010)]);
  });

  it('copies short and long runs alike', () => {
    const long = Uint8Array.from({ length: 200 }, (_, i) => i);
    for (const size of [1, 63, 64, 65, 130]) {
      const out = applyDelta(long, Uint8Array.from([0xc8, 0x01, ...writeVarint(size), 0x91, 5, size]), 'w');
      expect([...out]).toEqual([...long.subarray(5, 5 + size)]);
    }
  });

  it('takes size 0 as 0x10000', () => {
    const full = noise(0x10000, 3);
    expect(Buffer.from(applyDelta(full, Uint8Array.from([0x80, 0x80, 0x04, 0x80, 0x80, 0x04, 0x80]), 'w')).equals(full)).toBe(true);
    expect(refusal([16, 5, 0x80])).toMatchObject(corrupt('pack-x.pack', 'delta copies [0, 65536) outside its 16-byte base'));
  });

  it('refuses each kind of corrupt delta with its reason', () => {
    const cases: [(number | string)[], string][] = [
      [[0x80], 'truncated delta header'],
      [[16], 'truncated delta header'],
      [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1], 'truncated delta header'],
      [[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1], 'delta expects a 562949953421312-byte base, found 16 bytes'],
      [[15, 4, 0x90, 4], 'delta expects a 15-byte base, found 16 bytes'],
      [[16, 3, 0x8f, 2, 0, 0], 'truncated copy instruction'],
      [[16, 3, 0x83, 2], 'truncated copy instruction'],
      [[16, 3, 0x85, 2], 'truncated copy instruction'],
      [[16, 3, 0x89, 2], 'truncated copy instruction'],
      [[16, 3, 0x81], 'truncated copy instruction'],
      // The offset byte ends the delta exactly: not truncated; size 0 means 0x10000.
      [[16, 5, 0x81, 3], 'delta copies [3, 65539) outside its 16-byte base'],
      [[16, 3, 0xb1, 2, 3], 'truncated copy instruction'],
      [[16, 3, 0xd1, 2, 3], 'truncated copy instruction'],
      [[16, 3, 0xf1, 2, 3, 0], 'truncated copy instruction'],
      [[16, 3, 0x90], 'truncated copy instruction'],
      [[16, 5, 0x91, 12, 5], 'delta copies [12, 17) outside its 16-byte base'],
      [[16, 8, 0x91, 12, 8], 'delta copies [12, 20) outside its 16-byte base'],
      [[16, 3, 0x90, 4], 'delta writes past its declared result size'],
      [[16, 1, 2, 'AB'], 'delta writes past its declared result size'],
      [[16, 3, 3, 'AB'], 'truncated insert instruction'],
      [[16, 1, 0], 'reserved delta opcode 0'],
      [[16, 9, 0x90, 4], 'delta produced 4 bytes, declared 9'],
      [[16, 9, 2, 'AB'], 'delta produced 2 bytes, declared 9'],
    ];
    for (const [d, reason] of cases) expect(refusal(d), reason).toMatchObject(corrupt('pack-x.pack', reason));
    expect(apply([16, 2, 2, 'AB'])).toBe('AB');
  });

  it('names the delta offset when given, and refuses a result over maxSize', () => {
    expect(refusal([16, 1, 0], undefined, 77)).toMatchObject(corrupt('pack-x.pack (delta at offset 77)', 'reserved delta opcode 0'));
    expect(refusal([16, 1, 0], undefined, 0)).toMatchObject(corrupt('pack-x.pack (delta at offset 0)', 'reserved delta opcode 0'));
    expect(refusal([16, 4, 0x90, 4], 3)).toMatchObject(corrupt('pack-x.pack', 'delta result of 4 bytes exceeds the limit'));
    expect(apply([16, 4, 0x90, 4], 4)).toBe('0123');
  });
});

function writeVarint(n: number): number[] {
  const out: number[] = [];
  writeSizeVarint(out, n);
  return out;
}
