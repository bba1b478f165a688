import { afterEach, describe, expect, it } from 'vitest';
import { open, readdir, rename, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openStore, registerDriver } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { withPackLock } from '../src/pack-lock.js';
import type { PacksDriver } from '../src/packs-driver.js';
import { repackStore } from '../src/repack.js';
import { versionText } from './fixtures.js';
import { writeHistory } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** Make every file in `folder` look `ageMs` old. */
async function age(folder: string, ageMs: number): Promise<void> {
  const then = new Date(Date.now() - ageMs);
  for (const name of await readdir(folder)) await utimes(path.join(folder, name), then, then);
}

describe('prune of the pack folder', () => {
  it('removes a pack left without its idx and a compaction\'s temp list once they are old, and nothing else', async () => {
    const { dir, remove } = await tempDir('gitty-packs-prune-');
    cleanups.push(remove);
    registerDriver('packs', createDriver);
    const store = await openStore({ driver: 'packs', dir });
    cleanups.unshift(() => store.close());
    const history = await writeHistory(store, 5, 3);
    const driver = store.driver as PacksDriver;
    const folder = driver.packStore.folder;
    // A repack that dies right after renaming its pack into place, before the idx: the state a
    // crash between the two renames leaves (its temp idx stays behind too).
    const crash = async (tempPack: string) => {
      const handle = await open(tempPack, 'r');
      const trailer = Buffer.alloc(20);
      const { size } = await handle.stat();
      await handle.read(trailer, 0, 20, size - 20);
      await handle.close();
      await rename(tempPack, path.join(folder, `pack-${trailer.toString('hex')}.pack`));
      await rename(tempPack.replace(/\.pack$/, '.idx'), tempPack.replace(/\.pack$/, '.keep'));
      throw new Error('killed between the renames');
    };
    await expect(withPackLock(folder, () => repackStore(driver.packStore, { minFiles: 1 }, { beforeInstall: crash }))).rejects.toThrow('killed');
    for (const name of await readdir(folder)) if (name.endsWith('.keep')) await rename(path.join(folder, name), path.join(folder, name.replace(/\.keep$/, '.idx')));
    await writeFile(path.join(folder, 'deleted.tmp-4242'), `-${'a'.repeat(40)}\n`); // a compaction killed before its rename
    const leftovers = (await readdir(folder)).sort();
    expect(leftovers).toHaveLength(3);

    await driver.prune();
    expect((await readdir(folder)).sort()).toEqual(leftovers); // too young: maybe still being written
    await age(folder, 2 * 60 * 60 * 1000);
    await driver.prune();
    expect(await readdir(folder)).toEqual([]);

    for (const [f, commits] of history.entries()) {
      for (const [v, c] of commits.entries()) expect((await store.get(c)).text).toBe(versionText(f, v));
    }
    expect((await store.fsck()).errors).toEqual([]);
    expect((await store.repack({ minFiles: 1 })).packed).toBe(30);
  });
});
