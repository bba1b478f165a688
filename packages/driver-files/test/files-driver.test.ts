import { describe, expect, it } from 'vitest';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultDriverContext, openStore, registerDriver, type HeadEvent } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import { TEMP_PREFIX, createDriver } from '@gitty/driver-files';
import { withStoreDir } from './support.js';

describe('files driver', () => {
  it('declares its capabilities and opens through the registry by name', async () => {
    await withStoreDir(async (dir) => {
      registerDriver('files', createDriver);
      const store = await openStore({ driver: 'files', dir, durability: 'none' });
      try {
        expect(store.driver.capabilities).toEqual({ rawObjects: true, watch: true, sharedHeads: true, persistent: true, objectTimes: true, objectBatches: true, headBatches: true });
        await store.create('a.txt', 'x');
        expect(await readdir(dir)).toEqual(expect.arrayContaining(['objects', 'ref']));
        expect(await readdir(dir)).not.toContain('HEAD');
      } finally {
        await store.close();
      }
    });
  });

  it('rejects bad options with INVALID_CONFIG naming the option', async () => {
    const context = defaultDriverContext();
    await expect(createDriver({}, context)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('dir') });
    await expect(createDriver({ dir: '/tmp/x', colour: 'red' }, context)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('colour') });
    await expect(createDriver({ dir: '/tmp/x', durability: 'always' }, context)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('durability') });
    await expect(createDriver({ dir: '/tmp/x', pollInterval: -1 }, context)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('pollInterval') });
    await expect(createDriver({ dir: '/tmp/x', watchLog: 'yes' }, context)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('watchLog') });
  });

  it('throttles lookups to the poll interval, but reads the log on rescan and before every CAS', async () => {
    await withStoreDir(async (_dir, open) => {
      const writer = await open();
      const reader = await open({ pollInterval: 3_600_000, watchLog: false });
      const a = await writer.create('a.txt', '1');
      // The reader read the log when it opened and will not look again for an hour …
      expect(await reader.driver.getHead('a.txt')).toBeUndefined();
      // … except before a CAS, which therefore fails against the latest state, naming it.
      await expect(reader.driver.updateHead('a.txt', null, a.data)).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: a.commit });
      const b = await writer.update('a.txt', '2', { previous: a.commit });
      expect(await reader.driver.getHead('a.txt')).toBe(a.commit);
      await reader.rescan();
      expect(await reader.driver.getHead('a.txt')).toBe(b.commit);
    });
  });

  it("reports another process's changes through fs.watch, without waiting for the poll", async () => {
    await withStoreDir(async (_dir, open) => {
      const watcher = await open({ pollInterval: 3_600_000 });
      const writer = await open();
      const seen: HeadEvent[] = [];
      watcher.on('head', (event) => seen.push(event));
      const a = await writer.create('a.txt', '1');
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([{ name: 'a.txt', old: null, new: a.commit, origin: 'remote' }]);
      await writer.delete('a.txt');
      await waitFor(() => seen.length === 2);
      expect(seen[1]).toEqual({ name: 'a.txt', old: a.commit, new: null, origin: 'remote' });
    });
  });

  it("reports another process's changes by polling alone (as on NFS, where no events arrive)", async () => {
    await withStoreDir(async (_dir, open) => {
      const watcher = await open({ pollInterval: 30, watchLog: false });
      const writer = await open();
      const seen: HeadEvent[] = [];
      const own: HeadEvent[] = [];
      watcher.on('head', (event) => (event.origin === 'remote' ? seen : own).push(event));
      const a = await writer.create('a.txt', '1');
      const b = await writer.update('a.txt', '2', { previous: a.commit });
      await waitFor(() => seen.length === 2);
      expect(seen.map((e) => e.new)).toEqual([a.commit, b.commit]);
      // Its own changes are reported once, as local.
      await watcher.update('a.txt', '3', { previous: b.commit });
      expect(own).toHaveLength(1);
      expect(own[0]!.origin).toBe('local');
    });
  });

  it('gc deletes unreachable objects and prune removes the folders they leave empty; stats count loose objects', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      await store.create('keep.txt', 'kept');
      const orphan = await store.save('nobody refers to me');
      const before = await store.driverStats();
      expect(before).toMatchObject({ looseObjects: 3, heads: 1 });
      expect(before.looseBytes).toBeGreaterThan(0);
      expect(before.looseDiskBytes).toBeGreaterThanOrEqual(before.looseBytes!);
      // A log rebuild's temp file left by a crash elsewhere, long ago.
      const staleTemp = path.join(dir, 'ref', `${TEMP_PREFIX}otherhost-12-abcd`);
      await writeFile(staleTemp, '{"epoch":');
      const old = new Date(Date.now() - 2 * 3600_000);
      await utimes(staleTemp, old, old);
      // A lock folder a crash left after moving it aside (release and take-over rename it first).
      const staleLock = path.join(dir, 'ref', `${TEMP_PREFIX}otherhost-13-ef01`);
      await mkdir(staleLock);
      await writeFile(path.join(staleLock, 'owner'), '{"host":"otherhost","pid":13,"token":"x"}');
      await utimes(staleLock, old, old);
      const report = await store.gc({ graceMs: 0 });
      // gc also compacted the log: the old epoch stays a while as head.retired-<epoch> for readers still in it.
      expect((await readdir(path.join(dir, 'ref'))).filter((n) => !n.startsWith('head.retired-'))).toEqual(['head']);
      expect(report.deleted).toBe(1);
      expect(await store.has(orphan)).toBe(false);
      expect(await readdir(path.join(dir, 'objects'))).not.toContain(orphan.slice(0, 2));
      expect(await store.driverStats()).toMatchObject({ looseObjects: 2 });
      // A grace period keeps young orphans (object times are file mtimes).
      const young = await store.save('young orphan');
      expect((await store.gc({ graceMs: 60_000 })).kept).toBe(1);
      expect(await store.has(young)).toBe(true);
    });
  });

  it('a closed driver rejects calls with CLOSED; close is idempotent', async () => {
    await withStoreDir(async (_dir, open) => {
      const store = await open();
      const driver = store.driver;
      await store.close();
      await store.close();
      await expect(driver.getHead('a.txt')).rejects.toMatchObject({ code: 'CLOSED' });
      await expect(driver.storeObject('a'.repeat(40), 'blob', new Uint8Array())).rejects.toMatchObject({ code: 'CLOSED' });
      await driver.close();
    });
  });
});
