import { describe, expect, it } from 'vitest';
import { readdir, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, registerDriver } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { releasedAfterEach } from './after-each-test.js';
import { versionText } from './fixtures.js';
import { writeHistory } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { children, cleanups } = releasedAfterEach();

describe('crash safety of repack and unpack', () => {
  it('a process killed at random moments while repacking or unpacking loses nothing', async () => {
    const { dir, remove } = await tempDir('gitty-packs-crash-');
    cleanups.push(remove);
    registerDriver('packs', createDriver);
    let store = await openStore({ driver: 'packs', dir });
    const history = await writeHistory(store, 20, 4);
    await store.close();
    for (let round = 0; round < 5; round++) {
      const child = spawnTs(path.join(here, 'children', 'churn.ts'), [dir]);
      children.push(child);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
      await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 300)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      store = await openStore({ driver: 'packs', dir });
      try {
        for (const [f, commits] of history.entries()) {
          for (const [v, c] of commits.entries()) expect((await store.get(c)).text).toBe(versionText(f, v));
        }
        expect((await store.fsck()).errors).toEqual([]);
      } finally {
        await store.close();
      }
    }
    // Leftover temp packs are never attached; a later repack still succeeds.
    store = await openStore({ driver: 'packs', dir });
    await store.repack({ minFiles: 1 });
    expect((await store.fsck()).errors).toEqual([]);
    await store.close();
    const folder = path.join(dir, 'objects', 'pack');
    const names = await readdir(folder);
    expect(names.filter((n) => /^pack-.*\.idx$/.test(n))).toHaveLength(1);
    // Whatever the kills left (temp packs, a pack without its idx, a temp deleted list, lock
    // graves) goes with prune once old; the store still reads whole.
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of names) await utimes(path.join(folder, name), old, old);
    store = await openStore({ driver: 'packs', dir });
    try {
      await store.driver.prune!();
      const left = await readdir(folder);
      expect(left.filter((n) => !/^pack-[0-9a-f]{40}\.(pack|idx)$|^deleted$/.test(n))).toEqual([]);
      expect(left.filter((n) => n.endsWith('.pack'))).toHaveLength(1);
      for (const [f, commits] of history.entries()) {
        for (const [v, c] of commits.entries()) expect((await store.get(c)).text).toBe(versionText(f, v));
      }
      expect((await store.fsck()).errors).toEqual([]);
    } finally {
      await store.close();
    }
  });
});
