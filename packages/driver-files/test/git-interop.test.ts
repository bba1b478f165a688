import { describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { git } from '@gitty/driver-test/harness';
import { createGitScratchRepo } from '@gitty/driver-files';
import { withStoreDir } from './support.js';

describe('git reads the store through alternates', () => {
  it('cat-file --batch prints every object we wrote and --batch-all-objects lists them all', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      let head = (await store.create('notes.md', '# notes\n', { author: 'ann' })).commit;
      for (let i = 0; i < 5; i++) head = (await store.update('notes.md', `# notes\nline ${i}\n`, { previous: head })).commit;
      await store.create('binary.bin', new Uint8Array([0, 1, 2, 255, 254, 0]));
      await store.save('a raw blob saved directly');
      const hashes: string[] = [];
      for await (const hash of store.driver.objects()) hashes.push(hash);
      expect(hashes.length).toBe(15);

      const scratch = await createGitScratchRepo(dir);
      try {
        expect((await readFile(path.join(scratch.gitDir, 'objects', 'info', 'alternates'), 'utf8')).trim()).toBe(path.join(dir, 'objects'));
        // One git process reads them all ("<hash> <type> <size>\n<content>\n" each), not two per object.
        const batch = await git(['--git-dir', scratch.gitDir, 'cat-file', '--batch'], { input: hashes.join('\n') + '\n' });
        let at = 0;
        for (const hash of hashes) {
          const object = await store.load(hash);
          const headerEnd = batch.indexOf(0x0a, at);
          const [named, type, size] = batch.subarray(at, headerEnd).toString().split(' ');
          expect([named, type, Number(size)]).toEqual([hash, object.type, object.data.length]);
          expect(new Uint8Array(batch.subarray(headerEnd + 1, headerEnd + 1 + Number(size)))).toEqual(object.data);
          at = headerEnd + 1 + Number(size) + 1;
        }
        expect(at).toBe(batch.length);
        const listed = (await git(['--git-dir', scratch.gitDir, 'cat-file', '--batch-all-objects', '--batch-check']))
          .toString().trim().split('\n').map((line) => line.split(' '));
        expect(listed.map(([hash]) => hash).sort()).toEqual([...hashes].sort());
        for (const [hash, type, size] of listed) {
          const object = await store.load(hash!);
          expect([type, Number(size)]).toEqual([object.type, object.data.length]);
        }
        // And git's own hashing agrees with ours.
        const blob = await store.get('notes.md');
        expect((await git(['hash-object', '--stdin'], { input: blob.data })).toString().trim()).toBe(blob.commit.data);
        // The store itself is not a git repository (no HEAD, no refs), so git gc cannot be pointed at it by accident.
        await expect(git(['--git-dir', dir, 'rev-parse', '--git-dir'])).rejects.toThrow();
      } finally {
        await scratch.remove();
      }
    });
  });
});
