import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryBacking, MemoryDriver, frameObject, nodeCompression, type FsckIssue, type HeadChange } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { PacksDriver } from '../src/packs-driver.js';
import { withPackLock } from '../src/pack-lock.js';
import { blob } from './fixtures.js';

// The packs driver over a recording in-memory loose store, on a real pack folder: every
// operation's answer exactly (loose or packed, deleted, broken packs, raw bytes, times, stats,
// fsck, prune), what it hands to its inner driver, automatic repacks, and CLOSED after close.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) await c();
});

/** A memory driver that records the calls the packs driver passes on. */
class Inner extends MemoryDriver {
  readonly calls: string[] = [];
  issues: FsckIssue[] = [];
  counts: Record<string, number> = { looseThings: 7 };
  async fsck(): Promise<FsckIssue[]> {
    this.calls.push('fsck');
    return this.issues;
  }
  async stats(): Promise<Record<string, number>> {
    this.calls.push('stats');
    return this.counts;
  }
  async prune(): Promise<void> {
    this.calls.push('prune');
  }
  override async rescan(): Promise<void> {
    this.calls.push('rescan');
    await super.rescan();
  }
  override async close(): Promise<void> {
    this.calls.push('close');
    await super.close();
  }
}

async function packsDriver(options: { autoRepack?: number; inner?: MemoryDriver; dir?: string } = {}) {
  let dir = options.dir;
  if (!dir) {
    const t = await tempDir('gitty-packs-exact-');
    cleanups.push(t.remove);
    dir = t.dir;
  }
  const inner = options.inner ?? new Inner();
  const driver = await new PacksDriver(inner, { dir, compression: nodeCompression, maxObjectSize: 1 << 20, autoRepack: options.autoRepack }).open();
  cleanups.push(() => driver.close());
  return { dir, driver, inner, folder: path.join(dir, 'objects', 'pack') };
}

const text = (data: Uint8Array) => Buffer.from(data).toString('latin1');
const packFiles = async (folder: string) => (existsSync(folder) ? (await readdir(folder)).filter((n) => n.endsWith('.pack')).sort() : []);

describe('PacksDriver', () => {
  it('answers name and capabilities: the inner driver\'s plus packs, raw objects, object and head batches', async () => {
    const { driver } = await packsDriver();
    expect(driver.name).toBe('packs');
    expect(driver.capabilities).toEqual({ rawObjects: true, watch: true, sharedHeads: true, objectTimes: true, packs: true, objectBatches: true, headBatches: true });
  });

  it('stores loose, reads loose and packed copies, and lists each object once', async () => {
    const { driver, inner, folder } = await packsDriver();
    const a = blob('alpha\n');
    const b = blob('beta\n');
    expect(await driver.storeObject(a.hash, a.type, a.data)).toBe(true);
    expect(await driver.storeObject(a.hash, a.type, a.data)).toBe(false);
    expect(await driver.storeObject(b.hash, b.type, b.data)).toBe(true);
    const report = await driver.repack({ minFiles: 1 });
    expect(report).toMatchObject({ packed: 2, looseRemoved: 2, packsRemoved: 0 });
    expect(await inner.hasObject(a.hash)).toBe(false);
    expect(await packFiles(folder)).toEqual([path.basename(report.pack!)]);
    const c = blob('gamma\n');
    await driver.storeObject(c.hash, c.type, c.data);
    const listed: string[] = [];
    for await (const h of driver.objects()) listed.push(h);
    // Loose first, then the packed ones (idx order).
    expect(listed).toEqual([c.hash, ...[a.hash, b.hash].sort()]);
    expect(text((await driver.loadObject(a.hash))!.data)).toBe('alpha\n');
    expect(text((await driver.loadObject(c.hash))!.data)).toBe('gamma\n');
    expect([await driver.hasObject(a.hash), await driver.hasObject(c.hash), await driver.hasObject(blob('none').hash)]).toEqual([true, true, false]);
    expect(await driver.loadObject(blob('none').hash)).toBeUndefined();
    // A loose copy of a packed object is listed once.
    await inner.storeObject(a.hash, a.type, a.data);
    const again: string[] = [];
    for await (const h of driver.objects()) again.push(h);
    expect(again.sort()).toEqual([a.hash, b.hash, c.hash].sort());
  });

  it('storing an object a pack holds freshens the pack instead of writing it loose; a pack whose time cannot be set gets a loose copy', async () => {
    const { driver, inner, folder } = await packsDriver();
    const a = blob('packed once\n');
    await driver.storeObject(a.hash, a.type, a.data);
    const { pack } = await driver.repack({ minFiles: 1 });
    const old = new Date(Date.UTC(2001, 0, 1));
    await utimes(pack!, old, old);
    expect(await driver.storeObject(a.hash, a.type, a.data)).toBe(false);
    expect((await stat(pack!)).mtimeMs).toBeGreaterThan(old.getTime());
    expect(await inner.hasObject(a.hash)).toBe(false);
    // The pack file vanished under the attached idx: its time cannot be set, so a loose copy.
    await rm(pack!);
    expect(await driver.storeObject(a.hash, a.type, a.data)).toBe(true);
    expect(await inner.hasObject(a.hash)).toBe(true);
    expect(await packFiles(folder)).toEqual([]);
  });

  it('deletes loose and packed copies: a packed one goes on the deleted list and stays hidden until stored again', async () => {
    const { driver, inner, folder } = await packsDriver();
    const a = blob('to delete\n');
    const b = blob('kept\n');
    const loose = blob('loose only\n');
    await driver.storeObject(a.hash, a.type, a.data);
    await driver.storeObject(b.hash, b.type, b.data);
    const { pack } = await driver.repack({ minFiles: 1 });
    await driver.storeObject(loose.hash, loose.type, loose.data);
    expect(await driver.deleteObject(loose.hash)).toBe(true);
    expect(await driver.deleteObject(loose.hash)).toBe(false);
    // The repack left an empty list (compacted); a loose deletion adds nothing to it.
    expect(await readFile(path.join(folder, 'deleted'), 'latin1')).toBe('');
    expect(await driver.deleteObject(a.hash)).toBe(true);
    expect(await readFile(path.join(folder, 'deleted'), 'latin1')).toBe(`-${a.hash}\n`);
    expect(await readdir(folder)).toEqual(['deleted', path.basename(pack!).replace(/\.pack$/, '.idx'), path.basename(pack!)].sort());
    expect(await driver.loadObject(a.hash)).toBeUndefined();
    expect(await driver.hasObject(a.hash)).toBe(false);
    expect(await driver.objectTime(a.hash)).toBeUndefined();
    expect(await driver.loadRaw(a.hash)).toBeUndefined();
    const listed: string[] = [];
    for await (const h of driver.objects()) listed.push(h);
    expect(listed).toEqual([b.hash]);
    expect(await driver.stats()).toMatchObject({ packs: 1, packedObjects: 2, deletedPacked: 1 });
    // Stored again: written loose (the packed copy stays deleted), readable again.
    expect(await driver.storeObject(a.hash, a.type, a.data)).toBe(true);
    expect(await inner.hasObject(a.hash)).toBe(true);
    expect(text((await driver.loadObject(a.hash))!.data)).toBe('to delete\n');
    // Deleting an object that is both loose and packed: true, and both copies are gone.
    await inner.storeObject(b.hash, b.type, b.data);
    expect(await driver.deleteObject(b.hash)).toBe(true);
    expect(await driver.hasObject(b.hash)).toBe(false);
    expect(await readFile(path.join(folder, 'deleted'), 'latin1')).toBe(`-${a.hash}\n-${b.hash}\n`);
  });

  it('loadRaw: the inner driver\'s bytes when it has them, else the packed object framed and deflated; storeRaw checks the hash', async () => {
    const { driver, inner } = await packsDriver();
    const a = blob('raw me\n');
    await driver.storeObject(a.hash, a.type, a.data);
    const looseRaw = await inner.loadRaw(a.hash);
    expect(Buffer.from((await driver.loadRaw(a.hash))!).equals(Buffer.from(looseRaw!))).toBe(true);
    await driver.repack({ minFiles: 1 });
    const raw = await driver.loadRaw(a.hash);
    expect(Buffer.from(nodeCompression.inflate(raw!, 1 << 20)).toString('latin1')).toBe(`blob 7\0raw me\n`);
    expect(await driver.loadRaw(blob('absent').hash)).toBeUndefined();
    // storeRaw: decoded, checked against its hash, stored (already packed: false).
    expect(await driver.storeRaw(a.hash, raw!)).toBe(false);
    const b = blob('raw two\n');
    expect(await driver.storeRaw(b.hash, nodeCompression.deflate(frameObject('blob', b.data)))).toBe(true);
    expect(text((await inner.loadObject(b.hash))!.data)).toBe('raw two\n');
    await expect(driver.storeRaw(blob('other').hash, raw!)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    await expect(driver.storeRaw('xyz', raw!)).rejects.toMatchObject({ code: 'INVALID_HASH' });
  });

  it('loadRaw without an inner loadRaw reads through loadObject', async () => {
    const inner = new Inner();
    Object.defineProperty(inner, 'loadRaw', { value: undefined });
    const { driver } = await packsDriver({ inner });
    const a = blob('no raw inside\n');
    await driver.storeObject(a.hash, a.type, a.data);
    const raw = await driver.loadRaw(a.hash);
    expect(Buffer.from(nodeCompression.inflate(raw!, 1 << 20)).toString('latin1')).toBe('blob 14\0no raw inside\n');
  });

  it('objectTime: the loose time, else the pack\'s mtime; none for absent or deleted objects', async () => {
    const { driver, inner } = await packsDriver();
    const a = blob('timed\n');
    await driver.storeObject(a.hash, a.type, a.data);
    expect(await driver.objectTime(a.hash)).toBe(await inner.objectTime(a.hash));
    const { pack } = await driver.repack({ minFiles: 1 });
    const t = new Date(Date.UTC(2010, 5, 6, 7, 8, 9));
    await utimes(pack!, t, t);
    expect(await driver.objectTime(a.hash)).toBe(t.getTime());
    expect(await driver.objectTime(blob('absent').hash)).toBeUndefined();
    // An inner driver without object times: the pack's time still answers.
    const bare = new Inner();
    Object.defineProperty(bare, 'objectTime', { value: undefined });
    const other = await packsDriver({ inner: bare });
    await other.driver.storeObject(a.hash, a.type, a.data);
    const second = await other.driver.repack({ minFiles: 1 });
    await utimes(second.pack!, t, t);
    expect(await other.driver.objectTime(a.hash)).toBe(t.getTime());
  });

  it('a corrupt packed copy is reported even when a loose copy exists; a pack that cannot be attached is named by a miss', async () => {
    const { driver, inner, folder } = await packsDriver();
    const a = blob('will rot\n');
    await driver.storeObject(a.hash, a.type, a.data);
    const { pack } = await driver.repack({ minFiles: 1 });
    await inner.storeObject(a.hash, a.type, a.data);
    // Flip a byte of the payload: the packed copy no longer inflates or hashes right.
    const bytes = await readFile(pack!);
    bytes[bytes.length - 22] = bytes[bytes.length - 22]! ^ 0xff;
    await rm(pack!);
    await writeFile(pack!, bytes);
    await driver.close();
    const { driver: reopened } = await packsDriver({ inner: new Inner(inner.backing), dir: path.dirname(path.dirname(folder)) });
    const error = await reopened.loadObject(a.hash).catch((err: unknown) => err);
    expect(error).toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect((error as Error).message).toContain(`in ${pack!}: entry at offset 12`);
    // A broken idx: the pack is not attached; a miss then names it (loadObject), hasObject just says no.
    const brokenIdx = path.join(folder, `pack-${'e'.repeat(40)}.idx`);
    await writeFile(brokenIdx, 'not an idx');
    await writeFile(brokenIdx.replace(/\.idx$/, '.pack'), 'not a pack');
    const absent = blob('absent').hash;
    const miss = await reopened.loadObject(absent).catch((err: unknown) => err);
    expect(miss).toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect((miss as Error).message).toMatch(new RegExp(`^Corrupt object ${absent} in ${brokenIdx.replace(/\.idx$/, '.pack').replace(/[.]/g, '\\.')}: not found, and this pack cannot be read: Corrupt object in `));
    expect(await reopened.hasObject(absent)).toBe(false);
  });

  it('a miss rescans the pack folder: an object packed by another driver meanwhile is found', async () => {
    const { driver, dir } = await packsDriver();
    const backing = new MemoryBacking();
    const first = await packsDriver({ dir, inner: new MemoryDriver(backing) });
    const second = await packsDriver({ dir, inner: new MemoryDriver(backing) });
    const a = blob('moved by the other\n');
    await first.driver.storeObject(a.hash, a.type, a.data);
    expect(await second.driver.hasObject(a.hash)).toBe(true);
    await first.driver.repack({ minFiles: 1 });
    // second has not scanned since: its first look misses both, the rescan finds the pack.
    expect(second.driver.packStore.packs.all).toHaveLength(0);
    expect(text((await second.driver.loadObject(a.hash))!.data)).toBe('moved by the other\n');
    expect(second.driver.packStore.packs.all).toHaveLength(1);
    expect(driver.packStore.packs.all).toHaveLength(0);
  });

  it('stats adds packs, packed objects, pack bytes and deletions to the inner driver\'s', async () => {
    const { driver } = await packsDriver();
    expect(await driver.stats()).toEqual({ looseThings: 7, packs: 0, packedObjects: 0, packBytes: 0, deletedPacked: 0 });
    for (const s of ['one\n', 'two\n', 'three\n']) await driver.storeObject(blob(s).hash, 'blob', blob(s).data);
    const first = await driver.repack({ minFiles: 1 });
    await driver.storeObject(blob('four\n').hash, 'blob', blob('four\n').data);
    // minFiles 1 with one pack under smallPack 0 bytes: a second pack, the first kept.
    const second = await driver.repack({ minFiles: 1, smallPack: 0 });
    const sizes = (await stat(first.pack!)).size + (await stat(second.pack!)).size;
    expect(await driver.stats()).toEqual({ looseThings: 7, packs: 2, packedObjects: 4, packBytes: sizes, deletedPacked: 0 });
    const bare = new MemoryDriver();
    const plain = await packsDriver({ inner: bare });
    expect(await plain.driver.stats()).toEqual({ packs: 0, packedObjects: 0, packBytes: 0, deletedPacked: 0 });
  });

  it('fsck: the inner driver\'s issues, then the packs\'', async () => {
    const { driver, inner, folder } = await packsDriver();
    (inner as Inner).issues = [{ code: 'X', message: 'inner issue' }];
    expect(await driver.fsck()).toEqual([{ code: 'X', message: 'inner issue' }]);
    const broken = path.join(folder, `pack-${'d'.repeat(40)}`);
    await mkdir(folder, { recursive: true });
    await writeFile(`${broken}.idx`, 'bad');
    await writeFile(`${broken}.pack`, 'bad');
    const issues = await driver.fsck();
    expect(issues).toHaveLength(2);
    expect(issues[0]).toEqual({ code: 'X', message: 'inner issue' });
    expect(issues[1]).toMatchObject({ code: 'CORRUPT_OBJECT', name: `${broken}.pack` });
    const plain = await packsDriver({ inner: new MemoryDriver() });
    expect(await plain.driver.fsck()).toEqual([]);
  });

  it('prune: the inner prune, then temp packs older than an hour; a held pack lock leaves them for the next prune', async () => {
    const { driver, inner, folder } = await packsDriver();
    await mkdir(folder, { recursive: true });
    const oldTemp = path.join(folder, 'tmp-1-aaaa.pack');
    const youngTemp = path.join(folder, 'tmp-1-bbbb.pack');
    await writeFile(oldTemp, 'x');
    await writeFile(youngTemp, 'x');
    const now = Date.now();
    await utimes(oldTemp, new Date(now - 61 * 60_000), new Date(now - 61 * 60_000));
    await utimes(youngTemp, new Date(now - 59 * 60_000), new Date(now - 59 * 60_000));
    await driver.prune();
    expect((inner as Inner).calls).toEqual(['prune']);
    expect(await readdir(folder)).toEqual(['tmp-1-bbbb.pack']);
    // With the lock held (here, by this very process) prune waits 5 s by its clock, then gives up quietly.
    await utimes(youngTemp, new Date(now - 70 * 60_000), new Date(now - 70 * 60_000));
    let clock = 0;
    const readings: number[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let entered!: () => void;
    const inside = new Promise<void>((r) => {
      entered = r;
    });
    const holder = withPackLock(folder, async () => {
      entered();
      await held;
    });
    await inside;
    vi.spyOn(performance, 'now').mockImplementation(() => {
      clock += 1000;
      readings.push(clock);
      return clock;
    });
    await driver.prune();
    vi.restoreAllMocks();
    release();
    await holder;
    expect(readings.at(-1)! - readings[0]!).toBe(6000);
    expect(await readdir(folder)).toEqual(['tmp-1-bbbb.pack']);
    // Any other failure is passed on: the pack folder replaced by a file.
    await rm(folder, { recursive: true });
    await writeFile(folder, 'not a folder');
    await expect(driver.prune()).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('repacks by itself once autoRepack new objects were stored (and counts again from a manual repack)', async () => {
    const { driver, folder } = await packsDriver({ autoRepack: 3 });
    const objects = ['a\n', 'b\n', 'c\n', 'd\n', 'e\n', 'f\n'].map(blob);
    await driver.storeObject(objects[0]!.hash, 'blob', objects[0]!.data);
    await driver.storeObject(objects[0]!.hash, 'blob', objects[0]!.data); // not new: not counted
    await driver.storeObject(objects[1]!.hash, 'blob', objects[1]!.data);
    expect(await packFiles(folder)).toEqual([]);
    await driver.storeObject(objects[2]!.hash, 'blob', objects[2]!.data);
    expect(await packFiles(folder)).toHaveLength(1);
    expect(await driver.stats()).toMatchObject({ packs: 1, packedObjects: 3 });
    await driver.storeObject(objects[3]!.hash, 'blob', objects[3]!.data);
    await driver.repack({ minFiles: 100 }); // does nothing but resets the count
    await driver.storeObject(objects[4]!.hash, 'blob', objects[4]!.data);
    await driver.storeObject(objects[5]!.hash, 'blob', objects[5]!.data);
    expect(await driver.stats()).toMatchObject({ packs: 1, packedObjects: 3 });
    const never = await packsDriver({ autoRepack: 0 });
    for (const o of objects) await never.driver.storeObject(o.hash, 'blob', o.data);
    expect(await packFiles(never.folder)).toEqual([]);
  });

  it('unpack, rescan, watch, heads and batches go through; unpack answers how many it unpacked', async () => {
    const { driver, inner } = await packsDriver();
    for (const s of ['x\n', 'y\n']) await driver.storeObject(blob(s).hash, 'blob', blob(s).data);
    await driver.repack({ minFiles: 1 });
    expect(await driver.unpack()).toEqual({ unpacked: 2 });
    await driver.rescan();
    expect((inner as Inner).calls).toEqual(['rescan']);
    const seen: HeadChange[] = [];
    const stop = driver.watch((c) => seen.push(c));
    const other = new MemoryDriver(inner.backing);
    const h = blob('x\n').hash;
    await other.updateHead('f.txt', null, h);
    stop();
    await other.updateHead('f.txt', h, null);
    expect(seen).toEqual([{ name: 'f.txt', old: null, new: h }]);
    await driver.updateHead('g.txt', null, h);
    expect(await driver.getHead('g.txt')).toBe(h);
    const heads: string[] = [];
    for await (const e of driver.heads()) heads.push(`${e.name}=${e.head}`);
    expect(heads).toEqual([`g.txt=${h}`]);
    expect(await driver.updateHeads([{ name: 'g.txt', old: h, new: null }])).toEqual([{ name: 'g.txt', applied: true, head: null }]);
    expect(await driver.getHead('g.txt')).toBeUndefined();
    const batch = await driver.openObjectBatch();
    await batch.add(blob('batched\n').hash, 'blob', blob('batched\n').data);
    expect(await batch.commit()).toEqual({ objects: 1 });
    expect(text((await driver.loadObject(blob('batched\n').hash))!.data)).toBe('batched\n');
    // An inner driver without watch: a no-op unsubscribe.
    const bare = new MemoryDriver();
    Object.defineProperty(bare, 'watch', { value: undefined });
    const plain = await packsDriver({ inner: bare });
    expect(plain.driver.watch(() => undefined)()).toBeUndefined();
  });

  it('close closes the packs and the inner driver once; then every operation is CLOSED', async () => {
    const { driver, inner } = await packsDriver();
    await driver.close();
    await driver.close();
    expect((inner as Inner).calls).toEqual(['close']);
    const closed = { code: 'CLOSED', message: 'The packs driver is closed' };
    const h = blob('x').hash;
    const calls: [string, () => unknown][] = [
      ['storeObject', () => driver.storeObject(h, 'blob', new Uint8Array())],
      ['loadObject', () => driver.loadObject(h)],
      ['hasObject', () => driver.hasObject(h)],
      ['objects', () => driver.objects()[Symbol.asyncIterator]().next()],
      ['deleteObject', () => driver.deleteObject(h)],
      ['loadRaw', () => driver.loadRaw(h)],
      ['storeRaw', () => driver.storeRaw(h, new Uint8Array())],
      ['objectTime', () => driver.objectTime(h)],
      ['getHead', () => driver.getHead('f')],
      ['heads', () => driver.heads()],
      ['updateHead', () => driver.updateHead('f', null, h)],
      ['updateHeads', () => driver.updateHeads([])],
      ['openObjectBatch', () => driver.openObjectBatch()],
      ['rescan', () => driver.rescan()],
      ['watch', () => driver.watch(() => undefined)],
      ['repack', () => driver.repack()],
      ['unpack', () => driver.unpack()],
      ['prune', () => driver.prune()],
      ['fsck', () => driver.fsck()],
      ['stats', () => driver.stats()],
    ];
    for (const [name, call] of calls) {
      let error: unknown;
      try {
        await call();
      } catch (err) {
        error = err;
      }
      expect([name, error]).toMatchObject([name, closed]);
    }
    expect((inner as Inner).calls).toEqual(['close']);
  });

  it('refuses invalid hashes with INVALID_HASH', async () => {
    const { driver } = await packsDriver();
    for (const call of [
      () => driver.storeObject('ABC', 'blob', new Uint8Array()),
      () => driver.loadObject('ABC'),
      () => driver.hasObject('ABC'),
      () => driver.deleteObject('ABC'),
      () => driver.loadRaw('ABC'),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'INVALID_HASH', message: 'Invalid object hash "ABC": expected 40 lower-case hex digits' });
    }
  });

  it('loadRaw hands out the inner driver\'s very bytes; storeRaw names "raw object" when the bytes do not match', async () => {
    class StoredRaw extends Inner {
      override async loadRaw(hash: string): Promise<Uint8Array | undefined> {
        const found = await this.loadObject(hash);
        return found && zlib.deflateSync(frameObject(found.type, found.data), { level: 0 });
      }
    }
    const { driver } = await packsDriver({ inner: new StoredRaw() });
    const a = blob('stored raw\n');
    await driver.storeObject(a.hash, a.type, a.data);
    const expected = zlib.deflateSync(frameObject('blob', a.data), { level: 0 });
    expect(Buffer.compare(Buffer.from((await driver.loadRaw(a.hash))!), expected)).toBe(0);
    const other = blob('other\n').hash;
    const err = (await driver.storeRaw(other, expected).then(() => new Error('stored'), (e: unknown) => e)) as Error;
    expect(err).toMatchObject({ code: 'CORRUPT_OBJECT' });
    expect(err.message.startsWith(`Corrupt object ${other} in raw object: `)).toBe(true);
  });

  it('a repack whose lock is taken over while it runs removes nothing and fails with LOCK_TIMEOUT', async () => {
    class Thief extends Inner {
      folder = '';
      override async loadObject(hash: string) {
        if (this.folder) await writeFile(path.join(this.folder, 'pack.lock', 'owner'), JSON.stringify({ host: 'elsewhere', pid: 1, token: 'thief' }));
        return super.loadObject(hash);
      }
    }
    const inner = new Thief();
    const { driver, folder } = await packsDriver({ inner });
    const a = blob('stolen lock\n');
    await driver.storeObject(a.hash, a.type, a.data);
    inner.folder = folder;
    await expect(driver.repack({ minFiles: 1 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', message: `Lost the lock ${path.join(folder, 'pack.lock')}: another process took it over while this one stalled` });
    expect(await packFiles(folder)).toEqual([]);
    inner.folder = '';
    expect(await inner.hasObject(a.hash)).toBe(true);
  });

  it('prune over an inner driver without prune, and a read through a closed pack falls back to the loose copy', async () => {
    const { driver, inner } = await packsDriver({ inner: new MemoryDriver() });
    await driver.prune();
    const a = blob('closed pack\n');
    await driver.storeObject(a.hash, a.type, a.data);
    await driver.repack({ minFiles: 1 });
    await inner.storeObject(a.hash, a.type, a.data);
    // The attached pack closed under the driver (as a retired one is): a miss, not corruption.
    await driver.packStore.packs.all[0]!.close();
    expect(text((await driver.loadObject(a.hash))!.data)).toBe('closed pack\n');
  });

  it('an object batch skips an object a live pack holds and stores loose one whose packed copy gc deleted', async () => {
    const { driver, inner, folder } = await packsDriver();
    const [live, deleted] = ['live packed\n', 'deleted packed\n'].map(blob);
    for (const o of [live!, deleted!]) await driver.storeObject(o.hash, 'blob', o.data);
    await driver.repack({ minFiles: 1 });
    expect(await driver.deleteObject(deleted!.hash)).toBe(true);
    const packs = await packFiles(folder);
    const batch = await driver.openObjectBatch();
    await batch.add(live!.hash, 'blob', live!.data);
    await batch.add(deleted!.hash, 'blob', deleted!.data);
    // The live one is skipped; the deleted one goes loose (the files driver's store): one object, no new pack.
    expect(await batch.commit()).toEqual({ objects: 1 });
    expect(await packFiles(folder)).toEqual(packs);
    expect(await inner.hasObject(deleted!.hash)).toBe(true);
    expect(await inner.hasObject(live!.hash)).toBe(false);
    expect(text((await driver.loadObject(deleted!.hash))!.data)).toBe('deleted packed\n');
  });

  it('a miss asks the loose store twice around exactly one rescan', async () => {
    const { driver, inner } = await packsDriver();
    const loads = vi.spyOn(inner, 'loadObject');
    const scans = vi.spyOn(driver.packStore.packs, 'scan');
    expect(await driver.loadObject(blob('nowhere\n').hash)).toBeUndefined();
    expect(loads).toHaveBeenCalledTimes(2);
    expect(scans).toHaveBeenCalledTimes(1);
  });

  it('objectTime of a pack whose file went while its idx stayed fails with ENOENT after one rescan', async () => {
    const { driver, folder } = await packsDriver();
    const a = blob('pack file gone\n');
    await driver.storeObject(a.hash, 'blob', a.data);
    const report = await driver.repack({ minFiles: 1 });
    await rm(report.pack!);
    const scans = vi.spyOn(driver.packStore.packs, 'scan');
    await expect(driver.objectTime(a.hash)).rejects.toMatchObject({ code: 'ENOENT', path: report.pack });
    expect(scans).toHaveBeenCalledTimes(1);
    expect(path.dirname(report.pack!)).toBe(folder);
  });

  it('one automatic repack at a time: stores during it only count, and the next one starts after it', async () => {
    const { driver } = await packsDriver({ autoRepack: 1 });
    const repack = driver.repack.bind(driver);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let calls = 0;
    vi.spyOn(driver, 'repack').mockImplementation(async (options) => {
      calls++;
      await gate;
      return repack(options);
    });
    const [a, b, c, d] = ['auto a\n', 'auto b\n', 'auto c\n', 'auto d\n'].map(blob);
    const first = driver.storeObject(a!.hash, 'blob', a!.data);
    while (calls === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(await driver.storeObject(b!.hash, 'blob', b!.data)).toBe(true);
    expect(await driver.storeObject(c!.hash, 'blob', c!.data)).toBe(true);
    expect(calls).toBe(1);
    release();
    expect(await first).toBe(true);
    await driver.storeObject(d!.hash, 'blob', d!.data);
    expect(calls).toBe(2);
  });
});
