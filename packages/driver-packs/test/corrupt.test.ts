import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { hashObject, isGittyError, MemoryDriver, nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { entryHeader, ofsDeltaDistance, packHeader, PackType } from '../src/pack-format.js';
import { PackIndex, writePackIndex } from '../src/pack-index.js';
import { PacksDriver } from '../src/packs-driver.js';
import { MAX_CHAIN } from '../src/pack-reader.js';
import { memoryPacks, writeHistory } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Write a pack from hand-made entries: hash, header (or a function of its offset and the previous entry's), zlib payload. */
async function craftPack(dir: string, entries: { hash: string; header: number[] | ((offset: number, previous: number) => number[]); body: Uint8Array }[]) {
  const chunks: Buffer[] = [packHeader(entries.length)];
  let offset = 12;
  let previous = 12;
  const index = [];
  for (const e of entries) {
    const head = Buffer.from(typeof e.header === 'function' ? e.header(offset, previous) : e.header);
    previous = offset;
    const body = Buffer.from(e.body);
    index.push({ hash: e.hash, offset, crc: zlib.crc32(body, zlib.crc32(head)) });
    chunks.push(head, body);
    offset += head.length + body.length;
  }
  const pack = Buffer.concat(chunks);
  const checksum = createHash('sha1').update(pack).digest();
  const folder = path.join(dir, 'objects', 'pack');
  await mkdir(folder, { recursive: true });
  const packPath = path.join(folder, `pack-${checksum.toString('hex')}.pack`);
  await writeFile(packPath, Buffer.concat([pack, checksum]));
  await writeFile(packPath.replace(/\.pack$/, '.idx'), writePackIndex(index, checksum.toString('hex')));
  return packPath;
}

async function driverOn(dir: string) {
  const driver = await new PacksDriver(new MemoryDriver(), { dir, compression: nodeCompression, maxObjectSize: 1 << 20 }).open();
  cleanups.push(() => driver.close());
  return driver;
}

async function scratch() {
  const { dir, remove } = await tempDir('gitty-corrupt-');
  cleanups.push(remove);
  return dir;
}

/** Expect CORRUPT_OBJECT naming `packPath` from loading `hash`, and from fsck. */
async function expectCorrupt(driver: PacksDriver, hash: string, packPath: string) {
  let caught: unknown;
  try {
    await driver.loadObject(hash);
  } catch (err) {
    caught = err;
  }
  expect(isGittyError(caught, 'CORRUPT_OBJECT'), String(caught)).toBe(true);
  expect((caught as Error).message).toContain(path.basename(packPath));
  const issues = await driver.fsck();
  expect(issues.some((i) => i.code === 'CORRUPT_OBJECT' && i.message.includes(path.basename(packPath)))).toBe(true);
}

const fake = (n: number) => hashObject('blob', new TextEncoder().encode(`fake ${n}`));

describe('corrupt packs', () => {
  it('a flipped byte in an entry fails the read of that object, naming the pack', async () => {
    const t = await memoryPacks();
    cleanups.push(t.done);
    await writeHistory(t.store, 3, 3);
    const { pack } = await t.store.repack({ minFiles: 1 });
    const index = new PackIndex(await readFile(pack!.replace(/\.pack$/, '.idx')), 'idx');
    const first = [...Array(index.count).keys()].find((i) => index.offsetAt(i) === 12)!;
    const bytes = await readFile(pack!);
    bytes.writeUInt8(bytes.readUInt8(12 + 6) ^ 0x5a, 12 + 6);
    await writeFile(pack!, bytes);
    const fresh = await driverOn(t.dir);
    await expectCorrupt(fresh, index.hashAt(first), pack!);
  });

  it('a truncated pack and a bad idx are reported, naming the pack', async () => {
    for (const damage of ['truncate', 'idx'] as const) {
      const t = await memoryPacks();
      cleanups.push(t.done);
      const history = await writeHistory(t.store, 2, 2);
      const { pack } = await t.store.repack({ minFiles: 1 });
      if (damage === 'truncate') await truncate(pack!, 40);
      else {
        const idxPath = pack!.replace(/\.pack$/, '.idx');
        const idx = await readFile(idxPath);
        idx.writeUInt8(idx.readUInt8(8 + 1024 + 3) ^ 1, 8 + 1024 + 3); // a hash byte: the idx checksum no longer matches
        await writeFile(idxPath, idx);
      }
      const fresh = await driverOn(t.dir);
      await expectCorrupt(fresh, history[0]![0]!, pack!);
    }
  });

  it('a delta cycle is detected, not followed forever', async () => {
    const dir = await scratch();
    const [a, b] = [fake(1), fake(2)];
    const delta = zlib.deflateSync(Buffer.from([4, 4, 0x90, 4]));
    const packPath = await craftPack(dir, [
      { hash: a, header: [...entryHeader(PackType.refDelta, 4), ...Buffer.from(b, 'hex')], body: delta },
      { hash: b, header: [...entryHeader(PackType.refDelta, 4), ...Buffer.from(a, 'hex')], body: delta },
    ]);
    await expectCorrupt(await driverOn(dir), a, packPath);
  });

  it('a delta chain longer than any git writes is refused, not followed', async () => {
    const dir = await scratch();
    const base = new TextEncoder().encode('0123456789');
    const copyAll = zlib.deflateSync(Buffer.from([10, 10, 0x90, 10]));
    const entries: Parameters<typeof craftPack>[1] = [{ hash: hashObject('blob', base), header: entryHeader(PackType.blob, 10), body: zlib.deflateSync(base) }];
    // Each delta's base is the entry just before it.
    for (let i = 0; i < MAX_CHAIN + 2; i++) {
      entries.push({ hash: fake(100 + i), header: (at, previous) => [...entryHeader(PackType.ofsDelta, 4), ...ofsDeltaDistance(at - previous)], body: copyAll });
    }
    const packPath = await craftPack(dir, entries);
    const driver = await driverOn(dir);
    await expectCorrupt(driver, entries.at(-1)!.hash, packPath);
    expect(Buffer.from((await driver.loadObject(entries[0]!.hash))!.data).toString()).toBe('0123456789');
  });

  it('a delta whose base lies outside the pack, or which copies outside its base, is corrupt', async () => {
    const dir = await scratch();
    const base = new TextEncoder().encode('0123456789');
    const [w, x, y] = [hashObject('blob', base), fake(3), fake(4)];
    const packPath = await craftPack(dir, [
      { hash: w, header: entryHeader(PackType.blob, base.length), body: zlib.deflateSync(base) },
      // distance larger than the entry's own offset: before the pack's start
      { hash: x, header: [...entryHeader(PackType.ofsDelta, 4), ...ofsDeltaDistance(5000)], body: zlib.deflateSync(Buffer.from([10, 4, 0x90, 4])) },
      // copies 8 bytes at offset 6 of a 10-byte base
      { hash: y, header: (at) => [...entryHeader(PackType.ofsDelta, 5), ...ofsDeltaDistance(at - 12)], body: zlib.deflateSync(Buffer.from([10, 8, 0x91, 6, 8])) },
    ]);
    const driver = await driverOn(dir);
    await expectCorrupt(driver, x, packPath);
    await expectCorrupt(driver, y, packPath);
    expect(Buffer.from((await driver.loadObject(w))!.data).toString()).toBe('0123456789');
  });

  it('an inflate bomb stops at its declared size', async () => {
    const dir = await scratch();
    const bomb = zlib.deflateSync(Buffer.alloc(50 * 1024 * 1024)); // 50 MB of zeros in ~50 KB
    const hash = fake(5);
    const packPath = await craftPack(dir, [{ hash, header: entryHeader(PackType.blob, 100), body: bomb }]);
    await expectCorrupt(await driverOn(dir), hash, packPath);
    const huge = fake(6);
    const dir2 = await scratch();
    const declared = await craftPack(dir2, [{ hash: huge, header: entryHeader(PackType.blob, 1 << 30), body: bomb }]);
    await expectCorrupt(await driverOn(dir2), huge, declared);
    expect((await readdir(path.dirname(declared))).length).toBe(2);
  });
});
