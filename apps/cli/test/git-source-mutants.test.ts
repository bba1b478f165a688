import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { git, tempDir } from '@gitty/driver-test/harness';
import type { ImportVersion } from '@gitty/core';
import { CatFile } from '../src/import/cat-file.js';
import { gitVersions, openGitSource, planGitImport, type GitImportPlan } from '../src/import/git-source.js';

/**
 * gitVersions in process against a real git repository: it may be called without an abort
 * signal (the signal is optional), it reads each commit object once however many files the
 * commit changes, and it asks git for at most LOOKAHEAD (64) versions ahead of the one it
 * yields. The repository: a first commit adding 100 files, a second changing 3 of them.
 */

const FILES = 100;
const file = (i: number) => `f${String(i).padStart(3, '0')}.txt`;
const CHANGED = [file(5), file(50), file(99)];

let root: { dir: string; remove: () => Promise<void> };
let repo: string;
const commits: string[] = [];

async function inRepo(args: readonly string[]): Promise<string> {
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_EMAIL: 'alice@example.org', GIT_AUTHOR_DATE: '@1600000000 +0000',
    GIT_COMMITTER_NAME: 'Alice', GIT_COMMITTER_EMAIL: 'alice@example.org', GIT_COMMITTER_DATE: '@1600000000 +0000',
    GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1',
  };
  return (await git(['-C', repo, ...args], { env })).toString('utf8').trim();
}

beforeAll(async () => {
  root = await tempDir('gitty-git-source-mutants-');
  repo = path.join(root.dir, 'repo');
  await mkdir(path.join(repo, 'd'), { recursive: true });
  await inRepo(['init', '-q', '-b', 'main']);
  for (let i = 0; i < FILES; i++) await writeFile(path.join(repo, 'd', file(i)), `one ${i}\n`);
  await inRepo(['add', '-A']);
  await inRepo(['commit', '-q', '-m', 'first']);
  commits.push(await inRepo(['rev-parse', 'HEAD']));
  for (const f of CHANGED) await writeFile(path.join(repo, 'd', f), `two ${f}\n`);
  await inRepo(['commit', '-q', '-am', 'second']);
  commits.push(await inRepo(['rev-parse', 'HEAD']));
});

afterAll(async () => {
  await root.remove();
});

afterEach(() => {
  vi.restoreAllMocks();
});

async function plan(): Promise<GitImportPlan> {
  return planGitImport(await openGitSource(repo, undefined), { separator: ':', prefix: '' });
}

const text = (v: ImportVersion) => Buffer.from(v.data).toString('utf8');

describe('gitVersions', () => {
  it('imports every version when called without an abort signal', async () => {
    // The only caller passes a signal; the signal is optional, so a call without one must work too.
    const got: ImportVersion[] = [];
    for await (const v of gitVersions(await plan())) got.push(v);
    expect(got).toHaveLength(FILES + CHANGED.length);
    expect(got.slice(0, FILES).map((v) => [v.name, text(v)])).toEqual(Array.from({ length: FILES }, (_, i) => [`d:${file(i)}`, `one ${i}\n`]));
    expect(got.slice(FILES).map((v) => [v.name, text(v), v.meta?.commit_message])).toEqual(CHANGED.map((f) => [`d:${f}`, `two ${f}\n`, 'second']));
  });

  it('reads each commit object once, and asks for at most 64 versions ahead of the one it yields', async () => {
    const requests = vi.spyOn(CatFile.prototype, 'request');
    const requested = () => requests.mock.calls.map(([hash]) => hash);
    const blobsRequested = () => requested().filter((h) => !commits.includes(h)).length;
    const versions = gitVersions(await plan(), new AbortController().signal);
    try {
      const first = await versions.next();
      expect(first.done).toBe(false);
      // 100 versions in the first commit: the first is yielded once 64 are asked for, not before, not after all.
      expect(blobsRequested()).toBe(64);
      let count = 1;
      for (let r = await versions.next(); r.done !== true; r = await versions.next()) count++;
      expect(count).toBe(FILES + CHANGED.length);
    } finally {
      await versions.return(undefined);
    }
    // One request per commit (its author, date and message are shared by its versions), one per blob.
    expect(requested().filter((h) => commits.includes(h))).toEqual(commits);
    expect(blobsRequested()).toBe(FILES + CHANGED.length);
  });
});
