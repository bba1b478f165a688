import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';

/** A throw-away bare git repository that reads a store's objects through alternates. */
export interface GitScratchRepo {
  /** The scratch repository (pass as `--git-dir`). */
  gitDir: string;
  /** Remove the scratch repository (never touches the store). */
  remove(): Promise<void>;
}

/**
 * Make a scratch bare repository whose `objects/info/alternates` names `<storeDir>/objects`,
 * so real git can read (`cat-file`, `verify-pack`, `rev-list --all --objects`…) a store's
 * loose objects and packs. Never run `git gc`/`prune` on a repository that holds a store's
 * objects: no git ref can reach a gitty commit, so git would delete them all. The scratch repo
 * is safe — git never deletes objects it only borrows through alternates.
 */
export async function createGitScratchRepo(storeDir: string): Promise<GitScratchRepo> {
  const gitDir = await mkdtemp(path.join(os.tmpdir(), 'gitty-git-'));
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['init', '--bare', '-q', gitDir], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git init failed (${code})`))));
  });
  await writeFile(path.join(gitDir, 'objects', 'info', 'alternates'), path.resolve(storeDir, 'objects') + '\n');
  return { gitDir, remove: () => rm(gitDir, { recursive: true, force: true }) };
}
