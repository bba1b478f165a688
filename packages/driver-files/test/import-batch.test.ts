import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { openStore, type ImportVersion } from '@gitty/core';
import { headLogTestHooks } from '../src/test-hooks.js';
import { openFiles, withStoreDir } from './support.js';

function versions(files: number, perFile: number): ImportVersion[] {
  return Array.from({ length: files * perFile }, (_, i) => ({ name: `n${i % files}.txt`, data: `version ${Math.floor(i / files)} of ${i % files}\n` }));
}

describe.each(['none', 'fsync'] as const)('Store.import on the files driver (durability %s)', (durability) => {
  it('appends every head change of an import in one locked write, after every object is in place', async () => {
    await withStoreDir(async (dir) => {
      const store = await openStore(await openFiles(dir, { durability }));
      try {
        await store.create('n0.txt', 'first\n');
        let writes = 0;
        let objectsAtWrite = -1;
        headLogTestHooks.beforeWrite = () => {
          writes++;
          objectsAtWrite = countLoose(dir);
        };
        try {
          const report = await store.import(versions(40, 5));
          expect(report.versions).toBe(200);
          expect(writes).toBe(1);
          // Objects first, heads last: every object was in place before the one append.
          expect(objectsAtWrite).toBe(2 + report.objects);
        } finally {
          headLogTestHooks.beforeWrite = undefined;
        }
        const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).trim().split('\n');
        expect(lines).toHaveLength(1 + 1 + 40); // epoch, the create, one line per imported file
        expect((await store.fsck()).ok).toBe(true);
      } finally {
        await store.close();
      }
    });
  });
});

function countLoose(dir: string): number {
  // Synchronous: the hook runs inside the append.
  let n = 0;
  const root = path.join(dir, 'objects');
  for (const folder of readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(folder)) continue;
    n += readdirSync(path.join(root, folder)).filter((f) => /^[0-9a-f]{38}$/.test(f)).length;
  }
  return n;
}
