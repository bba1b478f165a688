import { MemoryDriver, nodeCompression, openStore, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { PacksDriver } from '../src/packs-driver.js';
import { versionText } from './fixtures.js';

/** A packs driver over an in-memory loose store, in a temp dir; `done` closes and removes. */
export async function memoryPacks(autoRepack = 0) {
  const { dir, remove } = await tempDir('gitty-packs-');
  const driver = await new PacksDriver(new MemoryDriver(), { dir, compression: nodeCompression, maxObjectSize: 1 << 24, autoRepack }).open();
  const store = await openStore(driver);
  return { dir, driver, store, done: async () => { await store.close(); await remove(); } };
}

/** Write `versions` versions of `files` files; returns the commit hashes per file, oldest first. */
export async function writeHistory(store: Store, files: number, versions: number, ext = 'txt'): Promise<string[][]> {
  const all: string[][] = [];
  for (let f = 0; f < files; f++) {
    const commits: string[] = [];
    let previous: string | undefined;
    for (let v = 0; v < versions; v++) {
      const name = `file-${f}.${ext}`;
      const text = versionText(f, v);
      const c = previous === undefined
        ? await store.create(name, text, { time: 1000 + v })
        : await store.update(name, text, { previous, time: 1000 + v });
      previous = c.commit;
      commits.push(c.commit);
    }
    all.push(commits);
  }
  return all;
}
