// createGitScratchRepo edges the fa mutation run found untested: creating into a folder that
// already holds a scratch repository, and removing one twice.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createGitScratchRepo } from '@gitty/driver-files';
import { withStoreDir } from './support.js';

describe('createGitScratchRepo', () => {
  it('creates into a folder that already holds a scratch repository (every folder may exist), and git reads the store through it', async () => {
    await withStoreDir(async (dir, open) => {
      const store = await open();
      const a = await store.create('a.txt', 'hello\n');
      const into = path.join(dir, '..', `${path.basename(dir)}-again`);
      const first = await createGitScratchRepo(dir, into);
      try {
        const second = await createGitScratchRepo(dir, into);
        expect(second.gitDir).toBe(first.gitDir);
        expect((await readdir(path.join(into, 'refs'))).sort()).toEqual(['heads', 'tags']);
        expect(await readFile(path.join(into, 'objects', 'info', 'alternates'), 'utf8')).toBe(`${path.join(dir, 'objects')}\n`);
        expect(execFileSync('git', [`--git-dir=${into}`, 'cat-file', '-p', a.data], { encoding: 'utf8' })).toBe('hello\n');
      } finally {
        await first.remove();
      }
    });
  });

  it('remove is idempotent: a scratch repository already gone is no error', async () => {
    await withStoreDir(async (dir) => {
      const scratch = await createGitScratchRepo(dir);
      await scratch.remove();
      await expect(scratch.remove()).resolves.toBeUndefined();
      await expect(readdir(scratch.gitDir)).rejects.toMatchObject({ code: 'ENOENT' });
    });
  });

  it('makes a new temp folder named gitty-git-… inside the system temp folder, whose git config turns automatic gc off', async () => {
    await withStoreDir(async (dir) => {
      const scratch = await createGitScratchRepo(dir);
      try {
        expect(path.dirname(scratch.gitDir)).toBe(os.tmpdir());
        expect(path.basename(scratch.gitDir)).toMatch(/^gitty-git-.{6}$/);
        // git reads the settings back: a bare repository that never collects garbage on its own.
        const get = (key: string) => execFileSync('git', [`--git-dir=${scratch.gitDir}`, 'config', '--get', key], { encoding: 'utf8' }).trim();
        expect([get('core.bare'), get('gc.auto'), get('core.repositoryformatversion')]).toEqual(['true', '0', '0']);
      } finally {
        await scratch.remove();
      }
    });
  });
});
