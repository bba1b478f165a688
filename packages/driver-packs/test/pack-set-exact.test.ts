import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackSet } from '../src/pack-set.js';
import { PackWriter } from '../src/pack-writer.js';

// The set of packs a store reads: which files it attaches, which it reports broken (and how),
// how a corrupt copy falls back to a good one, and how overlapping scans are joined.

const text = (s: string) => new TextEncoder().encode(s);
const hashOf = (s: string) => hashObject('blob', text(s));
let dir: string;
let counter = 0;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-packset-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pack of blobs; `lies` maps a blob's text to the bytes stored under its hash instead. */
async function writePack(blobs: string[], lies: Record<string, string> = {}): Promise<string> {
  const temp = path.join(dir, `tmp-${counter++}.pack`);
  const writer = await PackWriter.create(temp);
  for (const s of blobs) await writer.addWhole(hashOf(s), PackType.blob, text(lies[s] ?? s));
  const checksum = await writer.finish();
  const pack = path.join(dir, `pack-${checksum}.pack`);
  await rename(temp, pack);
  await writeFile(pack.replace(/\.pack$/, '.idx'), writePackIndex(writer.entries, checksum));
  return pack;
}

const read = async (set: PackSet, s: string) => {
  const object = await set.read(hashOf(s));
  return object && `${object.type}:${Buffer.from(object.data).toString()}`;
};

describe('PackSet', () => {
  it('sees no packs in a missing folder, and fails on a folder it cannot list', async () => {
    const missing = new PackSet(path.join(dir, 'missing'), 1 << 20);
    await missing.scan();
    expect([missing.all, missing.broken]).toEqual([[], []]);
    await writeFile(path.join(dir, 'file'), 'x');
    await expect(new PackSet(path.join(dir, 'file'), 1 << 20).scan()).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('attaches packs by their idx, finds, reads and lists each hash once', async () => {
    const one = await writePack(['a\n', 'b\n']);
    const two = await writePack(['b\n', 'c\n']);
    await writeFile(path.join(dir, 'pack-1234.idx'), 'not a pack name');
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    expect(set.all.map((p) => p.path).sort()).toEqual([one, two].sort());
    expect(set.broken).toEqual([]);
    expect(set.find(hashOf('a\n'))?.path).toBe(one);
    expect(set.find(hashOf('c\n'))?.path).toBe(two);
    expect(set.find(hashOf('z\n'))).toBeUndefined();
    expect([await read(set, 'a\n'), await read(set, 'b\n'), await read(set, 'c\n'), await read(set, 'z\n')]).toEqual(['blob:a\n', 'blob:b\n', 'blob:c\n', undefined]);
    expect([...set.hashes()].sort()).toEqual(['a\n', 'b\n', 'c\n'].map(hashOf).sort());
    await set.close();
    expect(set.all).toEqual([]);
  });

  it('reports an unreadable idx as broken, with the reason, and skips an idx whose pack is gone', async () => {
    const bad = path.join(dir, `pack-${'1'.repeat(40)}`);
    await writeFile(`${bad}.idx`, 'garbage');
    await writeFile(`${bad}.pack`, 'garbage');
    const dirIdx = path.join(dir, `pack-${'2'.repeat(40)}`);
    await mkdir(`${dirIdx}.idx`);
    const gone = await writePack(['a\n']);
    await rm(gone);
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    expect(set.all).toEqual([]);
    const broken = Object.fromEntries(set.broken.map((b) => [b.path, { code: b.error.code, message: b.error.message }]));
    expect(broken).toEqual({
      [`${bad}.pack`]: { code: 'CORRUPT_OBJECT', message: `Corrupt object in ${bad}.idx: not a version 2 pack index` },
      [`${dirIdx}.pack`]: { code: 'CORRUPT_OBJECT', message: `Corrupt object in ${dirIdx}.pack: cannot open pack: EISDIR: illegal operation on a directory, read` },
    });
    // A later scan without them clears the list.
    await rm(`${bad}.idx`);
    await rm(`${dirIdx}.idx`, { recursive: true });
    await set.scan();
    expect(set.broken).toEqual([]);
  });

  it('skips a corrupt copy when another pack has a good one, and throws when none has', async () => {
    await writePack(['a\n', 'b\n'], { 'a\n': 'A\n', 'b\n': 'B\n' });
    await writePack(['a\n']);
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    expect(await read(set, 'a\n')).toBe('blob:a\n');
    await expect(set.read(hashOf('b\n'))).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: expect.stringContaining(`hashes to ${hashOf('B\n')}`) });
    await set.close();
  });

  it('retires a vanished pack but keeps it open for reads under way', async () => {
    const pack = await writePack(['a\n']);
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    const held = set.find(hashOf('a\n'))!;
    await rm(pack.replace(/\.pack$/, '.idx'));
    await set.scan();
    expect(set.all).toEqual([]);
    expect(set.find(hashOf('a\n'))).toBeUndefined();
    const object = await held.read(hashOf('a\n'));
    expect(Buffer.from(object!.data).toString()).toBe('a\n');
    await set.close();
  });

  it('joins overlapping scans: one runs, the calls made meanwhile share the next', async () => {
    await writePack(['a\n']);
    const set = new PackSet(dir, 1 << 20);
    const first = set.scan();
    const second = set.scan();
    const third = set.scan();
    expect(second).toBe(third);
    expect(first).not.toBe(second);
    await Promise.all([first, second]);
    expect(set.all).toHaveLength(1);
    // Once idle, a scan starts at once.
    const fourth = set.scan();
    expect(fourth).not.toBe(second);
    await fourth;
    await set.close();
  });
});
