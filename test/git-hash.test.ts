import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';
import { git, tempDir } from '@gitty/driver-test/harness';

/** Real git's hashes for many files in one `git hash-object` process. */
async function gitHashes(dir: string, contents: Uint8Array[], typeArgs: string[] = []): Promise<string[]> {
  const files: string[] = [];
  for (const [i, bytes] of contents.entries()) {
    const file = path.join(dir, `f${files.length}-${i}`);
    await writeFile(file, bytes);
    files.push(file);
  }
  return (await git(['hash-object', '--no-filters', ...typeArgs, ...files])).toString('utf8').trim().split('\n');
}

describe('objects written through the core hash exactly as git hashes them', () => {
  it('blobs of versions and raw saves equal git hash-object; commit bodies equal git hash-object -t commit', async () => {
    const { dir, remove } = await tempDir('gitty-githash-');
    const store = await openStore({ driver: 'memory' });
    try {
      const samples = fc.sample(fc.uint8Array({ maxLength: 4000 }), { numRuns: 60, seed: 20261123 });
      const texts = ['', 'hello\n', 'crlf\r\n', '\uFEFFbom', 'ünïcödé 🦉\n', 'no newline'];
      const blobs = [...samples, ...texts.map((t) => new TextEncoder().encode(t))];
      const written: string[] = [];
      const commits: string[] = [];
      for (const [i, bytes] of blobs.entries()) {
        if (i % 2) {
          written.push(await store.save(bytes));
        } else {
          const c = await store.create(`file${i}.bin`, bytes);
          written.push(c.data);
          commits.push(c.commit);
        }
      }
      expect(written).toEqual(await gitHashes(dir, blobs));
      const bodies = await Promise.all(commits.map(async (h) => (await store.load(h)).data));
      expect(commits).toEqual(await gitHashes(dir, bodies, ['-t', 'commit', '--literally']));
    } finally {
      await store.close();
      await remove();
    }
  });
});
