import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { git, tempDir } from '@gitty/driver-test/harness';
import { LockTimeoutError, openStore, registerDriver, resolveDriverFactory, type Commit, type HeadChange, type ObjectBatchOptions, type ProgressListener } from '@gitty/core';
import { PassThroughDriver } from '@gitty/driver-test';
import { registerBuiltinDrivers } from '../src/drivers.js';
import { runCli } from '../src/cli.js';
import { gitty, type CliResult } from './cli-process.js';
import { openFilesStore } from './raw-store.js';
import { terminal } from './support/terminal.js';

// `gitty import` (folder and --git) in the test process: exact stdout, stderr, JSON, exit codes
// and what lands in the store. Every test imports into a store of its own (a mutation run
// executes only the tests reaching a mutant, so no test relies on another).

let root: { dir: string; remove: () => Promise<void> };
/** A small git repository: see beforeAll. */
let repo: string;
const tips: Record<string, string> = {};

const GIT_ENV = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };

async function inRepo(dir: string, args: readonly string[], who = 'Alice <alice@example.org>', time = 1_700_000_000): Promise<string> {
  const [, name = '', email = ''] = /^(.*) <(.*)>$/.exec(who) ?? [];
  const env = {
    ...process.env, ...GIT_ENV,
    GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: `@${time} +0100`,
    GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@example.org', GIT_COMMITTER_DATE: `@${time} +0000`,
  };
  return (await git(['-C', dir, ...args], { env })).toString('utf8').trim();
}

async function put(dir: string, file: string, data: string): Promise<void> {
  await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
  await writeFile(path.join(dir, file), data);
}

function ok(result: CliResult, stdout: string, stderr = ''): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout, stderr });
}

function failed(result: CliResult, code: number, stderr: string, stdout = ''): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code, stdout, stderr });
}

async function storeFiles(store: string): Promise<Record<string, string>> {
  const opened = await openFilesStore(store);
  try {
    const out: Record<string, string> = {};
    for await (const entry of opened.files()) out[entry.name] = (await opened.get(entry.name)).text;
    return out;
  } finally {
    await opened.close();
  }
}

async function history(store: string, name: string): Promise<Commit[]> {
  const opened = await openFilesStore(store);
  try {
    return (await opened.history(name, { depth: 100 })).history;
  } finally {
    await opened.close();
  }
}

/** This process's children that are git (a `git log` or `git cat-file` left running). */
async function gitChildren(): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((name) => /^\d+$/.test(name))) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // "<pid> (<comm>) <state> <ppid> …"; comm may hold spaces, so split after its last ")".
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid === process.pid && comm === 'git') found.push(pid);
  }
  return found;
}

beforeAll(async () => {
  root = await tempDir('gitty-import-exact-');
  // main: c1 adds a.txt, dir/b.txt, gone.txt, two symbolic links and a submodule entry; c2 edits
  // a.txt and deletes gone.txt. feature (from c1) adds f.txt. HEAD stays on main.
  repo = path.join(root.dir, 'repo');
  await mkdir(repo);
  await inRepo(repo, ['init', '-q', '-b', 'main']);
  await put(repo, 'a.txt', 'a1\n');
  await put(repo, 'dir/b.txt', 'b1\n');
  await put(repo, 'gone.txt', 'g\n');
  await symlink('a.txt', path.join(repo, 'link'));
  await symlink('dir', path.join(repo, 'link-to-dir'));
  await inRepo(repo, ['add', '-A']);
  await inRepo(repo, ['update-index', '--add', '--cacheinfo', `160000,${'1'.repeat(40)},sub`]);
  await inRepo(repo, ['commit', '-q', '-m', 'first\n\nbody'], 'Alice <alice@example.org>', 1_700_000_000);
  tips.c1 = await inRepo(repo, ['rev-parse', 'HEAD']);
  await inRepo(repo, ['checkout', '-q', '-b', 'feature']);
  await put(repo, 'f.txt', 'f\n');
  await inRepo(repo, ['add', '-A']);
  await inRepo(repo, ['commit', '-q', '-m', 'feature'], 'Carol <carol@example.org>', 1_700_000_050);
  tips.feature = await inRepo(repo, ['rev-parse', 'HEAD']);
  await inRepo(repo, ['checkout', '-q', 'main']);
  await put(repo, 'a.txt', 'a2\n');
  await inRepo(repo, ['rm', '-q', 'gone.txt']);
  await inRepo(repo, ['commit', '-q', '-a', '-m', 'second'], 'Bob <bob@example.org>', 1_700_000_100);
  tips.main = await inRepo(repo, ['rev-parse', 'HEAD']);
});

afterAll(async () => {
  await root.remove();
});

describe('gitty import --git: output', () => {
  it('prints what it imported, deleted and skipped, and imports versions with each commit\'s author, time and message', async () => {
    const store = path.join(root.dir, 'git-text');
    ok(
      await gitty(['--store', store, 'import', '--git', repo]),
      `imported 4 versions of 3 files from 2 commits of main (${tips.main!.slice(0, 10)}), 8 new objects\n`
      + 'deleted 1 files that are gone at the tip (their history stays until `gitty gc`; --keep-deleted keeps them)\n'
      + 'skipped 2 symbolic links, 1 submodules\n',
    );
    expect(await storeFiles(store)).toEqual({ 'a.txt': 'a2\n', 'dir:b.txt': 'b1\n' });
    expect(await gitChildren()).toEqual([]); // git log and git cat-file ended with the import
    const a = await history(store, 'a.txt');
    expect(a.map((c) => [c.author, c.email, c.time, c.commit_message])).toEqual([
      ['Bob', 'bob@example.org', 1_700_000_100, 'second'],
      ['Alice', 'alice@example.org', 1_700_000_000, 'first\n\nbody'],
    ]);
  });

  it('reports the same as JSON: counts, heads, deleted, kept, skipped', async () => {
    const store = path.join(root.dir, 'git-json');
    const result = await gitty(['--store', store, '--json', 'import', '--git', repo]);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const report = result.json<{ heads: Record<string, string>; deleted: string[] }>();
    const opened = await openFilesStore(store);
    try {
      expect(report).toEqual({
        source: repo, branch: 'main', tip: tips.main, commits: 2, versions: 4, files: 3, objects: 8,
        heads: { 'a.txt': (await opened.history('a.txt')).history[0]!.commit, 'dir:b.txt': (await opened.head('dir:b.txt'))!, 'gone.txt': report.heads['gone.txt'] },
        deleted: ['gone.txt'], kept: [], changedMeanwhile: [],
        skipped: { symlinks: 2, submodules: 1, invalid: [] },
      });
      expect(await opened.head('gone.txt')).toBe(undefined);
      expect((await opened.commit(report.heads['gone.txt']!)).name).toBe('gone.txt');
    } finally {
      await opened.close();
    }
  });

  it('--keep-deleted keeps files gone at the tip and says so', async () => {
    const store = path.join(root.dir, 'git-kept');
    ok(
      await gitty(['--store', store, 'import', '--git', repo, '--keep-deleted']),
      `imported 4 versions of 3 files from 2 commits of main (${tips.main!.slice(0, 10)}), 8 new objects\n`
      + 'kept 1 files that are gone at the tip\n'
      + 'skipped 2 symbolic links, 1 submodules\n',
    );
    expect(await storeFiles(store)).toEqual({ 'a.txt': 'a2\n', 'dir:b.txt': 'b1\n', 'gone.txt': 'g\n' });
    const json = (await gitty(['--store', path.join(root.dir, 'git-kept-json'), '--json', 'import', '--git', repo, '--keep-deleted'])).json<{ deleted: string[]; kept: string[] }>();
    expect([json.deleted, json.kept]).toEqual([[], ['gone.txt']]);
    // Nothing gone at feature's tip: no "kept" line.
    ok(
      await gitty(['--store', path.join(root.dir, 'git-kept-none'), 'import', '--git', repo, '--branch', 'feature', '--keep-deleted']),
      `imported 4 versions of 4 files from 2 commits of feature (${tips.feature!.slice(0, 10)}), 8 new objects\nskipped 2 symbolic links, 1 submodules\n`,
    );
  });

  it('--branch names another branch or a commit; --prefix and --separator map the names', async () => {
    const store = path.join(root.dir, 'git-branch');
    ok(
      await gitty(['--store', store, 'import', '--git', repo, '--branch', 'feature', '--prefix', 'p~', '--separator', '-']),
      `imported 4 versions of 4 files from 2 commits of feature (${tips.feature!.slice(0, 10)}), 8 new objects\nskipped 2 symbolic links, 1 submodules\n`,
    );
    expect(await storeFiles(store)).toEqual({ 'p~a.txt': 'a1\n', 'p~dir-b.txt': 'b1\n', 'p~gone.txt': 'g\n', 'p~f.txt': 'f\n' });
    const byCommit = path.join(root.dir, 'git-commit');
    ok(
      await gitty(['--store', byCommit, 'import', '--git', repo, '--branch', tips.c1!.slice(0, 12)]),
      `imported 3 versions of 3 files from 1 commits of ${tips.c1!.slice(0, 12)} (${tips.c1!.slice(0, 10)}), 6 new objects\nskipped 2 symbolic links, 1 submodules\n`,
    );
  });

  it('--dry-run lists the names and counts and writes nothing', async () => {
    const store = path.join(root.dir, 'git-dry');
    ok(
      await gitty(['--store', store, 'import', '--git', repo, '--dry-run', '--separator', '__']),
      'would import 4 versions of 3 files from 2 commits of main:\n  a.txt\n  dir/b.txt → dir__b.txt\n  gone.txt\n',
    );
    const json = await gitty(['--store', store, '--json', 'import', '--git', repo, '--dry-run', '--prefix', 'x:']);
    expect(json.json()).toEqual({
      source: repo, branch: 'main', tip: tips.main, commits: 2, versions: 4, files: 3, objects: 0, heads: {}, deleted: [], kept: [], changedMeanwhile: [],
      skipped: { symlinks: 2, submodules: 1, invalid: [] }, dryRun: true, names: { 'a.txt': 'x:a.txt', 'dir/b.txt': 'x:dir:b.txt', 'gone.txt': 'x:gone.txt' },
    });
    await expect(readdir(store)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('imports a detached HEAD as the commit it points at', async () => {
    const detached = path.join(root.dir, 'detached');
    await git(['clone', '-q', repo, detached]);
    await git(['-C', detached, 'checkout', '-q', '--detach', tips.c1!]);
    const store = path.join(root.dir, 'git-detached');
    ok(
      await gitty(['--store', store, 'import', '--git', detached]),
      `imported 3 versions of 3 files from 1 commits of HEAD (${tips.c1!.slice(0, 10)}), 6 new objects\nskipped 2 symbolic links, 1 submodules\n`,
    );
  });
});

describe('gitty import --git: refusals', () => {
  it('refuses a path that is no folder, a folder that is no repository, and a folder inside one', async () => {
    const store = path.join(root.dir, 'git-refusals');
    const file = path.join(root.dir, 'plain-file');
    await writeFile(file, 'x');
    failed(await gitty(['--store', store, 'import', '--git', file]), 1, `gitty: ${file} is not a folder — give the folder of a git repository\n`);
    failed(await gitty(['--store', store, 'import', '--git', path.join(root.dir, 'nowhere')]), 1, `gitty: ${path.join(root.dir, 'nowhere')} is not a folder — give the folder of a git repository\n`);
    const plain = path.join(root.dir, 'plain-folder');
    await mkdir(plain);
    failed(
      await gitty(['--store', store, 'import', '--git', plain]),
      1,
      `gitty: ${plain} is not a git repository (fatal: not a git repository (or any of the parent directories): .git) — give the top folder of a git repository (or a bare one)\n`,
    );
    expect((await gitty(['--store', store, '--json', 'import', '--git', file])).json<{ error: { code: string } }>().error.code).toBe('NOT_A_REPOSITORY');
    expect((await gitty(['--store', store, '--json', 'import', '--git', plain])).json<{ error: { code: string } }>().error.code).toBe('NOT_A_REPOSITORY');
    expect((await gitty(['--store', store, '--json', 'import', '--git', path.join(repo, 'dir')])).json<{ error: { code: string } }>().error.code).toBe('NOT_A_REPOSITORY');
    const inside = path.join(repo, 'dir');
    failed(
      await gitty(['--store', store, 'import', '--git', inside]),
      1,
      `gitty: ${inside} is a folder inside the git repository ${repo}, not its top — import the whole repository: gitty import --git ${repo}\n`,
    );
    await expect(readdir(store)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('imports a bare repository', async () => {
    const bare = path.join(root.dir, 'bare.git');
    await git(['clone', '-q', '--bare', repo, bare]);
    const store = path.join(root.dir, 'git-bare');
    ok(
      await gitty(['--store', store, 'import', '--git', bare, '--keep-deleted']),
      `imported 4 versions of 3 files from 2 commits of main (${tips.main!.slice(0, 10)}), 8 new objects\nkept 1 files that are gone at the tip\nskipped 2 symbolic links, 1 submodules\n`,
    );
  });

  it('names the branches when the branch is missing, or says there are no commits', async () => {
    const store = path.join(root.dir, 'git-no-branch');
    failed(await gitty(['--store', store, 'import', '--git', repo, '--branch', 'nope']), 1, `gitty: ${repo} has no branch or commit "nope" — its branches: feature, main\n`);
    expect((await gitty(['--store', store, '--json', 'import', '--git', repo, '--branch', 'nope'])).json<{ error: { code: string } }>().error.code).toBe('BRANCH_NOT_FOUND');
    const empty = path.join(root.dir, 'empty-repo');
    await mkdir(empty);
    await git(['-C', empty, 'init', '-q', '-b', 'trunk']);
    failed(await gitty(['--store', store, 'import', '--git', empty]), 1, `gitty: ${empty} has no branch or commit "trunk" — the repository has no commits yet\n`);
  });

  it('refuses --author and --message for a git import, and --branch, --keep-deleted, --append for a folder', async () => {
    const store = path.join(root.dir, 'git-usage');
    const gitOnly = 'gitty: --author and --message apply to folder imports — a git import keeps each commit\'s author and message\n';
    failed(await gitty(['--store', store, 'import', '--git', repo, '--author', 'me']), 2, gitOnly);
    failed(await gitty(['--store', store, 'import', '--git', repo, '-m', 'msg']), 2, gitOnly);
    const folderOnly = 'gitty: --branch, --keep-deleted and --append apply to git imports — add --git to import a git repository\'s history\n';
    for (const flag of [['--branch', 'main'], ['--keep-deleted'], ['--append']]) failed(await gitty(['--store', store, 'import', repo, ...flag]), 2, folderOnly);
    failed(await gitty(['--store', store, 'import', '--git', repo, '--separator', '']), 2, 'gitty: --separator must not be empty — the default separator is ":"\n');
    await expect(readdir(store)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses names the store already has (listing 20), and adds the history on top of them with --append', async () => {
    const many = path.join(root.dir, 'many-repo');
    await mkdir(many);
    await git(['-C', many, 'init', '-q', '-b', 'main']);
    for (let i = 0; i < 22; i++) await writeFile(path.join(many, `f${String(i).padStart(2, '0')}.txt`), `${i}\n`);
    await inRepo(many, ['add', '-A']);
    await inRepo(many, ['commit', '-q', '-m', 'many']);
    const store = path.join(root.dir, 'git-clash');
    const opened = await openFilesStore(store);
    try {
      for (let i = 0; i < 22; i++) await opened.create(`f${String(i).padStart(2, '0')}.txt`, 'mine\n');
      await opened.create('x:f00.txt', 'under a prefix\n');
    } finally {
      await opened.close();
    }
    const listed = Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`).join(', ');
    failed(
      await gitty(['--store', store, 'import', '--git', many]),
      1,
      `gitty: 22 file(s) to import already exist in the store: ${listed}, and 2 more — import under another --prefix, or pass --append to add the history on top of them; nothing was imported\n`,
    );
    failed(
      await gitty(['--store', store, 'import', '--git', many, '--prefix', 'x:']),
      1,
      'gitty: 1 file(s) to import already exist in the store: x:f00.txt — import under another --prefix, or pass --append to add the history on top of them; nothing was imported\n',
    );
    expect(Object.keys(await storeFiles(store))).toHaveLength(23);
    const asJson = await gitty(['--store', store, '--json', 'import', '--git', many, '--prefix', 'x:']);
    expect(asJson.json<{ error: { code: string } }>().error.code).toBe('FILE_EXISTS');
    // Exactly 20: all listed, no "and 0 more".
    const twenty = path.join(root.dir, 'git-clash-20');
    const opened20 = await openFilesStore(twenty);
    try {
      for (let i = 0; i < 20; i++) await opened20.create(`f${String(i).padStart(2, '0')}.txt`, 'mine\n');
    } finally {
      await opened20.close();
    }
    failed(
      await gitty(['--store', twenty, 'import', '--git', many]),
      1,
      `gitty: 20 file(s) to import already exist in the store: ${listed} — import under another --prefix, or pass --append to add the history on top of them; nothing was imported\n`,
    );
    const manyTip = await inRepo(many, ['rev-parse', 'HEAD']);
    // Nothing skipped, nothing gone: one line.
    ok(await gitty(['--store', store, 'import', '--git', many, '--append']), `imported 22 versions of 22 files from 1 commits of main (${manyTip.slice(0, 10)}), 44 new objects\n`);
    expect((await history(store, 'f21.txt')).map((c) => c.commit_message)).toEqual(['many', undefined]);
  });

  it('lists paths that make no name, or imports the rest with --skip-invalid and counts them', async () => {
    const bad = path.join(root.dir, 'bad-repo');
    await mkdir(bad);
    await git(['-C', bad, 'init', '-q', '-b', 'main']);
    await put(bad, 'a:b/c.txt', 'c\n');
    await put(bad, 'back\\slash.txt', 'b\n');
    await put(bad, 'fine.txt', 'fine\n');
    await inRepo(bad, ['add', '-A']);
    await inRepo(bad, ['commit', '-q', '-m', 'odd']);
    const tip = await inRepo(bad, ['rev-parse', 'HEAD']);
    const store = path.join(root.dir, 'git-invalid');
    failed(
      await gitty(['--store', store, 'import', '--git', bad]),
      1,
      'gitty: 2 path(s) cannot become gitty names with separator ":": "a:b/c.txt" (a folder or file name holds the separator ":", so the name could not be mapped back); "back\\\\slash.txt" (contains a control character, "/" or "\\") — choose another --separator, or pass --skip-invalid to import everything else; nothing was imported\n',
    );
    ok(
      await gitty(['--store', store, 'import', '--git', bad, '--skip-invalid']),
      `imported 1 versions of 1 files from 1 commits of main (${tip.slice(0, 10)}), 2 new objects\nskipped 2 invalid paths\n`,
    );
    const dry = await gitty(['--store', store, '--json', 'import', '--git', bad, '--skip-invalid', '--dry-run']);
    expect(dry.json<{ skipped: unknown }>().skipped).toEqual({
      symlinks: 0, submodules: 0,
      invalid: [{ path: 'a:b/c.txt', reason: 'a folder or file name holds the separator ":", so the name could not be mapped back' }, { path: 'back\\slash.txt', reason: 'contains a control character, "/" or "\\"' }],
    });
  });

  it('fails with GIT_FAILED when a blob is missing from the repository, moving no head', async () => {
    const broken = path.join(root.dir, 'broken-repo');
    await mkdir(broken);
    await git(['-C', broken, 'init', '-q', '-b', 'main']);
    await put(broken, 'x.txt', 'lost blob\n');
    await inRepo(broken, ['add', '-A']);
    await inRepo(broken, ['commit', '-q', '-m', 'x']);
    const blob = await inRepo(broken, ['rev-parse', 'HEAD:x.txt']);
    await rm(path.join(broken, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const store = path.join(root.dir, 'git-broken');
    const result = await gitty(['--store', store, 'import', '--git', broken]);
    failed(result, 1, `gitty: git cat-file has no object ${blob} (${blob} missing)\n`);
    expect(await storeFiles(store)).toEqual({});
  });
});

/**
 * Run `work` while every SIGINT handler added meanwhile is called as soon as it is added (as
 * if Ctrl-C came at once): the import aborts before it writes anything. Handlers left behind
 * are returned (none, when the command removes its own).
 */
async function interruptedAtOnce<T>(work: () => Promise<T>): Promise<{ value: T; left: number }> {
  const before = process.listeners('SIGINT').length;
  const onListener = (event: string | symbol, listener: () => void) => {
    if (event === 'SIGINT') queueMicrotask(listener);
  };
  process.on('newListener', onListener);
  try {
    const value = await work();
    return { value, left: process.listeners('SIGINT').length - before };
  } finally {
    process.off('newListener', onListener);
  }
}

async function onTerminal(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: ReturnType<typeof terminal>; order: string[] }> {
  let stdout = '';
  const order: string[] = [];
  const tty = terminal();
  const stderr = { ...tty, write: (chunk: string | Uint8Array) => (order.push('stderr'), tty.write(chunk)) };
  const code = await runCli(args, { stdin: Readable.from([]), stdout: { write: (chunk) => (order.push('stdout'), (stdout += String(chunk)), true) }, stderr, env: { NO_COLOR: '1' } });
  return { code, stdout, stderr: tty, order };
}

const INTERRUPTED = 'gitty: import interrupted; no file was changed (objects already written wait for `gitty gc`) — run the same command again\n';

describe('gitty import: Ctrl-C and the progress bar', () => {
  it('a git import stops at the first SIGINT with status 130, changing no file, and removes its handler', async () => {
    const store = path.join(root.dir, 'git-interrupted');
    const { value, left } = await interruptedAtOnce(() => gitty(['--store', store, 'import', '--git', repo]));
    failed(value, 130, INTERRUPTED);
    expect(left).toBe(0);
    expect(await storeFiles(store)).toEqual({});
  });

  it('a folder import stops at the first SIGINT with status 130, changing no file', async () => {
    const store = path.join(root.dir, 'dir-interrupted');
    const { value, left } = await interruptedAtOnce(() => gitty(['--store', store, 'import', path.join(repo, 'dir')]));
    failed(value, 130, INTERRUPTED);
    expect(left).toBe(0);
    expect(await storeFiles(store)).toEqual({});
  });

  it('draws the bar with the planned total on a terminal and clears it before printing', async () => {
    const store = path.join(root.dir, 'git-bar');
    const { code, stdout, stderr, order } = await onTerminal(['--store', store, 'import', '--git', repo]);
    expect({ code, stdout }).toEqual({ code: 0, stdout: `imported 4 versions of 3 files from 2 commits of main (${tips.main!.slice(0, 10)}), 8 new objects\ndeleted 1 files that are gone at the tip (their history stays until \`gitty gc\`; --keep-deleted keeps them)\nskipped 2 symbolic links, 1 submodules\n` });
    const lines = stderr.lines();
    expect(lines[0]).toMatch(/^import \[-{24}\] 0\/4 0\/s$/);
    expect(lines.at(-1)).toMatch(/^import \[#{24}\] 4\/4 \d+\/s$/);
    // cli-progress's stop with clearOnComplete: the line is cleared and the cursor shown again.
    // Stopped (the line cleared) before the result was printed.
    expect(stderr.raw().endsWith('\u001b[2K')).toBe(true);
    expect(order.at(-1)).toBe('stdout');

    const folderStore = path.join(root.dir, 'dir-bar');
    const folder = await onTerminal(['--store', folderStore, 'import', path.join(repo, 'dir')]);
    expect(folder.stderr.lines()[0]).toMatch(/^import \[-{24}\] 0\/1 0\/s$/);
    expect(folder.stderr.lines().at(-1)).toMatch(/^import \[#{24}\] 1\/1 \d+\/s$/);
  });
});

describe('gitty import: the bar counts what each phase counts', () => {
  it('ends at the versions imported when unchanged files were skipped, not at the planned total', async () => {
    const folder = path.join(root.dir, 'three-files');
    const store = path.join(root.dir, 'dir-bar-again');
    for (const name of ['a.txt', 'b.txt', 'c.txt']) await put(folder, name, `${name}\n`);
    expect((await gitty(['--store', store, 'import', folder])).code).toBe(0);
    await put(folder, 'b.txt', 'b changed\n');
    const again = await onTerminal(['--store', store, 'import', folder]);
    expect({ code: again.code, stdout: again.stdout }).toEqual({ code: 0, stdout: `imported 1 files from ${folder}, 2 new objects; 2 unchanged\n` });
    expect(again.stderr.lines()[0]).toMatch(/^import \[-{24}\] 0\/3 0\/s$/);
    expect(again.stderr.lines().at(-1)).toMatch(/^import \[#{24}\] 1\/1 \d+\/s$/);
  });

  it('shows a packs store\'s own phases with their own counts: objects packed, then objects verified', async () => {
    const folder = path.join(root.dir, 'five-hundred');
    const store = path.join(root.dir, 'packs-bar');
    for (let i = 0; i < 500; i++) await put(folder, `f${i}.txt`, `${i}\n`);
    registerBuiltinDrivers();
    const packs = await resolveDriverFactory('packs');
    registerDriver('packs-drawn', async (options, context) => {
      const inner = await packs(options, context);
      const driver = new PassThroughDriver(inner);
      // cli-progress draws an update at once only when its last drawing is 200 ms old: the clock
      // steps a second before each report of the pack batch, so each one is drawn.
      const drawn = (listener: ProgressListener): ProgressListener => (p) => {
        vi.setSystemTime(Date.now() + 1000);
        listener(p);
      };
      Object.assign(driver, {
        openObjectBatch: (o: ObjectBatchOptions = {}) => inner.openObjectBatch!({ ...o, onProgress: o.onProgress && drawn(o.onProgress) }),
      });
      return driver;
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    let run: Awaited<ReturnType<typeof onTerminal>>;
    try {
      run = await onTerminal(['--store', store, '--driver', 'packs-drawn', 'import', folder]);
    } finally {
      vi.useRealTimers();
    }
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 0, stdout: `imported 500 files from ${folder}, 1000 new objects\n` });
    const lines = run.stderr.lines();
    expect(lines).toContainEqual(expect.stringMatching(/^import import-pack 1000 \d+\/s$/));
    expect(lines).toContainEqual(expect.stringMatching(/^import import-verify \[-{24}\] 0\/1000 0\/s$/));
    expect(lines.filter((line) => line.includes(' import-'))).toEqual(lines.filter((line) => /^import import-(pack \d+|verify \[-{24}\] 0\/1000) \d+\/s$/.test(line)));
  });
});

describe('gitty import <folder>: output', () => {
  let tree: string;

  beforeAll(async () => {
    tree = path.join(root.dir, 'tree');
    await put(tree, 'a.txt', 'a\n');
    await put(tree, 'sub/b.txt', 'b\n');
    await put(tree, '.git/config', '[core]\n');
    await symlink('a.txt', path.join(tree, 'link'));
    execFileSync('mkfifo', [path.join(tree, 'fifo')]);
    await utimes(path.join(tree, 'a.txt'), 1_600_000_000, 1_600_000_000);
    await utimes(path.join(tree, 'sub/b.txt'), 1_600_000_123.5, 1_600_000_123.5);
  });

  it('prints what it imported and skipped; again only what changed, counting the unchanged', async () => {
    const store = path.join(root.dir, 'dir-text');
    const copy = path.join(root.dir, 'tree-copy');
    await put(copy, 'a.txt', 'a\n');
    await put(copy, 'sub/b.txt', 'b\n');
    ok(await gitty(['--store', store, 'import', copy, '--author', 'me', '-m', 'my notes']), `imported 2 files from ${copy}, 4 new objects\n`);
    const [a] = await history(store, 'a.txt');
    expect([a!.author, a!.commit_message, a!.previous]).toEqual(['me', 'my notes', undefined]);
    ok(await gitty(['--store', store, 'import', copy]), `imported 0 files from ${copy}, 0 new objects; 2 unchanged\n`);
    await writeFile(path.join(copy, 'a.txt'), 'a, edited\n');
    ok(await gitty(['--store', store, 'import', copy]), `imported 1 files from ${copy}, 2 new objects; 1 unchanged\n`);
    expect(await storeFiles(store)).toEqual({ 'a.txt': 'a, edited\n', 'sub:b.txt': 'b\n' });
    const [edited] = await history(store, 'a.txt');
    expect([edited!.author, edited!.commit_message]).toEqual([undefined, undefined]);
  });

  it('skips .git, symbolic links and special files, saying how many; the versions keep the modification times', async () => {
    const store = path.join(root.dir, 'dir-skips');
    ok(await gitty(['--store', store, 'import', tree]), `imported 2 files from ${tree}, 4 new objects\nskipped 1 .git entries, 1 symbolic links, 1 special files\n`);
    expect((await history(store, 'a.txt'))[0]!.time).toBe(1_600_000_000);
    expect((await history(store, 'sub:b.txt'))[0]!.time).toBe(1_600_000_123.5);
    const json = await gitty(['--store', store, '--json', 'import', tree]);
    expect(json.json()).toEqual({ source: tree, versions: 0, files: 0, objects: 0, heads: {}, unchanged: 2, skipped: { git: 1, symlinks: 1, special: 1, invalid: [] } });
  });

  it('--dry-run lists the paths and their names and writes nothing', async () => {
    const store = path.join(root.dir, 'dir-dry');
    ok(await gitty(['--store', store, 'import', tree, '--dry-run']), 'would import 2 files from ' + tree + ':\n  a.txt\n  sub/b.txt → sub:b.txt\n');
    expect((await gitty(['--store', store, '--json', 'import', tree, '--dry-run', '--prefix', 'n/'.slice(0, 1)])).json()).toEqual({
      source: tree, versions: 2, files: 2, objects: 0, heads: {}, unchanged: 0, skipped: { git: 1, symlinks: 1, special: 1, invalid: [] },
      dryRun: true, names: { 'a.txt': 'na.txt', 'sub/b.txt': 'nsub:b.txt' },
    });
    await expect(readdir(store)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses a missing folder, a file, and paths that make no name (or skips them)', async () => {
    const store = path.join(root.dir, 'dir-refusals');
    const missing = path.join(root.dir, 'no-such-tree');
    failed(await gitty(['--store', store, 'import', missing]), 1, `gitty: Cannot read ${missing}: no such file or folder — make it readable (or move it out of the tree); nothing was imported\n`);
    const file = path.join(tree, 'a.txt');
    failed(await gitty(['--store', store, 'import', file]), 1, `gitty: ${file} is not a folder — give a folder to import (or --git for a git repository)\n`);
    const bad = path.join(root.dir, 'bad-tree');
    await put(bad, ' space.txt', 'x');
    await put(bad, 'ok.txt', 'ok\n');
    failed(
      await gitty(['--store', store, 'import', bad]),
      1,
      'gitty: 1 path(s) cannot become gitty names with separator ":": " space.txt" (starts or ends with white space) — choose another --separator, or pass --skip-invalid to import everything else; nothing was imported\n',
    );
    await expect(readdir(store)).rejects.toMatchObject({ code: 'ENOENT' });
    ok(await gitty(['--store', store, 'import', bad, '--skip-invalid']), `imported 1 files from ${bad}, 2 new objects\nskipped 1 invalid paths\n`);
  });

  it('reports a file that vanished between the plan and its reading as READ_FAILED, writing nothing', async () => {
    const store = path.join(root.dir, 'dir-vanished');
    const vanishing = path.join(root.dir, 'vanishing');
    await put(vanishing, 'a.txt', 'a\n');
    await put(vanishing, 'z.txt', 'z\n');
    // The SIGINT handler is added after the plan and before the first file is read.
    const onListener = (event: string | symbol) => {
      if (event === 'SIGINT') void rm(path.join(vanishing, 'z.txt'));
    };
    process.on('newListener', onListener);
    let result: CliResult;
    try {
      result = await gitty(['--store', store, 'import', vanishing]);
    } finally {
      process.off('newListener', onListener);
    }
    failed(result, 1, `gitty: Cannot read ${path.join(vanishing, 'z.txt')}: no such file or folder — make it readable (or move it out of the tree); nothing was imported\n`);
    expect(await storeFiles(store)).toEqual({});
  });
});

describe('gitty import --git: a file saved by another writer meanwhile', () => {
  /** Per name: when the import reads this head, another writer moves it on (once). */
  const races = new Map<string, { from: string; to: string }>();
  /**
   * Each name gets "mine" at its head and "theirs" stored after it; the other writer moves the
   * head to "theirs" when the import reads "mine".
   */
  async function stageRaces(store: string, names: readonly string[]): Promise<void> {
    const opened = await openFilesStore(store);
    try {
      for (const name of names) {
        const mine = await opened.create(name, 'mine\n');
        const theirs = await opened.update(name, 'theirs\n', { previous: mine.commit });
        await opened.driver.updateHead(name, theirs.commit, mine.commit);
        races.set(name, { from: mine.commit, to: theirs.commit });
      }
    } finally {
      await opened.close();
    }
  }

  /** Names another writer saves a version of right after the import moves their heads (once each). */
  const deleteRaces = new Set<string>();
  /** Names whose deletion finds their lock held too long. */
  const heldDeletes = new Set<string>();

  beforeAll(async () => {
    registerBuiltinDrivers();
    const files = await resolveDriverFactory('files');
    registerDriver('racing-files', async (options, context) => {
      const inner = await files(options, context);
      const driver = new PassThroughDriver(inner);
      driver.getHead = async (name: string) => {
        const head = await inner.getHead(name);
        const race = races.get(name);
        if (race && head === race.from) {
          races.delete(name);
          await inner.updateHead(name, race.from, race.to);
        }
        return head;
      };
      // Per name: right after the import moves this file's head, another writer saves a version of it
      // (once), through the same driver, so the import's next read of the head sees theirs.
      const other = await openStore(inner);
      const theirSave = async (name: string, head: string | null) => {
        if (!deleteRaces.has(name) || head === null) return;
        deleteRaces.delete(name);
        await other.update(name, 'theirs\n', { previous: head });
      };
      driver.updateHead = async (name, expected, next) => {
        if (next === null && heldDeletes.has(name)) throw new LockTimeoutError(`/held/${name}.lock`);
        await inner.updateHead(name, expected, next);
        await theirSave(name, next);
      };
      const updateHeads = inner.updateHeads?.bind(inner);
      if (updateHeads) {
        Object.assign(driver, {
          updateHeads: async (changes: readonly HeadChange[]) => {
            const results = await updateHeads(changes);
            for (const result of results) if (result.applied) await theirSave(result.name, result.head);
            return results;
          },
        });
      }
      return driver;
    });
  });

  it('leaves those files at the other writer\'s versions, deletes nothing, and says where their imported histories end', async () => {
    const store = path.join(root.dir, 'git-race');
    // Two files, each saved by the other writer (not yet at its head): both conflicts are named.
    await stageRaces(store, ['a.txt', 'dir:b.txt']);
    const result = await gitty(['--store', store, '--driver', 'racing-files', 'import', '--git', repo, '--append']);
    const tip = /a\.txt → ([0-9a-f]{10})/.exec(result.stderr)?.[1] as string;
    const tipB = /dir:b\.txt → ([0-9a-f]{10})/.exec(result.stderr)?.[1] as string;
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    expect(result.stderr).toBe('gitty: Import left 2 file(s) at heads another writer set meanwhile ("a.txt", "dir:b.txt"); their imported versions are stored (see conflicts[].tip), 1 other file(s) were switched'
      + ` — another writer saved these files meanwhile; their imported versions end at a.txt → ${tip}, dir:b.txt → ${tipB} (\`gitty log <hash>\`), files gone at the tip were not deleted\n`);
    // Both stay at the other writer's version; gone.txt, gone at the tip, was not deleted.
    expect(await storeFiles(store)).toEqual({ 'a.txt': 'theirs\n', 'dir:b.txt': 'theirs\n', 'gone.txt': 'g\n' });
    const reopened = await openFilesStore(store);
    try {
      const imported = await reopened.commit(await reopened.resolveHash(tip, { type: 'commit' }));
      expect([imported.name, imported.commit_message, (await reopened.get(imported.commit)).text]).toEqual(['a.txt', 'second', 'a2\n']);
    } finally {
      await reopened.close();
    }
  });

  it('leaves a file gone at the tip that another writer saved after the import at their version, and says so', async () => {
    const store = path.join(root.dir, 'git-delete-race');
    deleteRaces.add('gone.txt');
    const result = await gitty(['--store', store, '--driver', 'racing-files', 'import', '--git', repo]);
    expect(deleteRaces.size).toBe(0);
    ok(result, `imported 4 versions of 3 files from 2 commits of main (${tips.main!.slice(0, 10)}), 8 new objects\n`
      + 'left 1 files that are gone at the tip, as another writer changed them meanwhile: gone.txt\nskipped 2 symbolic links, 1 submodules\n');
    expect(await storeFiles(store)).toEqual({ 'a.txt': 'a2\n', 'dir:b.txt': 'b1\n', 'gone.txt': 'theirs\n' });
  });

  it('lists such files in --json, and still deletes the other files gone at the tip', async () => {
    const store = path.join(root.dir, 'git-delete-race-json');
    const second = path.join(root.dir, 'two-gone-repo');
    await mkdir(second);
    await inRepo(second, ['init', '-q', '-b', 'main']);
    for (const name of ['kept.txt', 'x.txt', 'y.txt']) await put(second, name, `${name}\n`);
    await inRepo(second, ['add', '-A']);
    await inRepo(second, ['commit', '-q', '-m', 'three']);
    await inRepo(second, ['rm', '-q', 'x.txt', 'y.txt']);
    await inRepo(second, ['commit', '-q', '-m', 'two gone']);
    deleteRaces.add('x.txt');
    const result = await gitty(['--store', store, '--driver', 'racing-files', '--json', 'import', '--git', second]);
    expect(result.code).toBe(0);
    expect(result.json<{ deleted: string[]; changedMeanwhile: string[] }>()).toMatchObject({ deleted: ['y.txt'], changedMeanwhile: ['x.txt'] });
    expect(await storeFiles(store)).toEqual({ 'kept.txt': 'kept.txt\n', 'x.txt': 'theirs\n' });
  });

  it('fails with the error of a deletion that fails otherwise (a lock held too long), the imported heads moved', async () => {
    const store = path.join(root.dir, 'git-delete-held');
    heldDeletes.add('gone.txt');
    let result: CliResult;
    try {
      result = await gitty(['--store', store, '--driver', 'racing-files', 'import', '--git', repo]);
    } finally {
      heldDeletes.delete('gone.txt');
    }
    failed(result, 1, 'gitty: Timed out waiting for the lock /held/gone.txt.lock — another gitty process holds the lock: retry, or remove the lock file if that process died\n');
    expect(await storeFiles(store)).toEqual({ 'a.txt': 'a2\n', 'dir:b.txt': 'b1\n', 'gone.txt': 'g\n' });
  });

  it('names the first 20 conflicting files and where their imported histories end, then how many more', async () => {
    const many = path.join(root.dir, 'many-conflicts-repo');
    await mkdir(many);
    await inRepo(many, ['init', '-q', '-b', 'main']);
    const names = Array.from({ length: 23 }, (_, i) => `f${String(i).padStart(2, '0')}.txt`);
    for (const name of names) await put(many, name, `${name}\n`);
    await inRepo(many, ['add', '-A']);
    await inRepo(many, ['commit', '-q', '-m', 'many']);
    const store = path.join(root.dir, 'git-race-many');
    await stageRaces(store, names);
    const result = await gitty(['--store', store, '--driver', 'racing-files', 'import', '--git', many, '--append']);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 1, stdout: '' });
    const hint = result.stderr.slice(result.stderr.indexOf(' — '));
    const listed = [...hint.matchAll(/(f\d\d\.txt) → [0-9a-f]{10}/g)].map((m) => m[1]);
    expect(listed).toEqual(names.slice(0, 20));
    expect(hint).toMatch(/^ — another writer saved these files meanwhile; their imported versions end at f00\.txt → [0-9a-f]{10}, .* f19\.txt → [0-9a-f]{10}, and 3 more \(`gitty log <hash>`\), files gone at the tip were not deleted\n$/);
    expect(Object.values(await storeFiles(store)).every((text) => text === 'theirs\n')).toBe(true);
  });
});

describe('gitty import --git: paths that are not UTF-8, and the help', () => {
  it('refuses a path that is not UTF-8 (named lossily), or skips it with --skip-invalid', async () => {
    const latin = path.join(root.dir, 'latin1-repo');
    await mkdir(latin);
    await git(['-C', latin, 'init', '-q', '-b', 'main']);
    await writeFile(Buffer.concat([Buffer.from(`${latin}/caf`), Buffer.from([0xe9]), Buffer.from('.txt')]), 'latin-1 name\n');
    await writeFile(path.join(latin, 'ok.txt'), 'ok\n');
    await inRepo(latin, ['add', '-A']);
    await inRepo(latin, ['commit', '-q', '-m', 'names']);
    const tip = await inRepo(latin, ['rev-parse', 'HEAD']);
    const store = path.join(root.dir, 'git-latin1');
    failed(
      await gitty(['--store', store, 'import', '--git', latin]),
      1,
      'gitty: 1 path(s) cannot become gitty names with separator ":": "caf\uFFFD.txt" (not UTF-8) — choose another --separator, or pass --skip-invalid to import everything else; nothing was imported\n',
    );
    ok(await gitty(['--store', store, 'import', '--git', latin, '--skip-invalid']), `imported 1 versions of 1 files from 1 commits of main (${tip.slice(0, 10)}), 2 new objects\nskipped 1 invalid paths\n`);
    expect(await storeFiles(store)).toEqual({ 'ok.txt': 'ok\n' });
  });

  it('describes the command and every option', async () => {
    ok(await gitty(['import', '--help']), HELP);
  });
});

const HELP = `Usage: gitty import [options] <source>

import a folder's files as versions, or with --git a git repository's history
(every version of every file along the branch's first-parent line, authors,
dates and messages kept); a path "a/b.txt" becomes the name "a:b.txt"

Options:
  --git                 the source is a git repository: import the history of
                        --branch
  --branch <name>       git: the branch (or any commit) whose first-parent
                        history is imported (default: the checked-out branch)
  --prefix <text>       put before every name (e.g. "notes:")
  --separator <text>    put between the folders of a path in its name (default:
                        ":")
  --skip-invalid        leave out paths that make no valid name (listed) instead
                        of refusing the import
  --keep-deleted        git: keep files deleted or renamed away before the tip
                        (default: delete them after importing their history)
  --append              git: add the history on top of files the store already
                        has (default: refuse)
  --author <name>       folder: author of the imported versions
  -m, --message <text>  folder: commit message of the imported versions
  --dry-run             show the names and counts, write nothing
  -h, --help            display help for command
`;
