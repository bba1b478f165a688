import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryDriver, openStore, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { compareStores } from '../src/compare-stores.js';
import { parseStoreSpec, selectStore } from '../src/config.js';
import { copyStore } from '../src/copy-store.js';
import { parseDuration } from '../src/duration.js';

async function storeWith(files: number, versions: number): Promise<Store> {
  const store = await openStore(new MemoryDriver());
  for (let i = 0; i < files; i++) {
    let head = (await store.create(`f${i}.txt`, `f${i} v0`, { tags: ['a'] })).commit;
    for (let v = 1; v < versions; v++) head = (await store.update(`f${i}.txt`, `f${i} v${v}`, { previous: head })).commit;
  }
  return store;
}

describe('copyStore and compareStores (in process, memory driver)', () => {
  it('copies every history with hashes preserved, then only what is new', async () => {
    const [from, to] = [await storeWith(5, 3), await openStore(new MemoryDriver())];
    const first = await copyStore(from, to);
    expect(first).toMatchObject({ files: 5, updated: 5, upToDate: 0, objects: 30, raw: true, diverged: [], interrupted: false });
    expect(await compareStores(from, to)).toMatchObject({ identical: true, files: 5, versions: 15 });
    expect(await copyStore(from, to)).toMatchObject({ updated: 0, upToDate: 5, objects: 0 });
    await from.update('f2.txt', 'f2 v3', { previous: (await from.head('f2.txt'))! });
    expect(await compareStores(from, to)).toMatchObject({ identical: false, differ: [{ name: 'f2.txt' }] });
    expect(await copyStore(from, to)).toMatchObject({ updated: 1, upToDate: 4, objects: 2 });
    expect((await to.get('f2.txt')).text).toBe('f2 v3');
    await Promise.all([from.close(), to.close()]);
  });

  it('stops at the signal between objects, leaving heads only where all objects are, and resumes', async () => {
    const [from, to] = [await storeWith(8, 4), await openStore(new MemoryDriver())];
    const abort = new AbortController();
    const report = await copyStore(from, to, { signal: abort.signal, concurrency: 1, onProgress: ({ done }) => done === 3 && abort.abort() });
    expect(report).toMatchObject({ interrupted: true, updated: 3 });
    expect((await to.fsck()).ok).toBe(true);
    expect(await compareStores(from, to)).toMatchObject({ identical: false, files: 3 });
    expect(await copyStore(from, to)).toMatchObject({ updated: 5, upToDate: 3, interrupted: false });
    expect(await compareStores(from, to)).toMatchObject({ identical: true, versions: 32 });
    await Promise.all([from.close(), to.close()]);
  });

  it('reports objects missing from a shared history', async () => {
    const [from, to] = [await storeWith(2, 2), await openStore(new MemoryDriver())];
    await copyStore(from, to);
    const blob = (await from.commit('f0.txt')).data;
    await to.driver.deleteObject(blob);
    expect(await compareStores(from, to)).toMatchObject({ identical: false, missing: [{ side: 'b', name: 'f0.txt', hash: blob }] });
    await Promise.all([from.close(), to.close()]);
  });
});

describe('parseDuration', () => {
  it('reads units and sums', () => {
    expect([parseDuration('0'), parseDuration('500ms'), parseDuration('1h'), parseDuration('1h30m'), parseDuration('2d'), parseDuration('1.5s')]).toEqual([0, 500, 3_600_000, 5_400_000, 172_800_000, 1500]);
  });
  it('rejects what it cannot read', () => {
    for (const bad of ['', 'h', '1', '1x', '1h 2m', '-1h']) expect(() => parseDuration(bad, '--grace')).toThrow(/Invalid --grace/);
  });
});

describe('store selection', () => {
  it('prefers --store, then --config, then ./gitty.config.json, resolving dirs against the file', async () => {
    const { dir, remove } = await tempDir('gitty-cli-select-');
    try {
      await mkdir(path.join(dir, 'conf'));
      await writeFile(path.join(dir, 'conf', 'g.json'), JSON.stringify({ driver: 'redis', url: 'redis://x', inner: { driver: 'packs', dir: '../data' } }));
      await writeFile(path.join(dir, 'gitty.config.json'), JSON.stringify({ driver: 'sqlite', dir: 'here' }));
      expect((await selectStore({ store: 's', driver: 'packs' }, {}, dir)).config).toEqual({ driver: 'packs', dir: path.join(dir, 's') });
      expect((await selectStore({}, { GITTY_STORE: '/abs' }, dir)).config).toEqual({ driver: 'files', dir: '/abs' });
      expect((await selectStore({ config: 'conf/g.json' }, {}, dir)).config).toEqual({
        driver: 'redis', url: 'redis://x', inner: { driver: 'packs', dir: path.join(dir, 'data') }, resolveFrom: path.join(dir, 'conf'), baseDir: path.join(dir, 'conf'),
      });
      expect((await selectStore({}, {}, dir)).config).toMatchObject({ driver: 'sqlite', dir: path.join(dir, 'here') });
      expect((await parseStoreSpec('sqlite:rel', dir)).config).toEqual({ driver: 'sqlite', dir: path.join(dir, 'rel') });
      expect((await parseStoreSpec('plain', dir)).config).toEqual({ driver: 'files', dir: path.join(dir, 'plain') });
      await expect(selectStore({}, {}, path.join(dir, 'conf'))).rejects.toThrow(/No store selected/);
    } finally {
      await remove();
    }
  });
});
