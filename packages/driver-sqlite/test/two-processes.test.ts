import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore, type FileEntry } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { run, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

const writer = fileURLToPath(new URL('./fixtures/writer.ts', import.meta.url));
const COUNT = 25;

interface WriterReport {
  others: string[];
  sharedLines: number;
  searchHits: string[];
  capabilities: Record<string, boolean>;
}

async function collect(files: AsyncIterable<FileEntry>): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for await (const entry of files) out.push([entry.name, entry.head]);
  return out;
}

describe('a files process and a sqlite process writing one store', () => {
  it('converge, and the sqlite process\'s queries and search include the files process\'s writes', async () => {
    const temp = await tempDir('gitty-sqlite-2p-');
    try {
      // The store exists before both start, so neither races to create it.
      await (await openStore(await createDriver({ dir: temp.dir }, defaultDriverContext()))).close();
      const [viaFiles, viaSqlite] = await Promise.all([
        run(process.execPath, tsNodeArgs(writer, [temp.dir, 'files', 'alice', 'bob', String(COUNT)]), { timeoutMs: 60_000 }),
        run(process.execPath, tsNodeArgs(writer, [temp.dir, 'sqlite', 'bob', 'alice', String(COUNT)]), { timeoutMs: 60_000 }),
      ]);
      expect(viaFiles.stderr).toBe('');
      expect(viaSqlite.stderr).toBe('');
      expect(viaFiles.code).toBe(0);
      expect(viaSqlite.code).toBe(0);
      const files = JSON.parse(viaFiles.stdout.toString()) as WriterReport;
      const sqlite = JSON.parse(viaSqlite.stdout.toString()) as WriterReport;
      expect(sqlite.capabilities.query).toBe(true);
      const alices = Array.from({ length: COUNT }, (_, i) => `alice-${i}.pl`).sort();
      expect(sqlite.others).toEqual(alices);
      expect([...sqlite.searchHits].sort()).toEqual(alices);
      expect(files.others.sort()).toEqual(Array.from({ length: COUNT }, (_, i) => `bob-${i}.pl`).sort());

      // Afterwards both drivers see the same heads, and no append to shared.md was lost.
      const overFiles = await openStore(await createFilesDriver({ dir: temp.dir }, defaultDriverContext()));
      const overSqlite = await openStore(await createDriver({ dir: temp.dir }, defaultDriverContext()));
      try {
        const heads = await collect(overFiles.files());
        expect(heads).toHaveLength(2 * COUNT + 1);
        expect(await collect(overSqlite.files())).toEqual(heads);
        expect((await overSqlite.get('shared.md')).text.split('\n').filter(Boolean)).toHaveLength(2 * COUNT);
        expect((await overSqlite.history('shared.md', { depth: 100 })).history).toHaveLength(2 * COUNT);
      } finally {
        await overFiles.close();
        await overSqlite.close();
      }
    } finally {
      await temp.remove();
    }
  });
});
