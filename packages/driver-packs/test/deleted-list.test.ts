import { afterEach, describe, expect, it } from 'vitest';
import { utimes } from 'node:fs/promises';
import { hashObject, nodeCompression, openStore, registerDriver, type Driver, type Store } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A packs store on `dir`, closed after the test; the driver is what a process works through. */
async function open(dir: string): Promise<{ store: Store; driver: Driver }> {
  registerDriver('packs', createDriver);
  const store = await openStore({ driver: 'packs', dir });
  cleanups.unshift(() => store.close());
  return { store, driver: store.driver };
}

/** Blobs `count` distinct texts, stored through `driver`; returns their hashes and bytes. */
async function blobs(driver: Driver, count: number, tag: string): Promise<{ hash: string; data: Uint8Array }[]> {
  const out = [];
  for (let i = 0; i < count; i++) {
    const data = new TextEncoder().encode(`${tag} blob ${i}\n`);
    const hash = hashObject('blob', data);
    await driver.storeObject(hash, 'blob', data);
    out.push({ hash, data });
  }
  return out;
}

/** Reads as a process that opens the store now does. */
async function freshLoad(dir: string, hash: string): Promise<boolean> {
  const { store, driver } = await open(dir);
  try {
    return (await driver.loadObject(hash)) !== undefined;
  } finally {
    await store.close();
  }
}

describe('the deleted-objects list seen by a process opened before a gc', () => {
  it('storing an object gc deleted from a pack writes it again, and hasObject says it is gone meanwhile', async () => {
    const { dir, remove } = await tempDir('gitty-packs-deleted-');
    cleanups.push(remove);
    const gc = await open(dir);
    const [x] = await blobs(gc.driver, 1, 'x');
    await gc.store.repack({ minFiles: 1 });
    const writer = await open(dir); // opened before the gc below: its view of the list is empty
    expect(await writer.driver.hasObject(x!.hash)).toBe(true);
    expect(await gc.driver.deleteObject(x!.hash)).toBe(true);
    expect(await writer.driver.hasObject(x!.hash)).toBe(false);
    await writer.driver.storeObject(x!.hash, 'blob', x!.data);
    expect(await freshLoad(dir, x!.hash)).toBe(true);
    expect(await gc.driver.hasObject(x!.hash)).toBe(true);
  });

  it('notices a rewritten list of the same size (compaction, then a new deletion)', async () => {
    const { dir, remove } = await tempDir('gitty-packs-deleted-');
    cleanups.push(remove);
    const gc = await open(dir);
    const [x, y] = await blobs(gc.driver, 2, 'xy');
    await gc.store.repack({ minFiles: 1 });
    await gc.driver.deleteObject(y!.hash); // list: "-y"
    const writer = await open(dir); // loads "-y"
    // A repack that merges the pack drops y and compacts the list to nothing; then gc deletes x:
    // the list is "-x", exactly as long as the "-y" the writer read.
    await gc.store.repack({ minFiles: 0, smallPack: Number.MAX_SAFE_INTEGER });
    await gc.driver.deleteObject(x!.hash);
    await writer.driver.storeObject(x!.hash, 'blob', x!.data);
    expect(await freshLoad(dir, x!.hash)).toBe(true);
  });
});

describe('repack and loose objects that are also on the deleted list', () => {
  it('keeps an object a plain files process wrote loose after gc deleted its packed copy', async () => {
    const { dir, remove } = await tempDir('gitty-packs-deleted-');
    cleanups.push(remove);
    const packs = await open(dir);
    const [x, other] = await blobs(packs.driver, 2, 'files');
    await packs.store.repack({ minFiles: 1 });
    await packs.driver.deleteObject(x!.hash);
    // A files-driver process on the same folder knows nothing of packs or the list.
    const files = await createFilesDriver({ dir }, { compression: nodeCompression, maxObjectSize: 1 << 24, openInner: () => Promise.reject(new Error('no inner')) });
    expect(await files.storeObject(x!.hash, 'blob', x!.data)).toBe(true);
    await files.close();
    expect(await freshLoad(dir, x!.hash)).toBe(true);
    await packs.store.repack({ minFiles: 1 });
    expect(await freshLoad(dir, x!.hash)).toBe(true);
    expect(await freshLoad(dir, other!.hash)).toBe(true);
    expect((await packs.store.fsck()).errors).toEqual([]);
  });

  it('keeps an object stored again after gc deleted its packed copy, through repacks that merge the pack', async () => {
    const { dir, remove } = await tempDir('gitty-packs-deleted-');
    cleanups.push(remove);
    const packs = await open(dir);
    const [x] = await blobs(packs.driver, 1, 'again');
    await packs.store.repack({ minFiles: 1 });
    await packs.driver.deleteObject(x!.hash);
    await packs.driver.storeObject(x!.hash, 'blob', x!.data);
    await packs.store.repack({ minFiles: 1 });
    await packs.store.repack({ minFiles: 0, smallPack: Number.MAX_SAFE_INTEGER });
    expect(await freshLoad(dir, x!.hash)).toBe(true);
  });
});

describe('storing an object a pack already holds', () => {
  it('refreshes its time (the pack\'s mtime, as git freshens packs), so gc\'s grace counts from the re-use', async () => {
    const { dir, remove } = await tempDir('gitty-packs-deleted-');
    cleanups.push(remove);
    const packs = await open(dir);
    const [x] = await blobs(packs.driver, 1, 'fresh');
    const report = await packs.store.repack({ minFiles: 1 });
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(report.pack!, old, old);
    expect(await packs.driver.objectTime!(x!.hash)).toBeLessThan(Date.now() - 60 * 60 * 1000);
    expect(await packs.driver.storeObject(x!.hash, 'blob', x!.data)).toBe(false);
    expect(await packs.driver.objectTime!(x!.hash)).toBeGreaterThan(Date.now() - 60 * 1000);
  });
});
