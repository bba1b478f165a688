import { CorruptObjectError } from '@gitty/core';

/**
 * The byte-level pieces of git's pack v2 format (gitformat-pack): object type numbers, the
 * entry header (type and size varint) and the OFS_DELTA negative offset.
 */

/** Pack entry type numbers. */
export const PackType = { commit: 1, tree: 2, blob: 3, tag: 4, ofsDelta: 6, refDelta: 7 } as const;

const TYPE_NAMES: Record<number, string> = { 1: 'commit', 2: 'tree', 3: 'blob', 4: 'tag' };

/** The object type name of a whole-object pack type number, or undefined (deltas, reserved). */
export function typeName(type: number): string | undefined {
  return TYPE_NAMES[type];
}

/** The pack type number of an object type, or undefined when git packs cannot hold it. */
export function packTypeOf(type: string): number | undefined {
  return type === 'commit' || type === 'tree' || type === 'blob' || type === 'tag' ? PackType[type] : undefined;
}

/** `PACK`, version 2, entry count: the 12-byte pack header. */
export function packHeader(count: number): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(count, 8);
  return header;
}

/** An entry header: `1ttt ssss` then 7-bit size groups, least significant first. */
export function entryHeader(type: number, size: number): number[] {
  const out: number[] = [];
  let byte = (type << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out.push(byte | 0x80);
    byte = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  out.push(byte);
  return out;
}

/** git's OFS_DELTA distance encoding: big-endian 7-bit groups, each continuation adding one. */
export function ofsDeltaDistance(distance: number): number[] {
  const out = [distance & 0x7f];
  let n = Math.floor(distance / 128);
  while (n > 0) {
    n -= 1;
    out.unshift(0x80 | (n & 0x7f));
    n = Math.floor(n / 128);
  }
  return out;
}

/** A parsed entry header: where the compressed payload starts, and what precedes it. */
export interface EntryHeader {
  type: number;
  /** Inflated payload size (the delta's size for delta entries). */
  size: number;
  /** Offset of the zlib stream. */
  dataOffset: number;
  /** OFS_DELTA: the base entry's offset. */
  baseOffset?: number;
  /** REF_DELTA: the base object's hash. */
  baseHash?: string;
}

/** Parse the entry header in `bytes` from `from` up to `to` (the header read from the pack at `offset`). */
export function parseEntryHeader(bytes: Uint8Array, offset: number, where: string, from = 0, to = bytes.length): EntryHeader {
  let at = from;
  const next = (): number => {
    if (at >= to) throw new CorruptObjectError(undefined, where, `truncated entry header at offset ${offset}`);
    return bytes[at++]!;
  };
  let byte = next();
  const type = (byte >> 4) & 0x07;
  let size = byte & 0x0f;
  let shift = 16;
  while (byte & 0x80) {
    byte = next();
    if (shift > 2 ** 49) throw new CorruptObjectError(undefined, where, `entry size overflows at offset ${offset}`);
    size += (byte & 0x7f) * shift;
    shift *= 128;
  }
  if (type === PackType.ofsDelta) {
    byte = next();
    let distance = byte & 0x7f;
    while (byte & 0x80) {
      byte = next();
      distance = (distance + 1) * 128 + (byte & 0x7f);
      if (distance > 2 ** 48) throw new CorruptObjectError(undefined, where, `delta base offset overflows at offset ${offset}`);
    }
    if (distance <= 0 || distance > offset) {
      throw new CorruptObjectError(undefined, where, `delta at offset ${offset} points outside the pack (distance ${distance})`);
    }
    return { type, size, dataOffset: offset + at - from, baseOffset: offset - distance };
  }
  if (type === PackType.refDelta) {
    if (at + 20 > to) throw new CorruptObjectError(undefined, where, `truncated delta base at offset ${offset}`);
    const baseHash = Buffer.from(bytes.buffer, bytes.byteOffset + at, 20).toString('hex');
    return { type, size, dataOffset: offset + at - from + 20, baseHash };
  }
  if (!typeName(type)) throw new CorruptObjectError(undefined, where, `invalid entry type ${type} at offset ${offset}`);
  return { type, size, dataOffset: offset + at - from };
}
