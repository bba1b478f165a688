import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultDriverContext, openStore, type HeadChange } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';

describe('the packs driver and head-log compaction', () => {
  it('compacts the log on gc and by size (the files driver under it does), with packed history intact; a files reader follows', async () => {
    const { dir, remove } = await tempDir('gitty-packs-compact-');
    try {
      const store = await openStore(await createDriver({ dir, durability: 'none', compactAt: 3000, compactRatio: 2 }, defaultDriverContext()));
      const reader = await openStore(await createFilesDriver({ dir, durability: 'none', pollInterval: 0, watchLog: false, compactAt: false }, defaultDriverContext()));
      try {
        const heard: HeadChange[] = [];
        reader.driver.watch!((change) => heard.push(change));
        const written: string[] = [];
        let head = (await store.create('a.pl', 'a(0).\n')).commit;
        written.push(head);
        for (let i = 1; i <= 40; i++) {
          head = (await store.update('a.pl', `a(${i}).\n`, { previous: head })).commit;
          written.push(head);
          if (i === 20) {
            await store.repack();
            await reader.rescan();
          }
        }
        await store.gc();
        await reader.rescan();
        expect(heard.map((c) => c.new)).toEqual(written);
        const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n').filter(Boolean);
        expect(lines).toHaveLength(2);
        expect(JSON.parse(lines[0]!)).toHaveProperty('compacted');
        expect((await store.history('a.pl', { depth: 50 })).history.map((c) => c.commit)).toEqual([...written].reverse());
        expect((await store.fsck()).ok).toBe(true);
      } finally {
        await reader.close();
        await store.close();
      }
      const again = await openStore(await createDriver({ dir, durability: 'none' }, defaultDriverContext()));
      expect((await again.get('a.pl')).text).toBe('a(40).\n');
      await again.close();
    } finally {
      await remove();
    }
  }, 60_000);
});
