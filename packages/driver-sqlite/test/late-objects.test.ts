import { describe, expect, it } from 'vitest';
import { defaultDriverContext, encodeCommit, hashObject, openStore, type Store } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

// A head can be set before its objects are stored (a replicating driver writes a head it learnt
// through to this one, and fetches the objects later). Once they are stored the index must
// list and search the file like any other.

const encoder = new TextEncoder();

function version(name: string, text: string) {
  const data = encoder.encode(text);
  const blob = hashObject('blob', data);
  const body = encodeCommit({ name, data: blob, time: 1_700_000_000 });
  return { blob, data, body, commit: hashObject('commit', body) };
}

async function names(store: Store): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of store.files()) found.push(entry.name);
  return found;
}

describe('a head set before its objects are stored', () => {
  it('is listed and searchable once this driver stores its commit and blob', async () => {
    const temp = await tempDir('gitty-sqlite-late-objects-');
    const store = await openStore(await createDriver({ dir: temp.dir, durability: 'none', throttleMs: 60_000 }, defaultDriverContext()));
    try {
      const v = version('early.md', 'a needle arrives late\n');
      await store.driver.updateHead('early.md', null, v.commit);
      expect(await names(store)).toEqual([]);
      await store.driver.storeObject(v.commit, 'commit', v.body);
      expect(await names(store)).toEqual(['early.md']);
      expect(await store.search('needle')).toEqual([]);
      await store.driver.storeObject(v.blob, 'blob', v.data);
      expect((await store.search('needle')).map((hit) => hit.name)).toEqual(['early.md']);
    } finally {
      await store.close();
      await temp.remove();
    }
  });

  it('is listed after rescan() when another process stored the objects', async () => {
    const temp = await tempDir('gitty-sqlite-late-objects-');
    const store = await openStore(await createDriver({ dir: temp.dir, durability: 'none', throttleMs: 60_000 }, defaultDriverContext()));
    try {
      const v = version('other.md', 'stored elsewhere\n');
      await store.driver.updateHead('other.md', null, v.commit);
      const files = await createFilesDriver({ dir: temp.dir, durability: 'none' }, defaultDriverContext());
      try {
        await files.storeObject(v.blob, 'blob', v.data);
        await files.storeObject(v.commit, 'commit', v.body);
      } finally {
        await files.close();
      }
      expect(await names(store)).toEqual([]);
      await store.rescan();
      expect(await names(store)).toEqual(['other.md']);
      expect((await store.search('elsewhere')).map((hit) => hit.name)).toEqual(['other.md']);
    } finally {
      await store.close();
      await temp.remove();
    }
  });
});
