import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { BaseCache } from '../src/base-cache.js';
import { entryHeader, PackType } from '../src/pack-format.js';
import { maxCompressedSize, PackFile } from '../src/pack-reader.js';
import { appendDelta, buildPack, ofsDelta, refDelta, whole, type RawEntry } from './support/hand-pack.js';

// Packs built byte by byte, each with one flaw: the reader must refuse each with its exact
// message, resolve OFS and REF deltas, and never hand out bytes that do not hash to the key.

const text = (s: string) => Buffer.from(s, 'latin1');
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-reader-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Raw = RawEntry;
/** Write the pack and its idx into this test's folder (see buildPack). */
const build = (entries: Raw[], options: Parameters<typeof buildPack>[2] = {}) => buildPack(dir, entries, options);

const corrupt = (where: string, reason: string, hash?: string) => ({ code: 'CORRUPT_OBJECT', message: `Corrupt object${hash ? ` ${hash}` : ''} in ${where}: ${reason}` });

async function readText(pack: PackFile, hash: string): Promise<string | undefined> {
  const object = await pack.read(hash);
  return object && `${object.type}:${Buffer.from(object.data).toString('latin1')}`;
}

describe('PackFile.open', () => {
  it('refuses a truncated file, a non-pack, another version, a count or trailer that differs from the idx', async () => {
    const good = [whole(PackType.blob, text('hello\n'))];
    const tiny = await build(good, { tail: (b) => b.subarray(0, 31) });
    await expect(PackFile.open(tiny, 1 << 20)).rejects.toMatchObject(corrupt(tiny, 'pack file is truncated'));
    const notPack = await build(good, { tail: (b) => Buffer.concat([text('PACX'), b.subarray(4)]) });
    await expect(PackFile.open(notPack, 1 << 20)).rejects.toMatchObject(corrupt(notPack, 'not a version 2 pack'));
    const v3 = await build(good, { tail: (b) => Buffer.concat([b.subarray(0, 7), Buffer.from([3]), b.subarray(8)]) });
    await expect(PackFile.open(v3, 1 << 20)).rejects.toMatchObject(corrupt(v3, 'not a version 2 pack'));
    const count = await build(good, { count: 2 });
    await expect(PackFile.open(count, 1 << 20)).rejects.toMatchObject(corrupt(count, 'pack holds 2 entries, its idx 1'));
    const trailer = await build(good, { tail: (b) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1]! ^ 1])]) });
    await expect(PackFile.open(trailer, 1 << 20)).rejects.toMatchObject(corrupt(trailer, 'pack trailer does not match its idx'));
    const ok = await build(good, { tail: (b) => b });
    const pack = await PackFile.open(ok, 1 << 20);
    expect([pack.path, pack.size, pack.index.count]).toEqual([ok, 12 + good[0]!.bytes(12, []).length + 20, 1]);
    expect(await pack.checksumMatches()).toBe(true);
    await pack.close();
  });
});

describe('PackFile reads', () => {
  it('reads whole objects and OFS and REF delta chains', async () => {
    const base = text('0123456789abcdef0123456789abcdef');
    const v2 = Buffer.concat([base, text('+two')]);
    const v3 = Buffer.concat([v2, text('+three')]);
    const b = whole(PackType.blob, base);
    const d2 = ofsDelta(hashObject('blob', v2), 0, appendDelta(32, '+two'));
    const d3 = refDelta(hashObject('blob', v3), hashObject('blob', v2), Buffer.from([36, 42, 0x90, 36, 6, ...text('+three')]));
    const c = whole(PackType.commit, text('tree x\n'));
    const file = await build([b, d2, d3, c]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    expect(await readText(pack, d3.hash)).toBe(`blob:${v3.toString('latin1')}`);
    expect(await readText(pack, d2.hash)).toBe(`blob:${v2.toString('latin1')}`);
    expect(await readText(pack, b.hash)).toBe(`blob:${base.toString('latin1')}`);
    expect(await readText(pack, c.hash)).toBe('commit:tree x\n');
    expect(await readText(pack, hashObject('blob', text('absent')))).toBeUndefined();
    expect([pack.has(b.hash), pack.has(hashObject('blob', text('absent')))]).toEqual([true, false]);
    await pack.close();
  });

  it('hands out copies: changing what a read returned changes no later read', async () => {
    const base = text('0123456789abcdef0123456789abcdef');
    const v2 = Buffer.concat([base, text('+two')]);
    const b = whole(PackType.blob, base);
    const d2 = ofsDelta(hashObject('blob', v2), 0, appendDelta(32, '+two'));
    const pack = await PackFile.open(await build([b, d2]), 1 << 20, new BaseCache());
    await pack.read(d2.hash); // caches the base
    const first = await pack.read(b.hash);
    first!.data.fill(0x21);
    expect(await readText(pack, b.hash)).toBe(`blob:${base.toString('latin1')}`);
    expect(await readText(pack, d2.hash)).toBe(`blob:${v2.toString('latin1')}`);
    await pack.close();
  });

  it('refuses an object that does not hash to its key, a missing REF base and a delta cycle', async () => {
    const liar = whole(PackType.blob, text('real'), hashObject('blob', text('claimed')));
    const selfRef = refDelta('ab'.repeat(20), 'ab'.repeat(20), appendDelta(1, 'x'));
    const missing = refDelta('cd'.repeat(20), 'ef'.repeat(20), appendDelta(1, 'x'));
    const file = await build([liar, selfRef, missing]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    await expect(pack.read(liar.hash)).rejects.toMatchObject(corrupt(file, `entry at offset 12 hashes to ${hashObject('blob', text('real'))}`, liar.hash));
    const selfAt = pack.index.offsetAt(pack.index.find(selfRef.hash));
    await expect(pack.read(selfRef.hash)).rejects.toMatchObject(corrupt(file, `delta cycle through offset ${selfAt}`));
    await expect(pack.read(missing.hash)).rejects.toMatchObject(corrupt(file, `delta base ${'ef'.repeat(20)} is not in the pack`));
    await pack.close();
  });

  it('refuses an entry over the size limit and an idx offset outside the pack', async () => {
    const blob = whole(PackType.blob, text('twelve bytes'));
    const file = await build([blob]);
    const small = await PackFile.open(file, 11, new BaseCache());
    await expect(small.read(blob.hash)).rejects.toMatchObject(corrupt(file, 'entry at offset 12 declares 12 bytes, over the limit'));
    await small.close();
    const exact = await PackFile.open(file, 12, new BaseCache());
    expect(await readText(exact, blob.hash)).toBe('blob:twelve bytes');
    await exact.close();
    for (const [offset, at] of [[11, 11], [1000, 1000]] as const) {
      const moved = await build([blob], { idxOffsets: [offset] });
      const pack = await PackFile.open(moved, 1 << 20, new BaseCache());
      await expect(pack.read(blob.hash)).rejects.toMatchObject(corrupt(moved, `entry offset ${at} is outside the pack`));
      await pack.close();
    }
  });

  it('refuses payloads that inflate too long, too short, not at all, or run past the pack', async () => {
    const data = text('abc');
    const cases: [Raw, (file: string) => string][] = [
      [whole(PackType.blob, data, undefined, zlib.deflateSync(text('abcd'))), () => 'entry at offset 12 inflates beyond its declared 3 bytes'],
      [whole(PackType.blob, data, undefined, zlib.deflateSync(text('ab'))), () => 'entry at offset 12 inflates to 2 bytes, declared 3'],
      [whole(PackType.blob, data, undefined, Buffer.from([0x78, 0x9d, 1, 2, 3, 4, 5, 6])), () => 'entry at offset 12 cannot inflate (not a zlib stream)'],
    ];
    for (const [raw, reason] of cases) {
      const file = await build([raw]);
      const pack = await PackFile.open(file, 1 << 20, new BaseCache());
      await expect(pack.read(raw.hash)).rejects.toMatchObject(corrupt(file, reason(file)));
      await pack.close();
    }
  });

  it('reads and refuses objects over 64 KiB through zlib alike', async () => {
    const big = Buffer.alloc(100_000, 'x');
    const ok = whole(PackType.blob, big);
    const tooLong = whole(PackType.blob, big, undefined, zlib.deflateSync(Buffer.alloc(100_001, 'x')));
    const tooShort = whole(PackType.blob, big, undefined, zlib.deflateSync(Buffer.alloc(99_999, 'x')));
    const file = await build([ok, tooLong, tooShort].map((r, i) => ({ ...r, hash: i === 0 ? r.hash : `${i}`.repeat(40) })));
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    const at = (hash: string) => pack.index.offsetAt(pack.index.find(hash));
    expect((await pack.read(ok.hash))!.data.length).toBe(100_000);
    await expect(pack.read('1'.repeat(40))).rejects.toMatchObject(corrupt(file, `entry at offset ${at('1'.repeat(40))} inflates beyond its declared 100000 bytes`));
    await expect(pack.read('2'.repeat(40))).rejects.toMatchObject(corrupt(file, `entry at offset ${at('2'.repeat(40))} inflates to 99999 bytes, declared 100000`));
    await pack.close();
  });

  it('reads an entry whose header straddles a 64 KiB chunk boundary', async () => {
    // A stored (level 0) first blob puts the second entry's header at 65535.
    const fill = Buffer.alloc(65_000, 'f');
    const stream = zlib.deflateSync(fill, { level: 0 });
    const header = entryHeader(PackType.blob, fill.length);
    const pad = 65535 - 12 - header.length - stream.length;
    const first = whole(PackType.blob, Buffer.concat([fill, Buffer.alloc(pad, 'f')]), undefined, zlib.deflateSync(Buffer.concat([fill, Buffer.alloc(pad, 'f')]), { level: 0 }));
    const second = whole(PackType.blob, Buffer.alloc(300, 's'));
    const file = await build([first, second]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    const offset = pack.index.offsetAt(pack.index.find(second.hash));
    expect(offset > 65_000 && offset < 65_536).toBe(true);
    expect(await readText(pack, second.hash)).toBe(`blob:${'s'.repeat(300)}`);
    expect((await pack.read(first.hash))!.data.length).toBe(65_000 + pad);
    await pack.close();
  });

  it('bounds compressed sizes as documented', () => {
    expect([maxCompressedSize(0), maxCompressedSize(3), maxCompressedSize(4096)]).toEqual([1024, 1028, 6144]);
  });
});
