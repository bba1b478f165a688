import { stat } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { blob } from './fixtures.js';
import { twoPacksDrivers } from './support/two-drivers.js';

// Two packs drivers on one folder in one process, one's view of the pack folder stale: objectTime
// of an object whose pack the other merged away (it threw ENOENT), and a lookup waiting for its
// rescan when its driver closes (the attached packs closed under it: CLOSED, not CORRUPT_OBJECT
// as before abcd269, nor the false miss before the check after the retries).

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) await c();
});

const twoDrivers = () => twoPacksDrivers('gitty-packs-stale-', cleanups);

describe('a packs driver with a stale view of the pack folder', () => {
  it('objectTime of an object whose pack another driver merged away rescans and answers the new pack\'s time', async () => {
    const { a, b } = await twoDrivers();
    const one = blob('one\n');
    const two = blob('two\n');
    await a.storeObject(one.hash, one.type, one.data);
    const first = await a.repack({ minFiles: 1 });
    expect(await a.objectTime(one.hash)).toBe((await stat(first.pack!)).mtimeMs);
    await b.storeObject(two.hash, two.type, two.data);
    const second = await b.repack({ minFiles: 1 });
    expect(second).toMatchObject({ packed: 2, packsRemoved: 1 });
    // a still has the first pack attached; its file is gone. (It threw ENOENT: gc's grace check failed.)
    expect(a.packStore.packs.all.map((p) => p.path)).toEqual([first.pack]);
    expect(await a.objectTime(one.hash)).toBe((await stat(second.pack!)).mtimeMs);
    expect(a.packStore.packs.all.map((p) => p.path)).toEqual([second.pack]);
    // Unpacked by b: the loose copy's time.
    await b.unpack();
    expect(await a.objectTime(two.hash)).toBe(await b.objectTime(two.hash));
    expect(typeof (await a.objectTime(two.hash))).toBe('number');
  });

  it('a lookup waiting for its rescan when the driver closes ends CLOSED, never CORRUPT_OBJECT or a false miss', async () => {
    const { a, b } = await twoDrivers();
    const one = blob('packed by b\n');
    await b.storeObject(one.hash, one.type, one.data);
    await b.repack({ minFiles: 1 });
    // a has not scanned since: its lookup misses, rescans (attaching b's pack), then reads it.
    expect(a.packStore.packs.all).toEqual([]);
    const refresh = a.packStore.tombstones.refresh.bind(a.packStore.tombstones);
    let closing: Promise<void> | undefined;
    vi.spyOn(a.packStore.tombstones, 'refresh').mockImplementation(async () => {
      await refresh();
      // The pack is attached now; close() closes it at once (its fd is -1) and clears the set later.
      if (a.packStore.packs.all.length === 1) closing ??= a.close();
    });
    await expect(a.loadObject(one.hash)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(closing).toBeDefined();
    await closing;
    await expect(a.loadObject(one.hash)).rejects.toMatchObject({ code: 'CLOSED' });
    expect(Buffer.from((await b.loadObject(one.hash))!.data).toString()).toBe('packed by b\n');
  });
});
