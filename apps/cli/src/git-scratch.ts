import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './errors.js';

/**
 * A temporary bare git repository whose `objects/info/alternates` names a store's objects
 * folder, so real git can read (never write or prune) the store: objects git writes land in
 * the scratch repository, which is removed afterwards; auto-gc is off. The store itself is
 * deliberately not a git repository (git gc would delete every object no git ref reaches).
 */
export async function withGitScratchRepo<T>(storeObjects: string, work: (gitDir: string) => Promise<T>): Promise<T> {
  const gitDir = await mkdtemp(path.join(os.tmpdir(), 'gitty-git-'));
  try {
    for (const sub of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags']) await mkdir(path.join(gitDir, sub), { recursive: true });
    await writeFile(path.join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(path.join(gitDir, 'config'), '[core]\n\trepositoryformatversion = 0\n\tbare = true\n[gc]\n\tauto = 0\n');
    await writeFile(path.join(gitDir, 'objects/info/alternates'), `${path.resolve(storeObjects)}\n`);
    return await work(gitDir);
  } finally {
    await rm(gitDir, { recursive: true, force: true });
  }
}

/** The `objects` folder of the first store directory that has one. */
export async function objectsFolderOf(dirs: readonly string[]): Promise<string> {
  for (const dir of dirs) {
    const objects = path.join(dir, 'objects');
    if ((await stat(objects).catch(() => undefined))?.isDirectory()) return objects;
  }
  throw new CliError('This store has no objects folder for git to read', 'use a store on disk (files or packs driver, or sqlite over one)');
}

/** Run git against a scratch repository with inherited stdio; resolves with git's exit status. */
export function runGit(gitDir: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', [`--git-dir=${gitDir}`, ...args], {
      stdio: 'inherit',
      env: { ...process.env, GIT_DIR: gitDir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' },
    });
    child.on('error', (err) => reject(new CliError(`Cannot run git: ${err.message}`, 'install git 2.x and put it on PATH')));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
