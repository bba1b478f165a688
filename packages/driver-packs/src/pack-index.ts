import { createHash } from 'node:crypto';
import { CorruptObjectError } from '@gitty/core';
import type { PackedEntry } from './pack-writer.js';

/**
 * git's pack index v2 (gitformat-pack, "Version 2 pack-*.idx files"): magic `\377tOc`, version
 * 2, a 256-entry fanout of cumulative counts by first hash byte, the sorted hashes, their CRC32s,
 * 4-byte offsets (MSB set: index into the 8-byte large-offset table), the pack checksum and the
 * idx checksum. Lookups binary-search the hash table inside the fanout bucket, straight on the
 * file's bytes: no per-object map is built, however large the pack.
 */

const MAGIC = Buffer.from([0xff, 0x74, 0x4f, 0x63]);
const HEADER = 8;
const FANOUT = 256 * 4;
/** Offsets above this go to the large-offset table, exactly as git's index-pack decides. */
const OFFSET32_LIMIT = 0x7fffffff;

/** Serialize an idx v2 for `entries` of the pack whose trailer is `packChecksum` (hex). */
export function writePackIndex(entries: readonly PackedEntry[], packChecksum: string): Buffer {
  const sorted = entries
    .map((e) => ({ ...e, raw: Buffer.from(e.hash, 'hex') }))
    .sort((a, b) => Buffer.compare(a.raw, b.raw));
  const n = sorted.length;
  const large = sorted.filter((e) => e.offset > OFFSET32_LIMIT).length;
  const out = Buffer.alloc(HEADER + FANOUT + n * 28 + large * 8 + 40);
  MAGIC.copy(out, 0);
  out.writeUInt32BE(2, 4);
  const counts = new Uint32Array(256);
  for (const e of sorted) counts[e.raw[0]!]!++;
  let running = 0;
  for (let i = 0; i < 256; i++) {
    running += counts[i]!;
    out.writeUInt32BE(running, HEADER + i * 4);
  }
  const hashesAt = HEADER + FANOUT;
  const crcsAt = hashesAt + n * 20;
  const offsetsAt = crcsAt + n * 4;
  const largeAt = offsetsAt + n * 4;
  let nextLarge = 0;
  sorted.forEach((e, i) => {
    e.raw.copy(out, hashesAt + i * 20);
    out.writeUInt32BE(e.crc >>> 0, crcsAt + i * 4);
    if (e.offset > OFFSET32_LIMIT) {
      out.writeUInt32BE((0x80000000 | nextLarge) >>> 0, offsetsAt + i * 4);
      out.writeBigUInt64BE(BigInt(e.offset), largeAt + nextLarge * 8);
      nextLarge++;
    } else {
      out.writeUInt32BE(e.offset, offsetsAt + i * 4);
    }
  });
  const tail = largeAt + large * 8;
  Buffer.from(packChecksum, 'hex').copy(out, tail);
  createHash('sha1').update(out.subarray(0, tail + 20)).digest().copy(out, tail + 20);
  return out;
}

/** A parsed idx v2 over its file's bytes. */
export class PackIndex {
  /** Number of objects in the pack. */
  readonly count: number;
  private readonly hashesAt = HEADER + FANOUT;
  private readonly crcsAt: number;
  private readonly offsetsAt: number;
  private readonly largeAt: number;

  /** Validates the layout (magic, version, fanout, size, idx checksum); throws CORRUPT_OBJECT naming `where`. */
  constructor(
    private readonly bytes: Buffer,
    readonly where: string,
  ) {
    if (bytes.length < HEADER + FANOUT + 40 || !bytes.subarray(0, 4).equals(MAGIC) || bytes.readUInt32BE(4) !== 2) {
      throw new CorruptObjectError(undefined, where, 'not a version 2 pack index');
    }
    let previous = 0;
    for (let i = 0; i < 256; i++) {
      const count = bytes.readUInt32BE(HEADER + i * 4);
      if (count < previous) throw new CorruptObjectError(undefined, where, 'pack index fanout is not monotonic');
      previous = count;
    }
    this.count = previous;
    this.crcsAt = this.hashesAt + this.count * 20;
    this.offsetsAt = this.crcsAt + this.count * 4;
    this.largeAt = this.offsetsAt + this.count * 4;
    const minimum = this.largeAt + 40;
    if (bytes.length < minimum || (bytes.length - minimum) % 8 !== 0) {
      throw new CorruptObjectError(undefined, where, `pack index has ${bytes.length} bytes, not a layout for ${this.count} objects`);
    }
    const sum = createHash('sha1').update(bytes.subarray(0, bytes.length - 20)).digest();
    if (!sum.equals(bytes.subarray(bytes.length - 20))) throw new CorruptObjectError(undefined, where, 'pack index checksum mismatch');
  }

  /** The checksum of the pack this idx describes (hex). */
  get packChecksum(): string {
    return this.bytes.subarray(this.bytes.length - 40, this.bytes.length - 20).toString('hex');
  }

  /** Position of `hash` in the sorted table, or -1: a binary search within its fanout bucket. */
  find(hash: string): number {
    const key = Buffer.from(hash, 'hex');
    const first = key[0]!;
    let lo = first === 0 ? 0 : this.bytes.readUInt32BE(HEADER + (first - 1) * 4);
    let hi = this.bytes.readUInt32BE(HEADER + first * 4);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const at = this.hashesAt + mid * 20;
      const cmp = this.bytes.compare(key, 0, 20, at, at + 20);
      if (cmp === 0) return mid;
      if (cmp > 0) hi = mid;
      else lo = mid + 1;
    }
    return -1;
  }

  /** The hash at sorted position `i` (hex). */
  hashAt(i: number): string {
    const at = this.hashesAt + i * 20;
    return this.bytes.subarray(at, at + 20).toString('hex');
  }

  /** The CRC32 recorded for position `i`. */
  crcAt(i: number): number {
    return this.bytes.readUInt32BE(this.crcsAt + i * 4);
  }

  /** The pack offset of position `i`, following the large-offset table when needed. */
  offsetAt(i: number): number {
    const small = this.bytes.readUInt32BE(this.offsetsAt + i * 4);
    if ((small & 0x80000000) === 0) return small;
    const at = this.largeAt + (small & 0x7fffffff) * 8;
    if (at + 8 > this.bytes.length - 40) throw new CorruptObjectError(undefined, this.where, `bad large offset for entry ${i}`);
    return Number(this.bytes.readBigUInt64BE(at));
  }

  /** Every hash, in sorted order. */
  *hashes(): Iterable<string> {
    for (let i = 0; i < this.count; i++) yield this.hashAt(i);
  }
}
