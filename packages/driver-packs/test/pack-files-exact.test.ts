import { readdirSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, stat, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hashObject } from '@gitty/core';
import { entryHeader, ofsDeltaDistance, PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackSet } from '../src/pack-set.js';
import { PackWriter } from '../src/pack-writer.js';
import { deflateSized } from '../src/small-deflate.js';
import { Tombstones } from '../src/tombstones.js';
import { noise } from './support/exact.js';

// The pack folder's other parts, exactly: the deleted list's lines and when it is re-read,
// which names PackSet attaches and when it closes retired packs, and PackWriter's choice
// between a delta and the whole object at the byte where they cost the same.

const h = (c: string) => c.repeat(40);
let folder: string;
beforeEach(async () => {
  folder = await mkdtemp(path.join(os.tmpdir(), 'gitty-pack-files-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(folder, { recursive: true, force: true });
});

/** Open file descriptors of this process. */
const openFds = () => readdirSync('/proc/self/fd').length;

/** A real pack of whole blobs, written by PackWriter with its idx. */
async function realPack(dir: string, texts: string[]): Promise<{ pack: string; hashes: string[] }> {
  const temp = path.join(dir, 'tmp-pack');
  const writer = await PackWriter.create(temp);
  const hashes: string[] = [];
  for (const t of texts) {
    hashes.push(hashObject('blob', Buffer.from(t)));
    await writer.addWhole(hashes.at(-1)!, PackType.blob, Buffer.from(t));
  }
  const checksum = await writer.finish();
  const pack = path.join(dir, `pack-${checksum}.pack`);
  await copyFile(temp, pack);
  await rm(temp, { force: true });
  const idx = await open(pack.replace(/\.pack$/, '.idx'), 'w');
  await idx.writeFile(writePackIndex(writer.entries, checksum));
  await idx.close();
  return { pack, hashes };
}

describe('Tombstones, exactly', () => {
  it('keeps a hash deleted through a later line of another sign, and writes one line per hash', async () => {
    const t = new Tombstones(folder);
    await t.markAll([h('a'), h('b')], true);
    expect(await readFile(t.file, 'latin1')).toBe(`-${h('a')}\n-${h('b')}\n`);
    const f = await open(t.file, 'a');
    await f.writeFile(`*${h('a')}\n ${h('b')}\n`);
    await f.close();
    const fresh = new Tombstones(folder);
    await fresh.refresh();
    expect([fresh.has(h('a')), fresh.has(h('b')), fresh.size]).toEqual([true, true, 2]);
  });

  it('notices a rewrite in place of the same size whose mtime was put back (the change time differs)', async () => {
    const t = new Tombstones(folder);
    await t.markAll([h('a')], true);
    const when = new Date(Date.UTC(2020, 1, 2, 3, 4, 5));
    await utimes(t.file, when, when); // a whole millisecond: utimes can put it back exactly
    await t.refresh();
    const before = await stat(t.file);
    const f = await open(t.file, 'r+');
    await f.write(Buffer.from(h('c'), 'latin1'), 0, 40, 1);
    await f.close();
    await utimes(t.file, when, when);
    const after = await stat(t.file);
    expect([after.size, after.mtimeMs, after.ino]).toEqual([before.size, before.mtimeMs, before.ino]);
    await t.refresh();
    expect([t.has(h('a')), t.has(h('c'))]).toEqual([false, true]);
  });

  it('compacts to exact lines, and a compaction in a missing folder fails with the error of its temp file\'s open', async () => {
    const t = new Tombstones(folder);
    await t.markAll([h('a'), h('b'), h('c')], true);
    await t.compact((hash) => hash !== h('b'));
    expect(await readFile(t.file, 'latin1')).toBe(`-${h('a')}\n-${h('c')}\n`);
    const gone = new Tombstones(path.join(folder, 'missing'));
    const temp = path.join(folder, 'missing', `deleted.tmp-${process.pid}`);
    await expect(gone.compact(() => true)).rejects.toMatchObject({ code: 'ENOENT', message: `ENOENT: no such file or directory, open '${temp}'` });
  });

  it('closes the files it appends to and compacts', async () => {
    const t = new Tombstones(folder);
    await t.markAll([h('0')], true);
    const before = openFds();
    for (let i = 1; i <= 20; i++) {
      await t.markAll([h(i.toString(16).slice(-1))], true);
      await t.compact(() => true);
    }
    expect(openFds() - before).toBeLessThan(5);
  });
});

describe('PackSet, exactly', () => {
  it('starts with nothing broken, closes without a scan, and keeps the same pack objects across scans', async () => {
    const set = new PackSet(folder, 1 << 20);
    expect(set.broken).toEqual([]);
    await set.close();
    await realPack(folder, ['one\n']);
    const again = new PackSet(folder, 1 << 20);
    await again.scan();
    const [first] = again.all;
    await again.scan();
    expect(again.all).toHaveLength(1);
    expect(again.all[0]).toBe(first);
    await again.close();
  });

  it('attaches only names that are exactly pack-<40 hex>.idx', async () => {
    const { pack } = await realPack(folder, ['named\n']);
    const base = path.basename(pack, '.pack');
    for (const name of [`old-${base}`, `${base}.idx.bak`]) {
      await copyFile(pack, path.join(folder, `${name}.pack`));
    }
    await copyFile(pack.replace(/\.pack$/, '.idx'), path.join(folder, `old-${base}.idx`));
    await copyFile(pack.replace(/\.pack$/, '.idx'), path.join(folder, `${base}.idx.bak`));
    const set = new PackSet(folder, 1 << 20);
    await set.scan();
    expect([set.all.map((p) => p.path), set.broken]).toEqual([[pack], []]);
    await set.close();
  });

  it('a pack that cannot be opened for another reason is broken with that reason and its cause', async () => {
    const idxDir = path.join(folder, `pack-${h('d')}.idx`);
    await mkdir(idxDir);
    const set = new PackSet(folder, 1 << 20);
    await set.scan();
    const packPath = idxDir.replace(/\.idx$/, '.pack');
    expect(set.broken).toHaveLength(1);
    expect(set.broken[0]!.path).toBe(packPath);
    expect(set.broken[0]!.error).toMatchObject({ code: 'CORRUPT_OBJECT', message: `Corrupt object in ${packPath}: cannot open pack: EISDIR: illegal operation on a directory, read` });
    expect((set.broken[0]!.error.cause as { code: string }).code).toBe('EISDIR');
    await set.close();
  });

  it('closes a retired pack once it has been gone for more than 10 s, not at 10 s', async () => {
    const { pack, hashes } = await realPack(folder, ['retired\n']);
    const now = vi.spyOn(Date, 'now').mockReturnValue(1_000_000);
    const set = new PackSet(folder, 1 << 20);
    await set.scan();
    const [attached] = set.all;
    await rm(pack.replace(/\.pack$/, '.idx'));
    await set.scan(); // retired at 1,000,000
    expect(set.all).toEqual([]);
    now.mockReturnValue(1_010_000);
    await set.scan();
    expect(Buffer.from((await attached!.read(hashes[0]!))!.data).toString()).toBe('retired\n');
    now.mockReturnValue(1_010_001);
    await set.scan();
    await expect(attached!.read(hashes[0]!)).rejects.toMatchObject({ code: 'EBADF' });
    await set.close();
  });

  it('close closes every attached and retired pack', async () => {
    const first = await realPack(folder, ['a\n']);
    const set = new PackSet(folder, 1 << 20);
    await set.scan();
    const [retired] = set.all;
    await rm(first.pack.replace(/\.pack$/, '.idx'));
    const second = await realPack(folder, ['b\n']);
    await set.scan();
    const [attached] = set.all;
    expect(attached!.path).toBe(second.pack);
    await set.close();
    expect(set.all).toEqual([]);
    await expect(retired!.read(first.hashes[0]!)).rejects.toMatchObject({ code: 'EBADF' });
    await expect(attached!.read(second.hashes[0]!)).rejects.toMatchObject({ code: 'EBADF' });
  });
});

describe('PackWriter, exactly', () => {
  it('keeps the delta only when it is strictly smaller than the whole entry, headers included', async () => {
    const data = Buffer.from(noise(3000, 9));
    const whole = deflateSized(data).length + entryHeader(PackType.blob, data.length).length;
    // Deltas (any bytes: the writer does not read them) whose entry costs whole - 1, whole, whole + 1.
    const deltaOfCost = (cost: number): Buffer => {
      for (let n = 1; n < 4000; n++) {
        const delta = Buffer.from(noise(n, 10));
        const entry = deflateSized(delta).length + entryHeader(PackType.ofsDelta, n).length + ofsDeltaDistance(12).length;
        if (entry === cost) return delta;
      }
      throw new Error(`no delta costs ${cost}`);
    };
    const results: boolean[] = [];
    for (const cost of [whole - 1, whole, whole + 1]) {
      const file = path.join(folder, `w${cost}.pack`);
      const writer = await PackWriter.create(file);
      const base = await writer.addWhole(h('1'), PackType.blob, Buffer.from('base'));
      expect(base).toBe(12);
      // The distance from the second entry to the base decides the header length; keep it as measured.
      const distance = writer.size - base;
      const delta = deltaOfCost(cost - ofsDeltaDistance(distance).length + ofsDeltaDistance(12).length);
      results.push((await writer.addSmaller(h('2'), PackType.blob, data, { offset: base, delta })).delta);
      await writer.abandon();
    }
    expect(results).toEqual([true, false, false]);
  });

  it('abandon closes the file: nothing more can be written through it', async () => {
    const file = path.join(folder, 'a.pack');
    const writer = await PackWriter.create(file);
    await writer.addWhole(h('1'), PackType.blob, Buffer.from('x'));
    await writer.abandon();
    await expect(writer.finish()).rejects.toMatchObject({ code: 'EBADF' });
    await writer.abandon();
  });
});
