import { afterEach, describe, expect, it } from 'vitest';
import { open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { openStore, registerDriver, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import type { PacksDriver } from '../src/packs-driver.js';
import { withPackLock } from '../src/pack-lock.js';
import { repackStore } from '../src/repack.js';
import { versionText } from './fixtures.js';
import { writeHistory } from './helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function expectEveryVersion(store: Store, history: string[][]): Promise<void> {
  for (const [f, commits] of history.entries()) {
    for (const [v, c] of commits.entries()) expect((await store.get(c)).text).toBe(versionText(f, v));
  }
}

describe('repack checks the pack it wrote before removing anything', () => {
  it('a pack that does not read back (a byte flipped on its way to disk) is refused: CORRUPT_OBJECT, loose copies kept', async () => {
    const { dir, remove } = await tempDir('gitty-packs-verify-');
    cleanups.push(remove);
    registerDriver('packs', createDriver);
    const store = await openStore({ driver: 'packs', dir });
    cleanups.unshift(() => store.close());
    const history = await writeHistory(store, 8, 5);
    const driver = store.driver as PacksDriver;
    const flip = async (tempPack: string) => {
      const handle = await open(tempPack, 'r+');
      try {
        const { size } = await handle.stat();
        const at = Math.floor(size / 2);
        const byte = Buffer.alloc(1);
        await handle.read(byte, 0, 1, at);
        byte[0] = byte[0]! ^ 0x55;
        await handle.write(byte, 0, 1, at);
      } finally {
        await handle.close();
      }
    };
    const repack = () => withPackLock(driver.packStore.folder, () => repackStore(driver.packStore, { minFiles: 1 }, { beforeInstall: flip }));
    await expect(repack()).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    const names = await readdir(path.join(dir, 'objects', 'pack'));
    expect(names.filter((n) => n.endsWith('.pack') || n.endsWith('.idx'))).toEqual([]);
    const fresh = await openStore({ driver: 'packs', dir });
    try {
      await expectEveryVersion(fresh, history);
      expect((await fresh.fsck()).errors).toEqual([]);
    } finally {
      await fresh.close();
    }
    // Nothing was lost, and the next repack (without the fault) succeeds.
    expect((await store.repack({ minFiles: 1 })).packed).toBe(80);
    await expectEveryVersion(store, history);
  });
});
