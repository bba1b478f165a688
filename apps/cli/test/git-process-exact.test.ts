import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

// import/git-process.ts against real git: the environment its children get (taken from the
// process when the module loads: what it keeps, what it removes so `-C repo` decides the
// repository), runGit's closed stdin, git that cannot start, GitChild's bounded stderr, an
// ignored EPIPE, a rejection nobody waits for yet, and a command without arguments.

type GitProcess = typeof import('../src/import/git-process.js');

const dirs: string[] = [];
const savedEnv = { ...process.env };

afterEach(async () => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
  vi.resetModules();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const GIT_ID = ['-c', 'user.name=T', '-c', 'user.email=t@x'];

function git(repo: string, ...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...GIT_ID, ...args], { encoding: 'utf8', env: { ...savedEnv, GIT_DIR: undefined } }).trim();
}

/** A repository with one commit holding one file; its path and the commit's hash. */
async function repo(label: string): Promise<{ dir: string; head: string; blob: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), `gitty-git-process-${label}-`));
  dirs.push(dir);
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  execFileSync('sh', ['-c', `printf '${label}\\n' > "${dir}/f.txt"`]);
  git(dir, 'add', 'f.txt');
  git(dir, 'commit', '-q', '-m', label);
  return { dir, head: git(dir, 'rev-parse', 'HEAD'), blob: git(dir, 'rev-parse', 'HEAD:f.txt') };
}

/** git-process.ts loaded afresh, with `env` in the process environment while it loads. */
async function loadWith(env: Record<string, string>): Promise<GitProcess> {
  Object.assign(process.env, env);
  vi.resetModules();
  const module = await import('../src/import/git-process.js');
  for (const key of Object.keys(env)) {
    if (key in savedEnv) process.env[key] = savedEnv[key];
    else delete process.env[key];
  }
  return module;
}

const out = async (result: Promise<{ code: number | null; stdout: Buffer; stderr: string }>) => {
  const r = await result;
  return { code: r.code, stdout: r.stdout.toString().trim(), stderr: r.stderr };
};

describe('the environment of git children', () => {
  it('drops every variable that would name another repository, index, object folder or namespace', async () => {
    const target = await repo('target');
    const decoy = await repo('decoy');
    const { runGit } = await loadWith({
      GIT_DIR: path.join(decoy.dir, '.git'),
      GIT_WORK_TREE: decoy.dir,
      GIT_COMMON_DIR: path.join(decoy.dir, '.git'),
      GIT_INDEX_FILE: path.join(decoy.dir, 'no-such-index'),
      GIT_OBJECT_DIRECTORY: path.join(decoy.dir, 'no-such-objects'),
      GIT_ALTERNATE_OBJECT_DIRECTORIES: path.join(decoy.dir, '.git', 'objects'),
      GIT_NAMESPACE: 'elsewhere',
    });
    expect(await out(runGit(target.dir, ['rev-parse', '--git-dir', '--git-common-dir', '--show-toplevel', 'HEAD']))).toEqual({
      code: 0, stdout: `.git\n.git\n${target.dir}\n${target.head}`, stderr: '',
    });
    // The index: the file is listed (a missing index file lists nothing).
    expect(await out(runGit(target.dir, ['ls-files']))).toEqual({ code: 0, stdout: 'f.txt', stderr: '' });
    // Objects: the repository's own are found, the decoy's (an alternate) are not.
    expect(await out(runGit(target.dir, ['cat-file', '-p', target.blob]))).toEqual({ code: 0, stdout: 'target', stderr: '' });
    expect((await runGit(target.dir, ['cat-file', '-e', decoy.blob])).code).toBe(1);
    // The namespace: upload-pack advertises the repository's own refs, not those of refs/namespaces/elsewhere.
    const advertised = (await runGit(target.dir, ['upload-pack', '--advertise-refs', '.'])).stdout.toString();
    expect(advertised).toContain(`${target.head} refs/heads/main\n`);
  });

  it('keeps the rest of the process environment (e.g. the author git reports)', async () => {
    const target = await repo('ident');
    const { runGit } = await loadWith({ GIT_AUTHOR_NAME: 'Zed Example', GIT_AUTHOR_EMAIL: 'zed@example.org' });
    const ident = await out(runGit(target.dir, ['var', 'GIT_AUTHOR_IDENT']));
    expect([ident.code, ident.stderr]).toEqual([0, '']);
    expect(ident.stdout).toMatch(/^Zed Example <zed@example\.org> \d+ [+-]\d{4}$/);
  });

  it('reports GIT_FAILED when git cannot be started, from runGit and GitChild', async () => {
    const { runGit, GitChild } = await loadWith({ PATH: '/nonexistent-gitty-path' });
    const missing = { name: 'CliError', code: 'GIT_FAILED', message: 'Cannot run git: spawn git ENOENT', hint: 'install git and make sure it is on the PATH' };
    await expect(runGit('.', ['--version'])).rejects.toMatchObject(missing);
    const child = new GitChild('.', ['log']);
    // Nobody waits on it yet: its failure must not be an unhandled rejection meanwhile.
    await new Promise((resolve) => child.process.on('close', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(child.finished()).rejects.toMatchObject(missing);
    await child.stop();
  });
});

describe('runGit', () => {
  it('closes git\'s stdin: a command reading it sees an empty input', async () => {
    const { runGit } = await loadWith({});
    expect(await out(runGit('.', ['hash-object', '--stdin']))).toEqual({ code: 0, stdout: 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391', stderr: '' });
    expect(await out(runGit('.', ['cat-file', '--batch']))).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});

describe('GitChild', () => {
  it('keeps only the start of a runaway stderr', async () => {
    const { GitChild } = await loadWith({});
    // 300,000 bytes on stderr: a line of 99 x's, then more lines, in many pipe chunks.
    const child = new GitChild('.', ['-c', `alias.noise=!yes ${'x'.repeat(99)} | head -c 300000 >&2; exit 3`, 'noise']);
    await expect(child.finished()).rejects.toMatchObject({ code: 'GIT_FAILED', message: `git -c failed (exit 3): ${'x'.repeat(99)}` });
    const kept = (child as unknown as { stderr: string }).stderr.length;
    expect(kept).toBeGreaterThanOrEqual(4096);
    expect(kept).toBeLessThan(4096 + 65_536);
  });

  it('ignores EPIPE on stdin once git has exited', async () => {
    const { GitChild } = await loadWith({});
    // More than a pipe holds, written to a git that never reads it: the rest meets EPIPE.
    const child = new GitChild('.', ['--version']);
    child.process.stdin.write(Buffer.alloc(4 << 20, 0x61));
    await once(child.process, 'close');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(child.finished()).resolves.toBeUndefined();
  });

  it('names no command for a run without arguments', async () => {
    const { GitChild } = await loadWith({});
    const child = new GitChild('.', []);
    await expect(child.finished()).rejects.toMatchObject({ code: 'GIT_FAILED', message: 'git  failed (exit 1): ' });
  });
});
