import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashObject, MemoryDriver, type Progress } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { checkPack, fsckPacks } from '../src/fsck-packs.js';
import { PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackFile } from '../src/pack-reader.js';
import { PackSet } from '../src/pack-set.js';
import { installPack, pruneTempPacks, removePack, type PackStore } from '../src/pack-store.js';
import { PackWriter, type PackedEntry } from '../src/pack-writer.js';
import { Tombstones } from '../src/tombstones.js';

// pack-store's file moves and prune of leftovers (every name pattern, the age boundary), and
// fsck of packs: each issue a damaged pack or idx gives, exactly.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) await c();
});

async function folder(): Promise<string> {
  const { dir, remove } = await tempDir('gitty-store-exact-');
  cleanups.push(remove);
  const f = path.join(dir, 'objects', 'pack');
  await mkdir(f, { recursive: true });
  return f;
}

const hex40 = (c: string) => c.repeat(40);

/** A real pack of `texts` (whole blobs) in `dir`; `idxEntries` may change what the idx says. */
async function writePack(dir: string, texts: string[], idxEntries?: (entries: PackedEntry[]) => PackedEntry[]): Promise<{ pack: string; hashes: string[]; entries: PackedEntry[] }> {
  const temp = path.join(dir, 'tmp-build.pack');
  const writer = await PackWriter.create(temp);
  const hashes: string[] = [];
  for (const t of texts) {
    const data = Buffer.from(t);
    const hash = hashObject('blob', data);
    hashes.push(hash);
    await writer.addWhole(hash, PackType.blob, data);
  }
  const checksum = await writer.finish();
  const pack = path.join(dir, `pack-${checksum}.pack`);
  const entries = idxEntries ? idxEntries(writer.entries.map((e) => ({ ...e }))) : writer.entries;
  await writeFile(path.join(dir, 'tmp-build.idx'), writePackIndex(entries, checksum));
  await installPack(temp, path.join(dir, 'tmp-build.idx'), pack);
  return { pack, hashes, entries: writer.entries };
}

async function flip(file: string, at: number): Promise<void> {
  await chmod(file, 0o644);
  const bytes = await readFile(file);
  bytes[at] = bytes[at]! ^ 0x01;
  await writeFile(file, bytes);
}

describe('pack-store', () => {
  it('installPack renames the pack, then its idx, to the final name; removePack removes both, and tolerates missing ones', async () => {
    const dir = await folder();
    const { pack } = await writePack(dir, ['one\n']);
    expect((await readdir(dir)).sort()).toEqual([path.basename(pack), path.basename(pack).replace(/\.pack$/, '.idx')].sort());
    await removePack(pack);
    expect(await readdir(dir)).toEqual([]);
    await removePack(pack);
    await writeFile(pack, 'pack only');
    await removePack(pack);
    expect(await readdir(dir)).toEqual([]);
  });

  it('installPack and removePack in a folder whose name holds ".pack"', async () => {
    const dir = path.join(await folder(), 'store.pack');
    await mkdir(dir);
    const { pack } = await writePack(dir, ['in store.pack\n']);
    expect((await readdir(dir)).sort()).toEqual([path.basename(pack), path.basename(pack).replace(/\.pack$/, '.idx')].sort());
    await removePack(pack);
    expect(await readdir(dir)).toEqual([]);
  });

  it('pruneTempPacks removes leftovers older than maxAgeMs and nothing else', async () => {
    const dir = await folder();
    const leftovers = [
      'tmp-1-abc.pack', 'tmp-import-2-def.idx', 'deleted.tmp-77', 'pack.lock.stale-1-aa', 'pack.lock.break.stale-2-bb',
      `pack-${hex40('a')}.pack`, // no idx: a crash between the two renames
    ];
    const kept = [
      'tmp-1-abc.txt', 'tmp-1.packs', 'xtmp-1.pack', 'deleted', 'deleted.tmp', 'pack.lock', 'pack.lock.break', 'pack.lock.stale',
      `pack-${hex40('b')}.pack`, `pack-${hex40('b')}.idx`, `pack-${hex40('c')}.idx`, `pack-${hex40('d').slice(1)}.pack`, 'old-pack-1.pack',
      `old-pack-${hex40('f')}.pack`, 'old-deleted.tmp-1', 'xpack.lock.stale-1', 'xpack.lock.break.stale-1',
    ];
    const old = new Date(Date.now() - 3_600_000);
    for (const name of [...leftovers, ...kept]) {
      if (name.includes('pack.lock')) await mkdir(path.join(dir, name));
      else await writeFile(path.join(dir, name), 'x');
      await utimes(path.join(dir, name), old, old);
    }
    await writeFile(path.join(dir, 'pack.lock.stale-1-aa', 'owner'), '{}');
    await utimes(path.join(dir, 'pack.lock.stale-1-aa'), old, old);
    expect(await pruneTempPacks(dir, 60_000)).toBe(leftovers.length);
    expect((await readdir(dir)).sort()).toEqual([...kept].sort());
  });

  it('pruneTempPacks keeps a leftover exactly maxAgeMs old and removes it a millisecond later; a missing folder is 0', async () => {
    const dir = await folder();
    const file = path.join(dir, 'tmp-1-x.pack');
    await writeFile(file, 'x');
    const t = new Date(Date.UTC(2020, 0, 1, 0, 0, 0));
    await utimes(file, t, t);
    const mtime = (await stat(file)).mtimeMs;
    const now = vi.spyOn(Date, 'now').mockReturnValue(mtime + 5000);
    expect(await pruneTempPacks(dir, 5000)).toBe(0);
    expect(existsSync(file)).toBe(true);
    now.mockReturnValue(mtime + 5001);
    expect(await pruneTempPacks(dir, 5000)).toBe(1);
    expect(existsSync(file)).toBe(false);
    expect(await pruneTempPacks(path.join(dir, 'absent'), 0)).toBe(0);
  });
});

describe('fsck of packs', () => {
  function storeOf(dir: string): PackStore {
    return { folder: dir, loose: new MemoryDriver(), packs: new PackSet(dir, 1 << 20), tombstones: new Tombstones(dir), maxObjectSize: 1 << 20 };
  }

  it('a sound pack has no issues; progress counts packs', async () => {
    const dir = await folder();
    await writePack(dir, ['a\n', 'b\n']);
    await writePack(dir, ['c\n']);
    const progress: Progress[] = [];
    const store = storeOf(dir);
    expect(await fsckPacks(store, (p) => progress.push(p))).toEqual([]);
    expect(progress).toEqual([{ phase: 'packs', done: 1, total: 2 }, { phase: 'packs', done: 2, total: 2 }]);
    await store.packs.close();
  });

  it('names a pack that cannot be attached, a wrong checksum, a CRC mismatch and an entry that does not read', async () => {
    const dir = await folder();
    // A broken idx.
    const brokenIdx = path.join(dir, `pack-${hex40('e')}.idx`);
    await writeFile(brokenIdx, 'not an idx');
    const broken = brokenIdx.replace(/\.idx$/, '.pack');
    await writeFile(broken, 'not a pack');
    // A byte flipped in the second entry's payload: checksum, CRC and read all fail.
    const { pack, hashes, entries } = await writePack(dir, ['first object\n', 'second object\n']);
    await flip(pack, entries[1]!.offset + 4);
    const store = storeOf(dir);
    const issues = await fsckPacks(store);
    await store.packs.close();
    expect(issues).toHaveLength(4);
    expect(issues[0]).toMatchObject({ code: 'CORRUPT_OBJECT', name: broken });
    expect(issues[0]!.message).toMatch(new RegExp(`^${broken.replace(/[.]/g, '\\.')}: Corrupt object in ${brokenIdx.replace(/[.]/g, '\\.')}: `));
    expect(issues[1]).toEqual({ code: 'CORRUPT_OBJECT', name: pack, hash: undefined, message: `${pack}: pack checksum does not match its trailer` });
    expect(issues[2]).toEqual({ code: 'CORRUPT_OBJECT', name: pack, hash: hashes[1], message: `${pack}: CRC mismatch for ${hashes[1]} at offset ${entries[1]!.offset}` });
    expect(issues[3]).toMatchObject({ code: 'CORRUPT_OBJECT', name: pack, hash: hashes[1] });
    expect(issues[3]!.message).toMatch(new RegExp(`^${pack.replace(/[.]/g, '\\.')}: Corrupt object in ${pack.replace(/[.]/g, '\\.')}: entry at offset ${entries[1]!.offset} `));
  });

  it('a CRC the idx got wrong is the only issue of an otherwise sound pack', async () => {
    const dir = await folder();
    const { pack, hashes, entries } = await writePack(dir, ['x\n', 'y\n'], (e) => e.map((entry, i) => (i === 0 ? { ...entry, crc: (entry.crc + 1) >>> 0 } : entry)));
    const opened = await PackFile.open(pack, 1 << 20);
    expect(await checkPack(opened)).toEqual([{ code: 'CORRUPT_OBJECT', name: pack, hash: hashes[0], message: `${pack}: CRC mismatch for ${hashes[0]} at offset ${entries[0]!.offset}` }]);
    await opened.close();
  });

  it('entries without an extent: two idx entries at one offset, and one past the last byte', async () => {
    const dir = await folder();
    const { pack, hashes, entries } = await writePack(dir, ['p\n', 'q\n', 'r\n'], (e) => [e[0]!, { ...e[1]!, offset: e[0]!.offset }, e[2]!]);
    const opened = await PackFile.open(pack, 1 << 20);
    const issues = await checkPack(opened);
    // Sorted by offset, the first of the two at offset 12 ends where the second starts.
    const atTwelve = [hashes[0]!, hashes[1]!].sort((a, b) => opened.index.find(a) - opened.index.find(b));
    expect(issues[0]).toEqual({ code: 'CORRUPT_OBJECT', name: pack, hash: atTwelve[0], message: `${pack}: entry of ${atTwelve[0]} at offset 12 has no extent` });
    // The second runs to the next entry: its CRC covers both, and it reads the first's object.
    expect(issues.slice(1)).toEqual([
      { code: 'CORRUPT_OBJECT', name: pack, hash: atTwelve[1], message: `${pack}: CRC mismatch for ${atTwelve[1]} at offset 12` },
      { code: 'CORRUPT_OBJECT', name: pack, hash: atTwelve[1], message: `${pack}: Corrupt object ${atTwelve[1]} in ${pack}: entry at offset 12 hashes to ${hashes[0]}` },
    ]);
    expect(entries).toHaveLength(3);
    await opened.close();
    const two = await writePack(dir, ['t\n', 'u\n'], (e) => [e[0]!, { ...e[1]!, offset: 5000 }]);
    const twoPack = await PackFile.open(two.pack, 1 << 20);
    // The first runs to the second's offset, past the pack's last byte: no extent either.
    expect((await checkPack(twoPack)).map((i) => i.message)).toEqual([
      `${two.pack}: entry of ${two.hashes[0]} at offset 12 has no extent`,
      `${two.pack}: entry of ${two.hashes[1]} at offset 5000 has no extent`,
    ]);
    await twoPack.close();
    // The second entry's offset inside the trailer: the first runs into the trailer, no extent.
    const tail = await writePack(dir, ['v\n', 'w\n'], (e) => [e[0]!, { ...e[1]!, offset: 12 + 2 * (e[1]!.offset - 12) + 10 }]);
    const tailPack = await PackFile.open(tail.pack, 1 << 20);
    const inTrailer = tailPack.size - 10;
    expect(tailPack.index.offsetAt(tailPack.index.find(tail.hashes[1]!))).toBe(inTrailer);
    expect((await checkPack(tailPack)).map((i) => i.message)).toEqual([
      `${tail.pack}: entry of ${tail.hashes[0]} at offset 12 has no extent`,
      `${tail.pack}: entry of ${tail.hashes[1]} at offset ${inTrailer} has no extent`,
    ]);
    await tailPack.close();
    const far = await writePack(dir, ['s\n'], (e) => [{ ...e[0]!, offset: 5000 }]);
    const farPack = await PackFile.open(far.pack, 1 << 20);
    expect(await checkPack(farPack)).toEqual([{ code: 'CORRUPT_OBJECT', name: far.pack, hash: far.hashes[0], message: `${far.pack}: entry of ${far.hashes[0]} at offset 5000 has no extent` }]);
    await farPack.close();
  });

  it('an error that is not gitty\'s is reported as "cannot read"', async () => {
    const dir = await folder();
    const { pack, hashes } = await writePack(dir, ['z\n']);
    const opened = await PackFile.open(pack, 1 << 20);
    vi.spyOn(opened, 'readAt').mockRejectedValue(new Error('disk on fire'));
    expect(await checkPack(opened)).toEqual([{ code: 'CORRUPT_OBJECT', name: pack, hash: hashes[0], message: `${pack}: cannot read ${hashes[0]}: Error: disk on fire` }]);
    await opened.close();
  });
});
