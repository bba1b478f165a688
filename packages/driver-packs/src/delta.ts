import { CorruptObjectError } from '@gitty/core';
import { BLOCK, rollHash, windowHash, type DeltaIndex } from './delta-index.js';

/**
 * git's delta format (gitformat-pack, "Deltified representation"): two size varints (base,
 * result), then instructions. A copy instruction `1oooosss` copies from the base: the low four
 * bits say which offset bytes follow, the next three which size bytes follow (size 0 means
 * 0x10000). An insert instruction `0nnnnnnn` (1..127) inserts the next n bytes literally.
 */

/** Largest size one copy instruction can carry (three size bytes). */
const MAX_COPY = 0xffffff;
/** Longest literal run one insert instruction can carry. */
const MAX_INSERT = 0x7f;

/** Append git's size varint (7 bits per byte, least significant first). */
export function writeSizeVarint(out: number[], size: number): void {
  let n = size;
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}

/** Read a size varint at `pos`; returns the value and the position after it. */
export function readSizeVarint(delta: Uint8Array, pos: number, where: string): [number, number] {
  let value = 0;
  let shift = 1;
  let at = pos;
  for (;;) {
    if (at >= delta.length || shift > 2 ** 49) throw new CorruptObjectError(undefined, where, 'truncated delta header');
    const byte = delta[at++]!;
    value += (byte & 0x7f) * shift;
    shift *= 128;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

/** The base and result sizes a delta declares, without applying it. */
export function deltaSizes(delta: Uint8Array, where: string): { baseSize: number; resultSize: number; start: number } {
  const [baseSize, afterBase] = readSizeVarint(delta, 0, where);
  const [resultSize, start] = readSizeVarint(delta, afterBase, where);
  return { baseSize, resultSize, start };
}

/** Builds a delta instruction stream, coalescing literals into inserts of at most 127 bytes. */
class DeltaWriter {
  readonly out: number[] = [];

  constructor(baseSize: number, resultSize: number) {
    writeSizeVarint(this.out, baseSize);
    writeSizeVarint(this.out, resultSize);
  }

  insert(bytes: Uint8Array, from: number, to: number): void {
    for (let at = from; at < to; at += MAX_INSERT) {
      const n = Math.min(MAX_INSERT, to - at);
      this.out.push(n);
      for (let i = 0; i < n; i++) this.out.push(bytes[at + i]!);
    }
  }

  copy(offset: number, size: number): void {
    let off = offset;
    let left = size;
    while (left > 0) {
      const n = Math.min(MAX_COPY, left);
      const at = this.out.length;
      let op = 0x80;
      this.out.push(0);
      for (let i = 0; i < 4; i++) {
        const byte = Math.floor(off / 2 ** (8 * i)) & 0xff;
        if (byte) { op |= 1 << i; this.out.push(byte); }
      }
      // Size 0x10000 is written as no size bytes at all (git's convention).
      const sizeField = n === 0x10000 ? 0 : n;
      for (let i = 0; i < 3; i++) {
        const byte = (sizeField >> (8 * i)) & 0xff;
        if (byte) { op |= 0x10 << i; this.out.push(byte); }
      }
      this.out[at] = op;
      off += n;
      left -= n;
    }
  }
}

/**
 * Encode `target` as a delta against the base that `index` covers. Returns undefined when the
 * delta would be larger than `maxSize` (the caller then stores the object whole).
 */
export function createDelta(index: DeltaIndex, target: Uint8Array, maxSize = Infinity): Uint8Array | undefined {
  const base = index.base;
  const writer = new DeltaWriter(base.length, target.length);
  let literalStart = 0; // start of the literal run not yet written
  let pos = 0;
  let hash = target.length >= BLOCK ? windowHash(target, 0) : 0;
  while (pos + BLOCK <= target.length) {
    const match = index.find(target, pos, hash);
    if (!match) {
      if (pos + BLOCK < target.length) hash = rollHash(hash, target[pos]!, target[pos + BLOCK]!);
      pos++;
      continue;
    }
    // Extend the match backwards into the pending literals (git's diff-delta does the same).
    let { offset, length } = match;
    let start = pos;
    while (start > literalStart && offset > 0 && base[offset - 1] === target[start - 1]) {
      start--;
      offset--;
      length++;
    }
    writer.insert(target, literalStart, start);
    writer.copy(offset, length);
    pos = start + length;
    literalStart = pos;
    if (writer.out.length > maxSize) return undefined;
    if (pos + BLOCK <= target.length) hash = windowHash(target, pos);
  }
  writer.insert(target, literalStart, target.length);
  if (writer.out.length > maxSize) return undefined;
  return Uint8Array.from(writer.out);
}

function deltaError(where: string, offset: number | undefined, message: string): CorruptObjectError {
  return new CorruptObjectError(undefined, offset === undefined ? where : `${where} (delta at offset ${offset})`, message);
}

/**
 * Apply a delta to its base with strict bounds checks: a copy outside the base, an insert past
 * the delta's end, a reserved opcode or a result of the wrong size is CORRUPT_OBJECT in `where`
 * (with ` (delta at offset N)` when `offset` is given: built only on failure, as reads apply
 * many deltas). The result is a buffer of its own, not zero-filled first (every byte is written
 * or the delta is refused).
 */
export function applyDelta(base: Uint8Array, delta: Uint8Array, where: string, maxSize = Infinity, offset?: number): Uint8Array {
  const end = delta.length;
  let pos = 0;
  // The two size varints (base, result), read inline: this runs once per link of every chain.
  let baseSize = 0;
  let resultSize = 0;
  for (let k = 0; k < 2; k++) {
    let value = 0;
    let shift = 1;
    for (;;) {
      if (pos >= end || shift > 2 ** 49) throw deltaError(where, offset, 'truncated delta header');
      const byte = delta[pos++]!;
      value += (byte & 0x7f) * shift;
      shift *= 128;
      if ((byte & 0x80) === 0) break;
    }
    if (k === 0) baseSize = value;
    else resultSize = value;
  }
  if (baseSize !== base.length) throw deltaError(where, offset, `delta expects a ${baseSize}-byte base, found ${base.length} bytes`);
  if (resultSize > maxSize) throw deltaError(where, offset, `delta result of ${resultSize} bytes exceeds the limit`);
  const out = Buffer.allocUnsafe(resultSize);
  let at = 0;
  while (pos < end) {
    const op = delta[pos++]!;
    if (op & 0x80) {
      let from = 0;
      let size = 0;
      if (op & 0x0f) {
        if (pos + ((op & 1) + ((op >> 1) & 1) + ((op >> 2) & 1) + ((op >> 3) & 1)) > end) throw deltaError(where, offset, 'truncated copy instruction');
        if (op & 0x01) from = delta[pos++]!;
        if (op & 0x02) from |= delta[pos++]! << 8;
        if (op & 0x04) from |= delta[pos++]! << 16;
        if (op & 0x08) from += delta[pos++]! * 0x1000000; // past 2^31: no sign bit
      }
      if (op & 0x70) {
        if (pos + (((op >> 4) & 1) + ((op >> 5) & 1) + ((op >> 6) & 1)) > end) throw deltaError(where, offset, 'truncated copy instruction');
        if (op & 0x10) size = delta[pos++]!;
        if (op & 0x20) size |= delta[pos++]! << 8;
        if (op & 0x40) size |= delta[pos++]! << 16;
      }
      if (size === 0) size = 0x10000;
      if (from + size > base.length) throw deltaError(where, offset, `delta copies [${from}, ${from + size}) outside its ${base.length}-byte base`);
      if (at + size > resultSize) throw deltaError(where, offset, 'delta writes past its declared result size');
      // Short runs by hand: a view per copy would cost more than the bytes.
      if (size < 64) for (let i = 0; i < size; i++) out[at + i] = base[from + i]!;
      else out.set(base.subarray(from, from + size), at);
      at += size;
    } else if (op !== 0) {
      if (pos + op > end) throw deltaError(where, offset, 'truncated insert instruction');
      if (at + op > resultSize) throw deltaError(where, offset, 'delta writes past its declared result size');
      for (let i = 0; i < op; i++) out[at + i] = delta[pos + i]!;
      at += op;
      pos += op;
    } else {
      throw deltaError(where, offset, 'reserved delta opcode 0');
    }
  }
  if (at !== resultSize) throw deltaError(where, offset, `delta produced ${at} bytes, declared ${resultSize}`);
  return out;
}
