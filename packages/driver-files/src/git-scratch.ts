import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { storeLayout } from './files-driver.js';

/** A scratch bare git repository that reads a store's objects through alternates. */
export interface GitScratchRepo {
  /** Pass as `git --git-dir=<gitDir> …`. */
  gitDir: string;
  /** Delete the scratch repository (never the store). */
  remove(): Promise<void>;
}

/**
 * Create a scratch bare repository whose `objects/info/alternates` names `<storeDir>/objects`,
 * so real git can read every loose object of the store (`cat-file -p`, `cat-file
 * --batch-all-objects --batch-check`). A store is deliberately not a git repository: git's gc
 * deletes every object no ref reaches, which is every gitty object. The scratch repository
 * has `gc.auto = 0`, and git never prunes objects it borrows through alternates; still, never
 * run `git gc`, `git prune` or `git repack -a -d` with `--git-dir` pointing at a store.
 *
 * `into` is the folder to create (default: a new temp folder).
 */
export async function createGitScratchRepo(storeDir: string, into?: string): Promise<GitScratchRepo> {
  const gitDir = into ? path.resolve(into) : await mkdtemp(path.join(os.tmpdir(), 'gitty-git-'));
  await mkdir(path.join(gitDir, 'objects', 'info'), { recursive: true });
  await mkdir(path.join(gitDir, 'refs', 'heads'), { recursive: true });
  await mkdir(path.join(gitDir, 'refs', 'tags'), { recursive: true });
  await writeFile(path.join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
  await writeFile(
    path.join(gitDir, 'config'),
    '[core]\n\trepositoryformatversion = 0\n\tbare = true\n[gc]\n\tauto = 0\n',
  );
  await writeFile(path.join(gitDir, 'objects', 'info', 'alternates'), `${storeLayout(path.resolve(storeDir)).objects}\n`);
  return { gitDir, remove: () => rm(gitDir, { recursive: true, force: true }) };
}
