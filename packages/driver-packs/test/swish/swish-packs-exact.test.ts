import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync, unzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, frameObject, hashObject, Store, writeAtom, type Driver, type Progress } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../../src/factory.js';
import { PacksDriver } from '../../src/packs-driver.js';
import { SwishPacksDriver } from '../../src/swish/swish-packs-driver.js';
import { repackSwish, SWISH_REPACK_DEFAULTS, unpackSwish } from '../../src/swish/swish-repack.js';

// The factory's options, and the packs driver on a SWISH-format folder: the SWISH pack it writes
// byte for byte (header, sorted entries, the gzip members as stored, the sha1 name), what repack
// removes, damaged loose objects left loose, unpack, automatic repacks and CLOSED.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function open(options: Record<string, unknown> = {}): Promise<{ dir: string; driver: Driver }> {
  const { dir, remove } = await tempDir('gitty-swish-exact-');
  const driver = await createDriver({ dir, durability: 'none', ...options }, defaultDriverContext());
  cleanups.push(async () => {
    await driver.close();
    await remove();
  });
  return { dir, driver };
}

const blob = (s: string) => ({ hash: hashObject('blob', Buffer.from(s)), data: Buffer.from(s) });
const looseFile = (dir: string, hash: string) => path.join(dir, hash.slice(0, 2), hash.slice(2, 4), hash.slice(4));

describe('createDriver (packs)', () => {
  it('refuses a journal and an autoRepack that is not a non-negative integer, with exact messages', async () => {
    const { dir, remove } = await tempDir('gitty-factory-exact-');
    cleanups.push(remove);
    const context = defaultDriverContext();
    await expect(createDriver({ dir, journal: true }, context)).rejects.toMatchObject({
      code: 'INVALID_CONFIG', message: 'The packs driver takes no "journal" option (the files driver\'s object journal is for the files driver)',
    });
    await expect(createDriver({ dir, journal: false }, context)).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    for (const autoRepack of [-1, 1.5, '3', Number.NaN, 2 ** 53]) {
      await expect(createDriver({ dir, autoRepack }, context)).rejects.toMatchObject({
        code: 'INVALID_CONFIG',
        message: 'The packs driver\'s "autoRepack" must be a non-negative integer (loose objects stored before an automatic repack; 0 = never)',
      });
    }
    expect(createDriver.pathOptions).toEqual(['dir']);
  });

  it('opens a packs driver on the resolved dir, passing autoRepack and the context\'s limits', async () => {
    const { dir, remove } = await tempDir('gitty-factory-exact-');
    cleanups.push(remove);
    const context = { ...defaultDriverContext(), maxObjectSize: 64 };
    const driver = await createDriver({ dir: path.relative(process.cwd(), dir), durability: 'none', autoRepack: 2 }, context);
    cleanups.push(() => driver.close());
    expect(driver).toBeInstanceOf(PacksDriver);
    const packs = driver as PacksDriver;
    expect(packs.packStore.folder).toBe(path.join(dir, 'objects', 'pack'));
    expect(packs.packStore.maxObjectSize).toBe(64);
    for (const s of ['one\n', 'two\n']) await driver.storeObject(blob(s).hash, 'blob', blob(s).data);
    expect(await driver.stats!()).toMatchObject({ packs: 1, packedObjects: 2 });
    // autoRepack 0 is accepted: never.
    const { dir: other, remove: removeOther } = await tempDir('gitty-factory-exact-');
    cleanups.push(removeOther);
    const never = await createDriver({ dir: other, durability: 'none', autoRepack: 0 }, defaultDriverContext());
    cleanups.push(() => never.close());
    for (const s of ['one\n', 'two\n', 'three\n']) await never.storeObject(blob(s).hash, 'blob', blob(s).data);
    expect(await never.stats!()).toMatchObject({ packs: 0 });
  });

  it('names the packs driver when dir is missing, and restores heads from packed commits when the head log is gone', async () => {
    await expect(createDriver({}, defaultDriverContext())).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: 'The packs driver needs "dir" as a non-empty string' });
    const { dir, remove } = await tempDir('gitty-factory-exact-');
    cleanups.push(remove);
    const context = defaultDriverContext();
    const store = new Store(await createDriver({ dir, durability: 'none' }, context), context);
    const created = await store.create('kept.txt', 'packed history\n');
    await store.repack({ minFiles: 1 });
    await store.close();
    await rm(path.join(dir, 'ref', 'head'));
    const reopened = await createDriver({ dir, durability: 'none' }, context);
    cleanups.push(() => reopened.close());
    expect(await reopened.getHead('kept.txt')).toBe(created.commit);
  });

  it('a pack folder that cannot be read fails the open with its error', async () => {
    const { dir, remove } = await tempDir('gitty-factory-exact-');
    cleanups.push(remove);
    await (await createDriver({ dir, durability: 'none' }, defaultDriverContext())).close();
    await writeFile(path.join(dir, 'objects', 'pack'), 'a file, not a folder');
    await expect(createDriver({ dir, durability: 'none' }, defaultDriverContext())).rejects.toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('SwishPacksDriver', () => {
  it('is the packs driver of a SWISH folder: SWISH commits, the files driver\'s capabilities plus packs', async () => {
    const { driver } = await open({ format: 'swish' });
    expect(driver).toBeInstanceOf(SwishPacksDriver);
    expect([driver.name, (driver as SwishPacksDriver).commitFormat]).toEqual(['packs', 'swish']);
    expect(driver.capabilities).toEqual({ ...(driver as SwishPacksDriver).inner.capabilities, packs: true });
    expect(driver.capabilities.packs).toBe(true);
  });

  it('repack writes one SWISH pack byte for byte, removes the loose copies and reports exactly', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const objects = ['b\n', 'a\n', 'c\n'].map(blob);
    for (const o of objects) await driver.storeObject(o.hash, 'blob', o.data);
    const raws = new Map(await Promise.all(objects.map(async (o) => [o.hash, await readFile(looseFile(dir, o.hash))] as const)));
    const progress: Progress[] = [];
    const report = await driver.repack!({ minFiles: 3, onProgress: (p) => progress.push(p) });
    const sorted = [...objects].sort((x, y) => (x.hash < y.hash ? -1 : 1));
    const header = `gitty(1).\n${sorted.map((o) => `obj(${writeAtom(o.hash)},blob,2,${raws.get(o.hash)!.length}).\n`).join('')}end_of_header.\n`;
    const expected = Buffer.concat([Buffer.from(header), ...sorted.map((o) => raws.get(o.hash)!)]);
    const name = `pack-${createHash('sha1').update(expected).digest('hex')}.pack`;
    expect(report).toEqual({ packed: 3, deltas: 0, packsRemoved: 0, looseRemoved: 3, bytes: expected.length, pack: path.join(dir, 'pack', name) });
    expect(Buffer.compare(await readFile(report.pack!), expected)).toBe(0);
    expect((await readdir(path.join(dir, 'pack'))).sort()).toEqual([name]);
    for (const o of objects) expect(existsSync(looseFile(dir, o.hash))).toBe(false);
    expect(progress).toEqual([1, 2, 3].map((done) => ({ phase: 'repack', done, total: 3 })));
    for (const o of objects) expect(Buffer.from((await driver.loadObject(o.hash))!.data).toString()).toBe(o.data.toString());
  });

  it('below minFiles (default 1,000) it does nothing; a damaged loose object stays loose; small packs merge', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const swish = driver as SwishPacksDriver;
    const [a, b, c] = ['one\n', 'two\n', 'three\n'].map(blob);
    for (const o of [a!, b!]) await driver.storeObject(o.hash, 'blob', o.data);
    expect(SWISH_REPACK_DEFAULTS).toEqual({ minFiles: 1000, smallPack: 10_000_000 });
    expect(await driver.repack!()).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
    expect(await driver.repack!({ minFiles: 3 })).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
    const first = await driver.repack!({ minFiles: 2 });
    expect(first.packed).toBe(2);
    // A damaged loose object (its gzip bytes changed) is neither packed nor removed.
    await driver.storeObject(c!.hash, 'blob', c!.data);
    const damaged = blob('damaged\n');
    await mkdir(path.dirname(looseFile(dir, damaged.hash)), { recursive: true });
    await writeFile(looseFile(dir, damaged.hash), (await readFile(looseFile(dir, c!.hash))));
    // smallPack just above the first pack's size: it merges.
    const size = (await stat(first.pack!)).size;
    const second = await repackSwish(swish.inner, { minFiles: 1, smallPack: size + 1 });
    expect(second).toMatchObject({ packed: 3, packsRemoved: 1, looseRemoved: 1 });
    expect(existsSync(looseFile(dir, damaged.hash))).toBe(true);
    expect(existsSync(first.pack!)).toBe(false);
    // smallPack equal to its size: kept.
    const d = blob('four\n');
    await driver.storeObject(d.hash, 'blob', d.data);
    const secondSize = (await stat(second.pack!)).size;
    const third = await repackSwish(swish.inner, { minFiles: 1, smallPack: secondSize });
    expect(third).toMatchObject({ packed: 1, packsRemoved: 0, looseRemoved: 1 });
    expect((await readdir(path.join(dir, 'pack'))).sort()).toEqual([path.basename(second.pack!), path.basename(third.pack!)].sort());
    // Only the damaged loose object left: it stays, and no pack is written.
    expect(await repackSwish(swish.inner, { minFiles: 1, smallPack: 0 })).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
  });

  it('unpack turns every SWISH pack back into the very gzip members, reporting each', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const objects = ['x\n', 'y\n'].map(blob);
    for (const o of objects) await driver.storeObject(o.hash, 'blob', o.data);
    const raws = await Promise.all(objects.map((o) => readFile(looseFile(dir, o.hash))));
    await driver.repack!({ minFiles: 1 });
    const progress: Progress[] = [];
    expect(await unpackSwish((driver as SwishPacksDriver).inner, (p) => progress.push(p))).toEqual({ unpacked: 2 });
    expect(progress).toEqual([{ phase: 'unpack', done: 1 }, { phase: 'unpack', done: 2 }]);
    expect(await readdir(path.join(dir, 'pack'))).toEqual([]);
    for (const [i, o] of objects.entries()) expect(Buffer.compare(await readFile(looseFile(dir, o.hash)), raws[i]!)).toBe(0);
    expect(gunzipSync(raws[0]!).toString()).toBe('blob 2\0x\n');
    await driver.repack!({ minFiles: 1 });
    expect(await driver.unpack!()).toEqual({ unpacked: 2 });
  });

  it('repacks by itself after autoRepack stored objects, passes the rest through, and is CLOSED once closed', async () => {
    const { dir, driver } = await open({ format: 'swish', autoRepack: 2 });
    const [a, b, c] = ['p\n', 'q\n', 'r\n'].map(blob);
    expect(await driver.storeObject(a!.hash, 'blob', a!.data)).toBe(true);
    expect(await driver.storeObject(a!.hash, 'blob', a!.data)).toBe(false);
    expect(existsSync(path.join(dir, 'pack'))).toBe(false);
    await driver.storeObject(b!.hash, 'blob', b!.data);
    expect((await readdir(path.join(dir, 'pack'))).filter((n) => n.endsWith('.pack'))).toHaveLength(1);
    await driver.storeObject(c!.hash, 'blob', c!.data);
    expect((await readdir(path.join(dir, 'pack'))).filter((n) => n.endsWith('.pack'))).toHaveLength(1);
    expect(existsSync(looseFile(dir, c!.hash))).toBe(true);
    expect(await driver.hasObject(a!.hash)).toBe(true);
    const raw = await driver.loadRaw!(a!.hash);
    expect(unzipSync(raw!).toString()).toBe('blob 2\0p\n');
    expect(await driver.storeRaw!(a!.hash, raw!)).toBe(false);
    expect(typeof (await driver.objectTime!(c!.hash))).toBe('number');
    const listed: string[] = [];
    for await (const h of driver.objects()) listed.push(h);
    expect(listed.sort()).toEqual([a!.hash, b!.hash, c!.hash].sort());
    await driver.updateHead('f.pl', null, a!.hash);
    expect(await driver.getHead('f.pl')).toBe(a!.hash);
    const heads: string[] = [];
    for await (const e of driver.heads()) heads.push(e.name);
    expect(heads).toEqual(['f.pl']);
    await driver.rescan();
    const stop = driver.watch!(() => undefined);
    stop();
    expect(await driver.fsck!()).toEqual([]);
    expect(await driver.stats!()).toMatchObject({ packs: 1, packedObjects: 2, looseObjects: 1 });
    expect(await driver.deleteObject(c!.hash)).toBe(true);
    await driver.prune!();
    await driver.close();
    await driver.close();
    const closed = { code: 'CLOSED', message: 'The packs driver is closed' };
    const h = a!.hash;
    for (const call of [
      () => driver.storeObject(h, 'blob', new Uint8Array()), () => driver.loadObject(h), () => driver.hasObject(h), () => driver.objects(),
      () => driver.deleteObject(h), () => driver.loadRaw!(h), () => driver.storeRaw!(h, new Uint8Array()), () => driver.objectTime!(h),
      () => driver.getHead('f'), () => driver.heads(), () => driver.updateHead('f', null, h), () => driver.rescan(), () => driver.watch!(() => undefined),
      () => driver.repack!(), () => driver.unpack!(), () => driver.prune!(), () => driver.fsck!(), () => driver.stats!(),
    ]) {
      let error: unknown;
      try {
        await call();
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject(closed);
    }
  });

  it('sorts the header by hash across loose objects and merged packs, and keeps a merged pack that is the new one', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const swish = driver as SwishPacksDriver;
    // x packed first, then y loose, with x's hash sorting before y's.
    let x = blob('');
    let y = blob('');
    for (let k = 0; ; k++) {
      x = blob(`x ${k}\n`);
      y = blob(`y ${k}\n`);
      if (x.hash < y.hash) break;
    }
    await driver.storeObject(x.hash, 'blob', x.data);
    const first = await repackSwish(swish.inner, { minFiles: 1 });
    await driver.storeObject(y.hash, 'blob', y.data);
    const merged = await repackSwish(swish.inner, { minFiles: 1 });
    expect(merged).toMatchObject({ packed: 2, packsRemoved: 1, looseRemoved: 1 });
    const header = (await readFile(merged.pack!)).toString('latin1').split('end_of_header.')[0]!;
    expect(header.indexOf(x.hash)).toBeLessThan(header.indexOf(y.hash));
    expect(existsSync(first.pack!)).toBe(false);
    // Merging that one pack alone writes the very same file: it stays.
    const again = await repackSwish(swish.inner, { minFiles: 0 });
    expect(again).toMatchObject({ pack: merged.pack, packed: 2, packsRemoved: 0 });
    expect(await readdir(path.join(dir, 'pack'))).toEqual([path.basename(merged.pack!)]);
  });

  it('an object both loose and in a merged pack goes in once, as its loose gzip member', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const swish = driver as SwishPacksDriver;
    const x = blob('both loose and packed\n');
    await driver.storeObject(x.hash, 'blob', x.data);
    const first = await repackSwish(swish.inner, { minFiles: 1 });
    const firstBytes = await readFile(first.pack!);
    const packedMember = firstBytes.subarray(firstBytes.indexOf('end_of_header.\n') + 'end_of_header.\n'.length);
    expect(gunzipSync(packedMember).toString()).toBe(`blob ${x.data.length}\0both loose and packed\n`);
    // The same object loose again, gzipped differently (level 1): other bytes, the same object.
    const looseMember = gzipSync(frameObject('blob', x.data), { level: 1 });
    expect(Buffer.compare(looseMember, packedMember)).not.toBe(0);
    await mkdir(path.dirname(looseFile(dir, x.hash)), { recursive: true });
    await writeFile(looseFile(dir, x.hash), looseMember);
    const merged = await repackSwish(swish.inner, { minFiles: 1, smallPack: (await stat(first.pack!)).size + 1 });
    expect(merged).toMatchObject({ packed: 1, packsRemoved: 1, looseRemoved: 1 });
    const bytes = await readFile(merged.pack!);
    const header = `gitty(1).\nobj(${writeAtom(x.hash)},blob,${x.data.length},${looseMember.length}).\nend_of_header.\n`;
    expect(Buffer.compare(bytes, Buffer.concat([Buffer.from(header), looseMember]))).toBe(0);
  });

  it('a loose object removed after the listing (by gc, another repack) is skipped: not packed, no progress for it', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const swish = driver as SwishPacksDriver;
    const objects = ['first\n', 'second\n', 'third\n'].map(blob);
    for (const o of objects) await driver.storeObject(o.hash, 'blob', o.data);
    const progress: Progress[] = [];
    const report = await repackSwish(swish.inner, {
      minFiles: 1,
      onProgress: (p) => {
        progress.push(p);
        // Once the first object is read, every loose file goes (the first one's bytes are in hand).
        if (p.done === 1) for (const o of objects) rmSync(looseFile(dir, o.hash));
      },
    });
    expect(report).toMatchObject({ packed: 1, looseRemoved: 0 });
    expect(progress).toEqual([{ phase: 'repack', done: 1, total: 3 }]);
    const header = (await readFile(report.pack!)).toString('latin1').split('end_of_header.')[0]!;
    expect(objects.filter((o) => header.includes(o.hash))).toHaveLength(1);
  });

  it('an object over the size limit counts as damaged: left loose, nothing packed', async () => {
    const { dir, driver } = await open({ format: 'swish' });
    const small = blob('fits\n');
    await driver.storeObject(small.hash, 'blob', small.data);
    const swish = driver as SwishPacksDriver;
    Object.defineProperty(swish.inner, 'maxObjectSize', { value: 4 });
    expect(await repackSwish(swish.inner, { minFiles: 1 })).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
    expect(existsSync(looseFile(dir, small.hash))).toBe(true);
  });
});
