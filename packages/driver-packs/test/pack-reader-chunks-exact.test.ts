import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject, type GitObject } from '@gitty/core';
import { BaseCache } from '../src/base-cache.js';
import { createDelta } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';
import { InflateError } from '../src/inflate.js';
import { PackType } from '../src/pack-format.js';
import { CHUNK_CACHE_BYTES, MAX_CHAIN, PackFile } from '../src/pack-reader.js';
import { noise } from './support/exact.js';
import { appendDelta, buildPack, ofsDelta, refDelta, whole, type RawEntry } from './support/hand-pack.js';

// The reader beyond single entries: the pack's 64 KiB chunks (entries in a later chunk, payloads
// running past their chunk, on the small and the zlib path), truncated streams and files, the
// longest chain allowed, the delta-base cache (what is cached, and that a cached base is used),
// reads after close, CRCs and the checksum, with the exact messages and causes.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-chunks-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (s: string) => Buffer.from(s, 'latin1');
const corrupt = (where: string, reason: string, hash?: string) => ({ code: 'CORRUPT_OBJECT', message: `Corrupt object${hash ? ` ${hash}` : ''} in ${where}: ${reason}` });
const stored = (data: Buffer) => zlib.deflateSync(data, { level: 0 });
const offsetOf = (pack: PackFile, hash: string) => pack.index.offsetAt(pack.index.find(hash));
async function failure(p: Promise<unknown>): Promise<Error & { code?: string; cause?: unknown }> {
  return p.then(() => {
    throw new Error('no error');
  }, (err: unknown) => err as Error);
}

/** A base cache that records what is cached and can hand out a changed copy of a base. */
class RecordingCache extends BaseCache {
  readonly sets: number[] = [];
  tamper = false;
  override set(pack: number, offset: number, value: GitObject): void {
    this.sets.push(offset);
    super.set(pack, offset, value);
  }
  override get(pack: number, offset: number): GitObject | undefined {
    const found = super.get(pack, offset);
    if (!found || !this.tamper) return found;
    const data = Buffer.from(found.data);
    data[0] = data[0]! ^ 1;
    return { type: found.type, data };
  }
}

describe('PackFile constants and open', () => {
  it('caches 32 MiB of chunks and follows chains of up to 4096 deltas', () => {
    expect([CHUNK_CACHE_BYTES, MAX_CHAIN]).toEqual([32 * 1024 * 1024, 4096]);
  });

  it('finds the idx beside a pack in a folder whose name holds ".pack", and opens an empty pack of exactly 32 bytes', async () => {
    const folder = path.join(dir, 'store.pack');
    await mkdir(folder);
    const file = await buildPack(folder, [whole(PackType.blob, text('in a .pack folder\n'))]);
    const pack = await PackFile.open(file, 1 << 20);
    expect(Buffer.from((await pack.read(hashObject('blob', text('in a .pack folder\n'))))!.data).toString()).toBe('in a .pack folder\n');
    await pack.close();
    const empty = await buildPack(dir, []);
    expect((await readFile(empty)).length).toBe(32);
    const opened = await PackFile.open(empty, 1 << 20);
    expect([opened.size, opened.index.count, await opened.checksumMatches()]).toEqual([32, 0, true]);
    await opened.close();
  });
});

describe('PackFile chunks and streams', () => {
  it('reads entries in a later 64 KiB chunk, and payloads running past their chunk (small and zlib path)', async () => {
    // Stored (incompressible) payloads: the first ends at 65_000, so the second (2,000 bytes)
    // runs from chunk 0 into chunk 1; the third lies in chunk 1; the fourth (100 KB) spans 2 chunks.
    const first = Buffer.from(noise(64_900, 1));
    const second = Buffer.from(noise(2000, 2));
    const third = text('in the second chunk\n');
    const fourth = Buffer.from(noise(100_000, 3));
    const entries = [whole(PackType.blob, first, undefined, stored(first)), whole(PackType.blob, second, undefined, stored(second)), whole(PackType.blob, third), whole(PackType.blob, fourth, undefined, stored(fourth))];
    const file = await buildPack(dir, entries);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    const offsets = entries.map((e) => offsetOf(pack, e.hash));
    expect(offsets[1]! < 65_536 - 64 && offsets[2]! > 65_536 && offsets[2]! < 131_072).toBe(true);
    for (const [i, data] of [first, second, third, fourth].entries()) {
      expect([i, Buffer.compare(Buffer.from((await pack.read(entries[i]!.hash))!.data), data)]).toEqual([i, 0]);
    }
    await pack.close();
    // Read again in another order, each from a fresh pack (nothing cached).
    for (const i of [3, 2, 1]) {
      const fresh = await PackFile.open(file, 1 << 20, new BaseCache());
      expect([i, Buffer.compare(Buffer.from((await fresh.read(entries[i]!.hash))!.data), [first, second, third, fourth][i]!)]).toEqual([i, 0]);
      await fresh.close();
    }
  });

  it('applies a delta whose payload is over 64 KiB (zlib\'s buffer, not the scratch)', async () => {
    const base = Buffer.from(noise(100_000, 4));
    const target = Buffer.from(noise(100_000, 5));
    const delta = Buffer.from(createDelta(new DeltaIndex(base), target)!);
    expect(delta.length).toBeGreaterThan(65_536);
    const b = whole(PackType.blob, base, undefined, stored(base));
    const d = ofsDelta(hashObject('blob', target), 0, delta);
    const file = await buildPack(dir, [b, d]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    expect(Buffer.compare(Buffer.from((await pack.read(d.hash))!.data), target)).toBe(0);
    await pack.close();
  });

  it('a stream cut by the end of the pack is truncated: the small path says so, zlib\'s names its error; causes kept', async () => {
    const small = text('a small object whose stream is cut short\n');
    const big = Buffer.from(noise(100_000, 6));
    for (const [data, reason] of [[small, 'is truncated'], [big, 'cannot inflate (Z_BUF_ERROR)']] as const) {
      const stream = zlib.deflateSync(data, { level: data === big ? 0 : 6 });
      const cut = stream.subarray(0, stream.length - 10);
      const raw = whole(PackType.blob, data, undefined, cut);
      const file = await buildPack(dir, [raw]);
      const pack = await PackFile.open(file, 1 << 20, new BaseCache());
      const err = await failure(pack.read(raw.hash));
      expect(err).toMatchObject(corrupt(file, `entry at offset 12 ${reason}`));
      if (data === small) expect(err.cause).toBeInstanceOf(InflateError);
      else expect((err.cause as { code: string }).code).toBe('Z_BUF_ERROR');
      await pack.close();
    }
  });

  it('an entry of exactly 64 KiB still takes the small path: cut short, it is "truncated"', async () => {
    const data = Buffer.from(noise(65_536, 13));
    const stream = zlib.deflateSync(data, { level: 0 });
    const raw = whole(PackType.blob, data, undefined, stream.subarray(0, stream.length - 10));
    const file = await buildPack(dir, [raw]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    const err = await failure(pack.read(raw.hash));
    expect(err).toMatchObject(corrupt(file, 'entry at offset 12 is truncated'));
    expect(err.cause).toBeInstanceOf(InflateError);
    await pack.close();
  });

  it('keeps the cause of an inflate failure: InflateError on the small path, zlib\'s error on the large one', async () => {
    const data = text('abc');
    const small = whole(PackType.blob, data, undefined, zlib.deflateSync(text('abcd')));
    const big = Buffer.alloc(100_000, 'x');
    const long = whole(PackType.blob, big, '1'.repeat(40), zlib.deflateSync(Buffer.alloc(100_001, 'x')));
    const garbage = whole(PackType.blob, big, '2'.repeat(40), Buffer.concat([Buffer.from([0x78, 0x9c, 0xff, 0xff]), Buffer.alloc(200, 0xff)]));
    const file = await buildPack(dir, [small, long, garbage]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    const e1 = await failure(pack.read(small.hash));
    expect(e1).toMatchObject(corrupt(file, 'entry at offset 12 inflates beyond its declared 3 bytes'));
    expect((e1.cause as InflateError).reason).toBe('too long');
    const e2 = await failure(pack.read(long.hash));
    expect((e2.cause as { code: string }).code).toBe('ERR_BUFFER_TOO_LARGE');
    const e3 = await failure(pack.read(garbage.hash));
    expect(e3).toMatchObject(corrupt(file, `entry at offset ${offsetOf(pack, garbage.hash)} cannot inflate (Z_DATA_ERROR)`));
    expect((e3.cause as { code: string }).code).toBe('Z_DATA_ERROR');
    await pack.close();
  });

  it('a pack file cut after it was opened: reads fail with "pack ends before", the checksum does not match', async () => {
    const data = text('cut away\n');
    const raw = whole(PackType.blob, data);
    const file = await buildPack(dir, [raw]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    const size = pack.size;
    await truncate(file, 14);
    await expect(pack.read(raw.hash)).rejects.toMatchObject(corrupt(file, `pack ends before offset ${size}`));
    expect(await pack.checksumMatches()).toBe(false);
    await pack.close();
  });
});

describe('PackFile chains and the base cache', () => {
  /** A chain of `depth` OFS deltas on a 1-byte blob, each appending one byte; returns the entries and the last hash. */
  function chain(depth: number): { entries: RawEntry[]; last: string } {
    let data = text('x');
    const entries: RawEntry[] = [whole(PackType.blob, data)];
    for (let i = 1; i <= depth; i++) {
      const size = data.length;
      const next = Buffer.concat([data, text(String.fromCharCode(97 + (i % 26)))]);
      const varint = (n: number) => (n < 128 ? [n] : [0x80 | (n & 0x7f), n >> 7]);
      const delta = Buffer.from([...varint(size), ...varint(size + 1), 0x80 | 0x10 | (size > 255 ? 0x20 : 0), size & 0xff, ...(size > 255 ? [size >> 8] : []), 1, next[next.length - 1]!]);
      entries.push(ofsDelta(hashObject('blob', next), i - 1, delta, zlib.deflateSync(delta, { level: 1 })));
      data = next;
    }
    return { entries, last: entries.at(-1)!.hash };
  }

  it('follows a chain of exactly 4096 deltas and refuses one of 4097', async () => {
    const ok = chain(MAX_CHAIN);
    const okFile = await buildPack(dir, ok.entries);
    const pack = await PackFile.open(okFile, 1 << 20, new BaseCache());
    expect((await pack.read(ok.last))!.data.length).toBe(MAX_CHAIN + 1);
    await pack.close();
    const long = chain(MAX_CHAIN + 1);
    const longFile = await buildPack(dir, long.entries);
    const tooLong = await PackFile.open(longFile, 1 << 20, new BaseCache());
    await expect(tooLong.read(long.last)).rejects.toMatchObject(corrupt(longFile, `delta chain longer than 4096 at offset ${offsetOf(tooLong, long.last)}`));
    await tooLong.close();
  });

  it('caches the base it reached and the inner links of a chain, not whole objects or the result', async () => {
    const base = text('0123456789abcdef0123456789abcdef');
    const v2 = Buffer.concat([base, text('+two')]);
    const v3 = Buffer.concat([v2, text('+three')]);
    const b = whole(PackType.blob, base);
    const d2 = ofsDelta(hashObject('blob', v2), 0, appendDelta(32, '+two'));
    const d3 = ofsDelta(hashObject('blob', v3), 1, appendDelta(36, '+three'));
    const file = await buildPack(dir, [b, d2, d3]);
    const cache = new RecordingCache();
    const pack = await PackFile.open(file, 1 << 20, cache);
    const [bAt, d2At] = [offsetOf(pack, b.hash), offsetOf(pack, d2.hash)];
    await pack.read(b.hash);
    expect(cache.sets).toEqual([]);
    await pack.read(d3.hash);
    expect(cache.sets).toEqual([bAt, d2At]);
    // A cached base is used as it is: handed a changed copy, the reads notice the wrong hash.
    cache.tamper = true;
    await expect(pack.read(b.hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: `Corrupt object ${b.hash} in ${file}: entry at offset ${bAt} hashes to ${hashObject('blob', Buffer.concat([text('1'), base.subarray(1)]))}` });
    await expect(pack.read(d3.hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    cache.tamper = false;
    // The result a read hands out is a copy of the cached base: changing it changes no later read.
    const got = await pack.read(b.hash);
    got!.data.fill(0);
    expect(Buffer.from((await pack.read(b.hash))!.data).equals(base)).toBe(true);
    await pack.close();
  });

  it('finds a REF_DELTA base at the first position of the idx', async () => {
    // Pick texts so that the base's hash sorts before the delta's.
    let base = text('');
    let v2 = text('');
    for (let k = 0; ; k++) {
      base = text(`base number ${k} with enough text to copy\n`);
      v2 = Buffer.concat([base, text('+more')]);
      if (hashObject('blob', base) < hashObject('blob', v2)) break;
    }
    const b = whole(PackType.blob, base);
    const d = refDelta(hashObject('blob', v2), b.hash, appendDelta(base.length, '+more'));
    const file = await buildPack(dir, [b, d]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    expect(pack.index.find(b.hash)).toBe(0);
    expect(Buffer.from((await pack.read(d.hash))!.data).equals(v2)).toBe(true);
    await pack.close();
  });

  it('refuses an idx offset at the trailer, and turns a failed allocation into CORRUPT_OBJECT with its cause', async () => {
    const raw = whole(PackType.blob, text('one\n'));
    const size = 12 + raw.bytes(12, []).length + 20;
    const atTrailer = await buildPack(dir, [raw], { idxOffsets: [size - 20] });
    const pack = await PackFile.open(atTrailer, 1 << 20, new BaseCache());
    await expect(pack.read(raw.hash)).rejects.toMatchObject(corrupt(atTrailer, `entry offset ${size - 20} is outside the pack`));
    await pack.close();
    // A delta declaring an 8 GiB result under a limit that allows it: the allocation fails.
    const base = text('abc');
    const huge = 2 ** 33;
    const varint = (n: number) => {
      const out: number[] = [];
      while (n >= 128) {
        out.push(0x80 | (n % 128));
        n = Math.floor(n / 128);
      }
      out.push(n);
      return out;
    };
    const delta = Buffer.from([3, ...varint(huge), 0x90, 3]);
    const b = whole(PackType.blob, base);
    const d = ofsDelta('9'.repeat(40), 0, delta);
    const file = await buildPack(dir, [b, d]);
    const big = await PackFile.open(file, 2 ** 40, new BaseCache());
    const err = await failure(big.read('9'.repeat(40)));
    expect(err).toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect(err.message).toMatch(new RegExp(`^Corrupt object 9{40} in ${file.replace(/[.]/g, '\\.')}: entry at offset ${offsetOf(big, '9'.repeat(40))} cannot be read: `));
    expect(err.message.endsWith((err.cause as Error).message)).toBe(true);
    expect(err.cause).toBeInstanceOf(RangeError);
    await big.close();
  });
});

describe('PackFile CRCs, checksum and close', () => {
  it('crcOf is the CRC32 of the entry\'s stored bytes; the checksum covers a pack over 1 MiB and notices a flipped byte', async () => {
    const a = text('first entry\n');
    const big = Buffer.from(noise(1_200_000, 8));
    const entries = [whole(PackType.blob, a), whole(PackType.blob, big, undefined, stored(big))];
    const file = await buildPack(dir, entries);
    const bytes = await readFile(file);
    const pack = await PackFile.open(file, 1 << 21, new BaseCache());
    const second = offsetOf(pack, entries[1]!.hash);
    expect(await pack.crcOf(12, second)).toBe(zlib.crc32(bytes.subarray(12, second)));
    expect(await pack.crcOf(second, bytes.length - 20)).toBe(zlib.crc32(bytes.subarray(second, bytes.length - 20)));
    expect(pack.size).toBeGreaterThan(1 << 20);
    expect(await pack.checksumMatches()).toBe(true);
    await pack.close();
    // One byte of the body changed (the trailer and idx as they were): opens, but the checksum fails.
    bytes[second + 100] = bytes[second + 100]! ^ 1;
    await writeFile(file, bytes);
    const flipped = await PackFile.open(file, 1 << 21, new BaseCache());
    expect(await flipped.checksumMatches()).toBe(false);
    expect(createHash('sha1').update(bytes.subarray(0, bytes.length - 20)).digest('hex')).not.toBe(flipped.index.packChecksum);
    await flipped.close();
  });

  it('a read after close fails with EBADF, even of an entry read (and cached) before', async () => {
    const raw = whole(PackType.blob, text('closed\n'));
    const file = await buildPack(dir, [raw]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    expect(Buffer.from((await pack.read(raw.hash))!.data).toString()).toBe('closed\n');
    await pack.close();
    await expect(pack.read(raw.hash)).rejects.toMatchObject({ code: 'EBADF', message: `EBADF: pack ${file} is closed` });
    await pack.close();
  });
});
