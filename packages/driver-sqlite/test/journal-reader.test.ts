import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { run, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

const journalWriter = fileURLToPath(new URL('./fixtures/journal-writer.ts', import.meta.url));

function journalFiles(dir: string): string[] {
  try {
    return readdirSync(path.join(dir, 'objects', 'journal')).filter((n) => n.endsWith('.journal') || n.endsWith('.sealing'));
  } catch {
    return [];
  }
}

describe('the sqlite driver on a folder where files-driver processes write object journals', () => {
  it('reads versions whose objects are still in a live writer\'s journal, and indexes them', async () => {
    const temp = await tempDir('gitty-sqlite-journal-');
    try {
      const writer = await openStore(await createFilesDriver({ dir: temp.dir, journal: true, durability: 'none' }, defaultDriverContext()));
      const reader = await openStore(await createDriver({ dir: temp.dir, durability: 'none' }, defaultDriverContext()));
      try {
        for (let i = 0; i < 10; i++) {
          const version = await writer.create(`live-${i}.pl`, `in a journal ${i}\n`);
          expect(journalFiles(temp.dir)).toHaveLength(1);
          await reader.rescan();
          expect((await reader.get(`live-${i}.pl`)).text).toBe(`in a journal ${i}\n`);
          expect((await reader.head(`live-${i}.pl`))).toBe(version.commit);
        }
        const listed = [];
        for await (const entry of reader.files()) listed.push(entry.name);
        expect(listed.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `live-${i}.pl`).sort());
        expect((await reader.fsck()).ok).toBe(true);
      } finally {
        await reader.close();
        await writer.close();
      }
      expect(journalFiles(temp.dir)).toEqual([]);
    } finally {
      await temp.remove();
    }
  });

  it('seals a crashed writer\'s journal when it opens: every version it acknowledged is there, as loose objects', async () => {
    const temp = await tempDir('gitty-sqlite-journal-');
    try {
      const child = await run(process.execPath, tsNodeArgs(journalWriter, [temp.dir, '12']), { timeoutMs: 60_000 });
      expect(child.stderr.toString()).toBe('');
      const commits = JSON.parse(child.stdout.toString()) as Record<string, string>;
      expect(journalFiles(temp.dir)).toHaveLength(1);
      const store = await openStore(await createDriver({ dir: temp.dir }, defaultDriverContext()));
      try {
        expect(journalFiles(temp.dir)).toEqual([]);
        for (const [name, commit] of Object.entries(commits)) {
          expect(await store.head(name)).toBe(commit);
          expect((await store.get(name)).text).toBe(`left in a journal ${name.slice(8, -3)}\n`);
        }
        expect((await store.fsck()).ok).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      await temp.remove();
    }
  });
});
