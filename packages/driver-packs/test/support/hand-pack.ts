import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { hashObject } from '@gitty/core';
import { entryHeader, ofsDeltaDistance, packHeader, PackType } from '../../src/pack-format.js';
import { writePackIndex } from '../../src/pack-index.js';

// Packs built byte by byte for the reader's exact tests: each entry's bytes given its offset, so
// a test can put any flaw into a pack (a wrong count, idx offsets, a cut trailer).

/** One entry: the hash the idx lists for it, and its bytes given its own offset and all offsets. */
export interface RawEntry {
  hash: string;
  bytes: (offset: number, offsets: number[]) => Buffer;
}

/** A whole object (its hash and zlib stream may be overridden to make a flawed entry). */
export const whole = (type: number, data: Buffer, hash = hashObject(['', 'commit', 'tree', 'blob', 'tag'][type]!, data), stream = zlib.deflateSync(data)): RawEntry => ({
  hash,
  bytes: () => Buffer.concat([Buffer.from(entryHeader(type, data.length)), stream]),
});

/** An OFS_DELTA on entry number `baseIndex`. */
export const ofsDelta = (hash: string, baseIndex: number, delta: Buffer, stream = zlib.deflateSync(delta)): RawEntry => ({
  hash,
  bytes: (offset, offsets) => Buffer.concat([Buffer.from([...entryHeader(PackType.ofsDelta, delta.length), ...ofsDeltaDistance(offset - offsets[baseIndex]!)]), stream]),
});

/** A REF_DELTA on the object `baseHash`. */
export const refDelta = (hash: string, baseHash: string, delta: Buffer): RawEntry => ({
  hash,
  bytes: () => Buffer.concat([Buffer.from(entryHeader(PackType.refDelta, delta.length)), Buffer.from(baseHash, 'hex'), zlib.deflateSync(delta)]),
});

let n = 0;

/**
 * Write the pack and its idx into `dir` (as `pack-<counter>.pack`); `count` and `idxOffsets`
 * override what the header and idx say, `tail` rewrites the finished bytes.
 */
export async function buildPack(dir: string, entries: RawEntry[], options: { count?: number; idxOffsets?: number[]; tail?: (pack: Buffer) => Buffer } = {}): Promise<string> {
  const parts: Buffer[] = [packHeader(options.count ?? entries.length)];
  const offsets: number[] = [];
  let offset = 12;
  for (const e of entries) {
    offsets.push(offset);
    offset += e.bytes(offset, offsets).length;
  }
  for (let i = 0; i < entries.length; i++) parts.push(entries[i]!.bytes(offsets[i]!, offsets));
  let body: Buffer = Buffer.concat(parts);
  const checksum = createHash('sha1').update(body).digest();
  body = Buffer.concat([body, checksum]);
  if (options.tail) body = options.tail(body);
  const name = path.join(dir, `pack-${(n++).toString(16).padStart(40, '0')}.pack`);
  await writeFile(name, body);
  const idx = writePackIndex(entries.map((e, i) => ({ hash: e.hash, offset: options.idxOffsets?.[i] ?? offsets[i]!, crc: 0 })), checksum.toString('hex'));
  await writeFile(name.replace(/\.pack$/, '.idx'), idx);
  return name;
}

/** A delta copying all of a `size`-byte base (size < 128), then inserting `extra` (< 128 bytes). */
export const appendDelta = (size: number, extra: string) => Buffer.from([size, size + extra.length, 0x90, size, extra.length, ...Buffer.from(extra, 'latin1')]);
