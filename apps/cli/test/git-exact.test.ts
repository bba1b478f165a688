import { stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty, type CliResult } from './cli-process.js';

// `gitty git` in the test process: real git over a scratch repository whose alternates name
// the store's objects; git's streams are piped through the run's own stdin, stdout and stderr.

function shown(result: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe('gitty git (in-process)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let s: string[];
  let blob: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-git-exact-'));
    s = ['--store', path.join(dir, 'store')];
    blob = (await gitty([...s, '--json', 'put', 'a.txt', '-'], { input: 'hello\n' })).json<{ commit: { data: string } }>().commit.data;
  });
  afterAll(async () => remove());

  it('runs git on the store\'s objects: stdout, stderr and exit status as git gives them', async () => {
    expect(shown(await gitty([...s, 'git', 'cat-file', '-p', blob]))).toEqual({ code: 0, stdout: 'hello\n', stderr: '' });
    expect(shown(await gitty([...s, 'git', 'cat-file', '-t', blob]))).toEqual({ code: 0, stdout: 'blob\n', stderr: '' });
    const missing = 'f'.repeat(40);
    // git's wording varies between versions: one fatal line, passed through as git wrote it.
    expect(shown(await gitty([...s, 'git', 'cat-file', '-t', missing]))).toEqual({ code: 128, stdout: '', stderr: expect.stringMatching(/^fatal: [^\n]+\n$/) });
  });

  it('pipes the run\'s stdin to git, sets gc.auto=0, and removes the scratch repository afterwards', async () => {
    expect(shown(await gitty([...s, 'git', 'hash-object', '--stdin'], { input: 'from stdin\n' }))).toEqual({ code: 0, stdout: `${hashObject('blob', new TextEncoder().encode('from stdin\n'))}\n`, stderr: '' });
    expect(shown(await gitty([...s, 'git', 'config', '--get', 'gc.auto']))).toEqual({ code: 0, stdout: '0\n', stderr: '' });
    const gitDir = await gitty([...s, 'git', 'rev-parse', '--absolute-git-dir']);
    expect(gitDir.stdout).toMatch(new RegExp(`^${os.tmpdir()}/gitty-git-[A-Za-z0-9]{6}\n$`));
    await expect(stat(gitDir.stdout.trim())).rejects.toMatchObject({ code: 'ENOENT' }); // removed after git ended
  });

  it('refuses no command, shows its own help for --help and -h, and leaves `<command> --help` to git', async () => {
    expect(shown(await gitty([...s, 'git']))).toEqual({ code: 2, stdout: '', stderr: 'gitty: No git command given — e.g. `gitty git cat-file -p <hash>` or `gitty git verify-pack -v <pack>.idx`\n' });
    for (const flag of ['--help', '-h']) {
      const help = await gitty([...s, 'git', flag]);
      expect([help.code, help.stderr]).toEqual([0, '']);
      expect(help.stdout.split('\n')[0]).toBe('Usage: gitty git [args...]');
      expect(help.stdout.endsWith('\ngit\'s own help: `gitty git help <command>` or `gitty git <command> -h`.\n')).toBe(true);
    }
    const own = await gitty([...s, 'git', 'cat-file', '-h']);
    expect(own.code).toBe(129);
    expect(own.stdout + own.stderr).toMatch(/^usage: git cat-file /);
  });

  it('says GIT_FAILED when the store has no objects folder or git cannot be run', async () => {
    const config = path.join(dir, 'memory.json');
    await writeFile(config, JSON.stringify({ driver: 'memory' }));
    expect(shown(await gitty(['--config', config, 'git', 'cat-file', '-p', blob]))).toEqual({
      code: 1, stdout: '', stderr: 'gitty: This store has no objects folder for git to read — use a store on disk (files or packs driver, or sqlite over one)\n',
    });
    expect(shown(await gitty([...s, 'git', 'cat-file', '-p', blob], { env: { PATH: path.join(dir, 'no-bin') } }))).toEqual({
      code: 1, stdout: '', stderr: 'gitty: Cannot run git: spawn git ENOENT — install git 2.x and put it on PATH\n',
    });
  });
});
