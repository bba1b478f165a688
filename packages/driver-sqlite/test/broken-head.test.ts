import { describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore, type FileEntry } from '@gitty/core';
import { HeadLog, storeLayout } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

describe('a head whose commit object is missing', () => {
  it('is still the head (it can be deleted), and is left out of listings and search', async () => {
    const temp = await tempDir('gitty-sqlite-ghost-');
    const store = await openStore(await createDriver({ dir: temp.dir, durability: 'none', throttleMs: 0 }, defaultDriverContext()));
    try {
      await store.create('a.pl', 'ghostly text\n');
      // Another writer's log line names a commit that was never stored (a damaged store).
      const ghost = 'f'.repeat(40);
      const log = new HeadLog(storeLayout(temp.dir).headLog, { durability: 'none' });
      await log.withLock(async () => {
        const end = (await log.readFrom())!;
        await log.append(end, [{ name: 'ghost.pl', old: null, new: ghost }]);
      });
      await store.rescan();
      expect(await store.head('ghost.pl')).toBe(ghost);
      const names: string[] = [];
      for await (const entry of store.files() as AsyncIterable<FileEntry>) names.push(entry.name);
      expect(names).toEqual(['a.pl']);
      expect((await store.search('ghost')).map((hit) => hit.name)).toEqual(['a.pl']);
      await store.delete('ghost.pl');
      expect(await store.head('ghost.pl')).toBeUndefined();
    } finally {
      await store.close();
      await temp.remove();
    }
  });
});
