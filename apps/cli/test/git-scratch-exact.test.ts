import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { runGit, storeFolderOf, withGitScratchRepo } from '../src/git-scratch.js';
import type { CliIo } from '../src/io.js';
import { gitty } from './cli-process.js';

// git-scratch.ts in the test process with real git: the environment runGit gives git (the
// run's own environment, no system config, gc.auto=0 from the command line), an input git
// does not read, an exit by signal, and which folder of a store git is pointed at.

let dir: string;
let remove: () => Promise<void>;
let store: string;

beforeAll(async () => {
  ({ dir, remove } = await tempDir('gitty-cli-git-scratch-'));
  store = path.join(dir, 'store');
  expect((await gitty(['--store', store, 'put', 'a.txt', '-'], { input: 'hello\n' })).code).toBe(0);
});
afterAll(async () => remove());

/** runGit over a scratch repository of the store, with its own streams and `env`. */
async function git(args: string[], env: NodeJS.ProcessEnv, input: string | Uint8Array = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const io: CliIo = {
    stdin: Readable.from([Buffer.from(input)]),
    stdout: { write: (chunk: string | Uint8Array) => out.push(Buffer.from(chunk)) > 0 },
    stderr: { write: (chunk: string | Uint8Array) => err.push(Buffer.from(chunk)) > 0 },
    env,
  };
  const code = await withGitScratchRepo(store, (gitDir) => runGit(gitDir, args, io));
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('runGit', () => {
  it('sets gc.auto=0 on git\'s command line, on top of the scratch repository\'s config', async () => {
    const shown = await git(['config', '--show-scope', '--get-all', 'gc.auto'], { PATH: process.env.PATH });
    expect(shown).toEqual({ code: 0, stdout: 'local\t0\ncommand\t0\n', stderr: '' });
  });

  it('passes the run\'s environment on, and ignores the system config', async () => {
    const system = path.join(dir, 'system-gitconfig');
    await writeFile(system, '[gitty]\n\tprobe = from-system\n');
    const env = { PATH: process.env.PATH, GIT_CONFIG_SYSTEM: system, GIT_AUTHOR_NAME: 'Zed Example', GIT_AUTHOR_EMAIL: 'zed@example.org' };
    expect(await git(['config', '--get', 'gitty.probe'], env)).toEqual({ code: 1, stdout: '', stderr: '' });
    const ident = await git(['var', 'GIT_AUTHOR_IDENT'], env);
    expect([ident.code, ident.stderr]).toEqual([0, '']);
    expect(ident.stdout).toMatch(/^Zed Example <zed@example\.org> \d+ [+-]\d{4}\n$/);
  });

  it('pipes the run\'s stdin to git', async () => {
    const shown = await git(['hash-object', '--stdin'], { PATH: process.env.PATH }, 'from stdin\n');
    expect(shown).toEqual({ code: 0, stdout: `${hashObject('blob', new TextEncoder().encode('from stdin\n'))}\n`, stderr: '' });
  });

  it('ignores EPIPE when git exits without reading its input', async () => {
    const big = Buffer.alloc(4 << 20, 0x61);
    const shown = await git(['--version'], { PATH: process.env.PATH }, big);
    expect([shown.code, shown.stdout.startsWith('git version '), shown.stderr]).toEqual([0, true, '']);
  });

  it('is GIT_FAILED when git cannot be started', async () => {
    await expect(git(['--version'], { PATH: '/nonexistent-gitty-path' })).rejects.toMatchObject({
      name: 'CliError', code: 'GIT_FAILED', message: 'Cannot run git: spawn git ENOENT', hint: 'install git 2.x and put it on PATH',
    });
  });

  it('gives 128 for a git killed by a signal', async () => {
    const shown = await git(['-c', 'alias.die=!kill -KILL $PPID', 'die'], { PATH: process.env.PATH });
    expect(shown).toEqual({ code: 128, stdout: '', stderr: '' });
  });
});

describe('storeFolderOf', () => {
  it('takes the first folder with an objects folder (not an objects file)', async () => {
    const none = path.join(dir, 'none');
    const file = path.join(dir, 'file');
    const good = path.join(dir, 'good');
    const also = path.join(dir, 'also');
    await mkdir(none, { recursive: true });
    await mkdir(file, { recursive: true });
    await writeFile(path.join(file, 'objects'), 'not a folder');
    await mkdir(path.join(good, 'objects'), { recursive: true });
    await mkdir(path.join(also, 'objects'), { recursive: true });
    expect(await storeFolderOf([path.join(dir, 'missing'), none, file, good, also])).toBe(good);
    expect(await storeFolderOf([also, good])).toBe(also);
    await expect(storeFolderOf([none, file])).rejects.toMatchObject({
      name: 'CliError', code: 'GIT_FAILED', message: 'This store has no objects folder for git to read', hint: 'use a store on disk (files or packs driver, or sqlite over one)',
    });
    await expect(storeFolderOf([])).rejects.toMatchObject({ code: 'GIT_FAILED', message: 'This store has no objects folder for git to read' });
  });
});
