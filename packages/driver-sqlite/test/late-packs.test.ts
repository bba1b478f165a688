import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore, type Commit } from '@gitty/core';
import { run, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { createDriver } from '../src/factory.js';

const repack = fileURLToPath(new URL('./fixtures/repack.ts', import.meta.url));

describe('packs another process creates after this one opened', () => {
  it('are read: every version stays readable after the other process repacked and removed the loose copies', async () => {
    const temp = await tempDir('gitty-sqlite-late-packs-');
    // Opened while the store has no pack folder, so the driver starts on loose objects alone.
    const store = await openStore(await createDriver({ dir: temp.dir, durability: 'none' }, defaultDriverContext()));
    try {
      expect(existsSync(path.join(temp.dir, 'objects', 'pack'))).toBe(false);
      const versions: Commit[] = [];
      for (let i = 0; i < 5; i++) {
        const first = await store.create(`late-${i}.md`, `first text of file ${i}\n`);
        versions.push(first, await store.update(`late-${i}.md`, `second text of file ${i}\n`, { previous: first.commit }));
      }
      const repacked = await run(process.execPath, tsNodeArgs(repack, [temp.dir]), { timeoutMs: 60_000 });
      expect(repacked.stderr).toBe('');
      expect(repacked.code).toBe(0);
      expect(JSON.parse(repacked.stdout.toString())).toMatchObject({ packed: 20 });
      expect(existsSync(path.join(temp.dir, 'objects', 'pack'))).toBe(true);

      for (const version of versions) {
        expect((await store.get(version.commit)).commit).toEqual(version);
        expect(await store.driver.hasObject(version.data)).toBe(true);
      }
      expect((await store.get('late-3.md')).text).toBe('second text of file 3\n');
      expect((await store.history('late-3.md')).history.map((commit) => commit.commit)).toEqual([versions[7]!.commit, versions[6]!.commit]);
      const listed = new Set<string>();
      for await (const hash of store.driver.objects()) listed.add(hash);
      expect(versions.every((version) => listed.has(version.commit) && listed.has(version.data))).toBe(true);
    } finally {
      await store.close();
      await temp.remove();
    }
  }, 120_000);
});
