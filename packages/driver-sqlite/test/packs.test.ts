import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defaultDriverContext, openStore, type FileEntry, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';
import { removeIndexFiles } from '../src/index-db.js';
import { INDEX_FILE } from '../src/schema.js';
import { populate } from './support/random-store.js';

async function answers(store: Store): Promise<unknown> {
  const files: FileEntry[] = [];
  for await (const entry of store.files()) files.push(entry);
  const texts = await Promise.all(files.map(async (entry) => (await store.get(entry.name)).text));
  return { files, texts, search: await store.search('eta'), history: await store.history(files[0]!.name, { depth: 20 }) };
}

describe('over a store with packs', () => {
  it('repacks through the packs driver, and rebuilds its index from packed objects with identical answers', async () => {
    const temp = await tempDir('gitty-sqlite-packs-');
    try {
      const store = await openStore(await createDriver({ dir: temp.dir, packs: true, durability: 'none' }, defaultDriverContext()));
      let before: unknown;
      try {
        expect(store.driver.capabilities).toMatchObject({ packs: true, query: true, search: true, reindex: true });
        await populate([store], 60, 11);
        before = await answers(store);
        const report = await store.repack({ minFiles: 1 });
        expect(report.packed).toBeGreaterThan(100);
        expect(await answers(store)).toEqual(before);
      } finally {
        await store.close();
      }
      expect(readdirSync(join(temp.dir, 'objects', 'pack')).some((file) => file.endsWith('.pack'))).toBe(true);
      removeIndexFiles(join(temp.dir, INDEX_FILE));
      // No `packs` option: the pack folder's presence selects the packs driver.
      const reopened = await openStore(await createDriver({ dir: temp.dir }, defaultDriverContext()));
      try {
        expect(reopened.driver.capabilities.packs).toBe(true);
        expect(existsSync(join(temp.dir, INDEX_FILE))).toBe(true);
        expect(await answers(reopened)).toEqual(before);
      } finally {
        await reopened.close();
      }
    } finally {
      await temp.remove();
    }
  });
});
