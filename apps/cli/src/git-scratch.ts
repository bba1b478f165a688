import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { CliError } from './errors.js';
import { processIo, type CliIo } from './io.js';

/**
 * Run `work` with a temporary bare git repository whose `objects/info/alternates` names the
 * store's objects folder (the files driver's recipe), so real git reads the store but never
 * writes or prunes it: objects git writes land in the scratch repository, removed afterwards.
 * The store itself is deliberately not a git repository (git gc would delete every object no
 * git ref reaches).
 */
export async function withGitScratchRepo<T>(storeDir: string, work: (gitDir: string) => Promise<T>): Promise<T> {
  // Loaded on demand: only `gitty git` needs the files driver's recipe.
  const { createGitScratchRepo } = await import('@gitty/driver-files');
  const scratch = await createGitScratchRepo(storeDir);
  try {
    return await work(scratch.gitDir);
  } finally {
    await scratch.remove();
  }
}

/** The first store directory that has an `objects` folder. */
export async function storeFolderOf(dirs: readonly string[]): Promise<string> {
  for (const dir of dirs) {
    if ((await stat(path.join(dir, 'objects')).catch(() => undefined))?.isDirectory()) return dir;
  }
  throw new CliError('GIT_FAILED', 'This store has no objects folder for git to read', 'use a store on disk (files or packs driver, or sqlite over one)');
}

/**
 * Run git against a scratch repository; resolves with git's exit status. The process's own
 * standard streams are handed to git as they are (a terminal stays a terminal); the streams of
 * a run given others (see {@link CliIo}) are piped.
 */
export function runGit(gitDir: string, args: readonly string[], io: CliIo = processIo()): Promise<number> {
  return new Promise((resolve, reject) => {
    const stdin = io.stdin === process.stdin ? 'inherit' : 'pipe';
    const stdout = io.stdout === process.stdout ? 'inherit' : 'pipe';
    const stderr = io.stderr === process.stderr ? 'inherit' : 'pipe';
    const child = spawn('git', [`--git-dir=${gitDir}`, ...args], {
      stdio: [stdin, stdout, stderr],
      // Auto-gc off: harmless to the store either way (git never prunes alternates), but pointless work.
      env: { ...io.env, GIT_DIR: gitDir, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'gc.auto', GIT_CONFIG_VALUE_0: '0' },
    });
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // git may exit without reading its input (EPIPE)
      Readable.from(io.stdin).pipe(child.stdin);
    }
    child.stdout?.on('data', (chunk: Buffer) => io.stdout.write(chunk));
    child.stderr?.on('data', (chunk: Buffer) => io.stderr.write(chunk));
    child.on('error', (err) => reject(new CliError('GIT_FAILED', `Cannot run git: ${err.message}`, 'install git 2.x and put it on PATH')));
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
