import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, tempDir, waitFor } from '@gitty/driver-test/harness';
import type { Commit, Store } from '@gitty/core';
import { collectOutput, gitty, startGitty } from './cli-process.js';
import { openFilesStore } from './raw-store.js';

/**
 * `gitty import --git` against a real git repository built here: two authors, a side branch
 * merged with --no-ff (only the first-parent line is imported), a branch never merged, a rename,
 * deletions, a binary file, a mode change, a symbolic link, an empty commit and unicode paths.
 * Every imported version is compared with `git show <commit>:<path>` and the commit's author,
 * e-mail, author date and message.
 */

interface Author { name: string; email: string }
const alice: Author = { name: 'Alice Ämtmann', email: 'alice@example.org' };
const bob: Author = { name: 'Bob', email: 'bob@example.org' };
const carol: Author = { name: 'Carol Side', email: 'carol@example.org' };
const dave: Author = { name: 'Dave Merger', email: 'dave@example.org' };

const UNICODE = 'ünïcødé/日本語 メモ.txt';
const binaryOne = Uint8Array.from({ length: 256 }, (_, i) => i);
const binaryTwo = Uint8Array.from({ length: 300 }, (_, i) => (i * 7 + 3) % 256).reverse();

let root: { dir: string; remove: () => Promise<void> };
let repo: string;
/** The main line's commits by step, filled in as the repository is built. */
const commits: Record<string, string> = {};

async function inRepo(args: readonly string[], who: Author = alice, time = 1_600_000_000): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: who.name, GIT_AUTHOR_EMAIL: who.email, GIT_AUTHOR_DATE: `@${time} +0200`,
    GIT_COMMITTER_NAME: 'Committer', GIT_COMMITTER_EMAIL: 'committer@example.org', GIT_COMMITTER_DATE: `@${time + 5} +0000`,
    GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
  };
  return (await git(['-C', repo, ...args], { env })).toString('utf8').trim();
}

async function put(file: string, data: string | Uint8Array): Promise<void> {
  await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
  await writeFile(path.join(repo, file), data);
}

async function commit(step: string, message: string, who: Author, time: number, extra: string[] = []): Promise<void> {
  await inRepo(['add', '-A'], who, time);
  await inRepo(['commit', '-q', ...extra, '-m', message], who, time);
  commits[step] = await inRepo(['rev-parse', 'HEAD']);
}

/** Which commits of the main line hold a new version of each path (the import must give exactly these). */
const expected: Record<string, string[]> = {
  'readme.md': ['c1', 'c2'],
  'notes/ideas.txt': ['c1'],
  'notes/plans.txt': ['c2'],
  'bin/logo.png': ['c1', 'c3', 'c6'],
  [UNICODE]: ['c1', 'c4'],
  'run.sh': ['c1'],
  'side-only.txt': ['merge'],
};
const nameOf = (p: string) => p.split('/').join(':');

beforeAll(async () => {
  root = await tempDir('gitty-import-git-');
  repo = path.join(root.dir, 'repo');
  await mkdir(repo);
  await inRepo(['init', '-q', '-b', 'main']);
  await put('readme.md', 'hello\n');
  await put('notes/ideas.txt', 'idea 1\n');
  await put('bin/logo.png', binaryOne);
  await put(UNICODE, 'こんにちは\n');
  await put('run.sh', 'echo hi\n');
  await symlink('readme.md', path.join(repo, 'link'));
  await commit('c1', 'initial import\n\nwith a body line', alice, 1_600_000_000);

  await inRepo(['checkout', '-q', '-b', 'side']);
  await put('side-only.txt', 'from side\n');
  await commit('s1', 'side one', carol, 1_600_000_100);
  await put('side-only.txt', 'from side, twice\n');
  await commit('s2', 'side two', carol, 1_600_000_200);
  await inRepo(['checkout', '-q', 'main']);

  await put('readme.md', 'hello\nworld\n');
  await inRepo(['mv', 'notes/ideas.txt', 'notes/plans.txt']);
  await commit('c2', 'rename ideas, edit readme', bob, 1_600_001_000);
  await put('bin/logo.png', binaryTwo);
  await chmod(path.join(repo, 'run.sh'), 0o755);
  await commit('c3', 'new logo; run.sh executable', alice, 1_600_002_000);
  await inRepo(['merge', '-q', '--no-ff', 'side', '-m', "Merge branch 'side'"], dave, 1_600_003_000);
  commits.merge = await inRepo(['rev-parse', 'HEAD']);
  await rm(path.join(repo, 'bin/logo.png'));
  await put(UNICODE, 'こんにちは、世界\n');
  await commit('c4', 'drop the logo, greet the world', bob, 1_600_004_000);
  await commit('c5', 'nothing changed', alice, 1_600_005_000, ['--allow-empty']);
  await put('bin/logo.png', binaryOne); // back after its deletion: one history goes on
  await commit('c6', 'the old logo is back', bob, 1_600_006_000);

  // Never merged, and checked out: --branch main must still import main.
  await inRepo(['checkout', '-q', '-b', 'other']);
  await put('other.txt', 'not on main\n');
  await commit('o1', 'other branch', carol, 1_600_007_000);
});

afterAll(async () => {
  await root.remove();
});

/** The commit's author, e-mail, date and message as git itself prints them. */
async function gitMeta(hash: string): Promise<{ author: string; email: string; time: number; message: string }> {
  const [author = '', email = '', time = '', body = ''] = (await git(['-C', repo, 'log', '-1', '--format=%an%x00%ae%x00%at%x00%B%x00', hash])).toString('utf8').split('\0');
  return { author, email, time: Number(time), message: body.replace(/\n$/, '') };
}

/** A file's versions, oldest first, from the head the import reported. */
async function versionsFrom(dir: string, head: string): Promise<{ commit: Commit; data: Uint8Array }[]> {
  const store = await openFilesStore(dir);
  try {
    const out: { commit: Commit; data: Uint8Array }[] = [];
    for await (const commit of store.walk(head)) out.unshift({ commit, data: (await store.get(commit.commit)).data });
    return out;
  } finally {
    await store.close();
  }
}

async function fileNames(store: Store): Promise<string[]> {
  const names: string[] = [];
  for await (const file of store.files()) names.push(file.name);
  return names.sort();
}

/** Every file under `dir` with its bytes, to prove a refused import wrote nothing. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = path.join(entry.parentPath, entry.name);
    out[path.relative(dir, full)] = (await readFile(full)).toString('base64');
  }
  return out;
}

interface ImportJson {
  versions: number; files: number; commits: number; branch: string; tip: string;
  heads: Record<string, string>; deleted: string[]; skipped: { symlinks: number; submodules: number; invalid: unknown[] };
}

describe('gitty import --git', () => {
  it('imports every version of the first-parent history of the branch, content, author, date and message as git has them', async () => {
    const store = path.join(root.dir, 'store');
    const result = await gitty(['--store', store, '--json', 'import', '--git', repo, '--branch', 'main']);
    expect(result.code, result.stderr).toBe(0);
    const report = result.json<ImportJson>();
    expect(report.tip).toBe(commits.c6);
    expect(report.commits).toBe(7); // c1, c2, c3, merge, c4, c5, c6: side's commits are not on the first-parent line
    expect(report.versions).toBe(Object.values(expected).flat().length);
    expect(report.skipped.symlinks).toBe(1);
    expect(report.deleted).toEqual(['notes:ideas.txt']);
    expect(Object.keys(report.heads).sort()).toEqual(Object.keys(expected).map(nameOf).sort());

    for (const [file, steps] of Object.entries(expected)) {
      const versions = await versionsFrom(store, report.heads[nameOf(file)] as string);
      expect(versions.map((v) => v.commit.name), file).toEqual(steps.map(() => nameOf(file)));
      expect(versions.length, file).toBe(steps.length);
      for (const [i, step] of steps.entries()) {
        const hash = commits[step] as string;
        const version = versions[i] as { commit: Commit; data: Uint8Array };
        const content = await git(['-C', repo, 'show', `${hash}:${file}`]);
        expect(Buffer.compare(Buffer.from(version.data), content), `${file} at ${step}`).toBe(0);
        const meta = await gitMeta(hash);
        expect({ author: version.commit.author, email: version.commit.email, time: version.commit.time, message: version.commit.commit_message }).toEqual(meta);
      }
    }
    // The merge brought side's last content under the merge's author; side's own commits are not versions.
    const side = await versionsFrom(store, report.heads['side-only.txt'] as string);
    expect(side[0]?.commit.author).toBe(dave.name);

    const opened = await openFilesStore(store);
    try {
      expect(await fileNames(opened)).toEqual(['bin:logo.png', 'notes:plans.txt', 'readme.md', 'run.sh', 'side-only.txt', nameOf(UNICODE)].sort());
      expect((await opened.fsck()).ok).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('keeps files gone at the tip with --keep-deleted, and takes the checked-out branch by default', async () => {
    await inRepo(['checkout', '-q', 'main']);
    try {
      const store = path.join(root.dir, 'store-kept');
      const result = await gitty(['--store', store, '--json', 'import', '--git', repo, '--keep-deleted']);
      expect(result.code, result.stderr).toBe(0);
      const report = result.json<ImportJson & { kept: string[] }>();
      expect(report.branch).toBe('main');
      expect(report.deleted).toEqual([]);
      expect(report.kept).toEqual(['notes:ideas.txt']);
      const opened = await openFilesStore(store);
      try {
        expect(await fileNames(opened)).toContain('notes:ideas.txt');
        expect((await opened.get('notes:ideas.txt')).text).toBe('idea 1\n');
      } finally {
        await opened.close();
      }
    } finally {
      await inRepo(['checkout', '-q', 'other']);
    }
  });

  it('refuses a folder that is no repository, a missing branch and names already in the store, writing nothing', async () => {
    const store = path.join(root.dir, 'store-refusals');
    const opened = await openFilesStore(store);
    await opened.create('readme.md', 'mine\n');
    await opened.close();
    const before = await snapshot(store);

    const plain = path.join(root.dir, 'plain');
    await mkdir(plain);
    const notRepo = await gitty(['--store', store, '--json', 'import', '--git', plain]);
    expect(notRepo.code).toBe(1);
    expect(notRepo.json<{ error: { code: string } }>().error.code).toBe('NOT_A_REPOSITORY');
    expect(notRepo.stderr).toContain('is not a git repository');

    const noBranch = await gitty(['--store', store, 'import', '--git', repo, '--branch', 'nope']);
    expect(noBranch.code).toBe(1);
    expect(noBranch.stderr).toContain('has no branch or commit "nope"');
    expect(noBranch.stderr).toContain('main, other, side');

    const clash = await gitty(['--store', store, 'import', '--git', repo, '--branch', 'main']);
    expect(clash.code).toBe(1);
    expect(clash.stderr).toContain('already exist in the store: readme.md');
    expect(await snapshot(store)).toEqual(before);

    // --append puts the history on top of the existing file.
    const appended = await gitty(['--store', store, '--json', 'import', '--git', repo, '--branch', 'main', '--append']);
    expect(appended.code, appended.stderr).toBe(0);
    const versions = await versionsFrom(store, appended.json<ImportJson>().heads['readme.md'] as string);
    expect(versions.map((v) => Buffer.from(v.data).toString())).toEqual(['mine\n', 'hello\n', 'hello\nworld\n']);
  });
});

describe('gitty import --git: paths that make no name', () => {
  it('lists every offending path and imports nothing, or the rest with --skip-invalid', async () => {
    const bad = path.join(root.dir, 'bad-repo');
    await mkdir(bad);
    await git(['-C', bad, 'init', '-q', '-b', 'main']);
    await mkdir(path.join(bad, 'a:b'));
    await writeFile(path.join(bad, 'a:b', 'c.txt'), 'separator inside a folder name\n');
    await writeFile(path.join(bad, 'back\\slash.txt'), 'a backslash\n');
    await writeFile(path.join(bad, 'fine.txt'), 'fine\n');
    await git(['-C', bad, 'add', '-A']);
    await git(['-C', bad, '-c', 'user.name=T', '-c', 'user.email=t@x', 'commit', '-q', '-m', 'odd paths']);

    const store = path.join(root.dir, 'store-bad');
    const refused = await gitty(['--store', store, '--json', 'import', '--git', bad]);
    expect(refused.code).toBe(1);
    const error = refused.json<{ error: { code: string; message: string } }>().error;
    expect(error.code).toBe('INVALID_NAME');
    expect(error.message).toContain('"a:b/c.txt"');
    expect(error.message).toContain('"back\\\\slash.txt"');
    expect(refused.stderr).toContain('--skip-invalid');
    await expect(readdir(store)).rejects.toThrow(); // no store was even created

    const skipping = await gitty(['--store', store, '--json', 'import', '--git', bad, '--skip-invalid']);
    expect(skipping.code, skipping.stderr).toBe(0);
    expect(Object.keys(skipping.json<ImportJson>().heads)).toEqual(['fine.txt']);

    // Another separator makes "a:b/c.txt" a name that maps back.
    const other = await gitty(['--store', path.join(root.dir, 'store-sep'), '--json', 'import', '--git', bad, '--separator', '__', '--skip-invalid']);
    expect(Object.keys(other.json<ImportJson>().heads).sort()).toEqual(['a:b__c.txt', 'fine.txt']);
  });
});

describe('gitty import --git: interrupted and contended imports', () => {
  let big: string;

  beforeAll(async () => {
    big = path.join(root.dir, 'big-repo');
    await mkdir(big);
    await git(['-C', big, 'init', '-q', '-b', 'main']);
    // 40 commits of a 1 MiB random file through fast-import: few objects, yet enough bytes to
    // compress and write that the import is caught midway.
    const stream: Buffer[] = [];
    for (let i = 1; i <= 40; i++) {
      const data = randomBytes(1 << 20);
      const message = `commit ${i}`;
      stream.push(Buffer.from(`commit refs/heads/main\nauthor A <a@example.org> ${1_600_000_000 + i} +0000\ncommitter A <a@example.org> ${1_600_000_000 + i} +0000\n`));
      stream.push(Buffer.from(`data ${message.length}\n${message}\nM 100644 inline f${i % 4}.bin\ndata ${data.length}\n`), data, Buffer.from('\n'));
    }
    // Random bytes do not compress: git stores them as they are rather than deflating 40 MiB for nothing.
    await git(['-C', big, '-c', 'core.compression=0', 'fast-import', '--quiet'], { input: Buffer.concat(stream) });
  });

  /** Start an import of the big repository and wait until it is writing objects. */
  async function startedImport(store: string): Promise<{ child: ChildProcess; running: ReturnType<typeof collectOutput> }> {
    const child = startGitty(['--store', store, 'import', '--git', big]);
    const running = collectOutput(child);
    await waitFor(async () => (await readdir(path.join(store, 'objects')).catch(() => [])).filter((d) => d.length === 2).length >= 3, 60_000, 5);
    return { child, running };
  }

  it('stops at SIGINT with exit status 130, moving no head and leaving a store fsck accepts', async () => {
    const store = path.join(root.dir, 'store-interrupted');
    const { child, running } = await startedImport(store);
    child.kill('SIGINT');
    const { code } = await running.exited;
    expect(code, running.stderr()).toBe(130);
    expect(running.stderr()).toContain('import interrupted; no file was changed');
    const opened = await openFilesStore(store);
    try {
      expect(await fileNames(opened)).toEqual([]);
      expect((await opened.fsck()).ok).toBe(true);
    } finally {
      await opened.close();
    }
  });

  it('leaves a file another process saved meanwhile at that version, imports the others, and says where the imported history ended', async () => {
    const store = path.join(root.dir, 'store-contended');
    const { running } = await startedImport(store);
    const other = await openFilesStore(store);
    try {
      await other.create('f1.bin', 'saved by someone else\n');
    } finally {
      await other.close();
    }
    const { code } = await running.exited;
    expect(code, running.stderr()).toBe(1);
    expect(running.stderr()).toContain('another writer saved these files meanwhile; their imported versions end at f1.bin → ');
    const tip = /f1\.bin → ([0-9a-f]{10})/.exec(running.stderr())?.[1] as string;
    const opened = await openFilesStore(store);
    try {
      expect(await fileNames(opened)).toEqual(['f0.bin', 'f1.bin', 'f2.bin', 'f3.bin']);
      expect((await opened.get('f1.bin')).text).toBe('saved by someone else\n');
      const imported = await opened.commit(await opened.resolveHash(tip, { type: 'commit' }));
      expect([imported.name, imported.commit_message]).toEqual(['f1.bin', 'commit 37']);
      expect((await opened.fsck()).ok).toBe(true);
    } finally {
      await opened.close();
    }
  });
});
