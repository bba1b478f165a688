import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { git, tempDir } from '@gitty/driver-test/harness';
import { decodePath, firstParentChanges, type GitCommitChanges } from '../src/import/git-log.js';
import { GitChild } from '../src/import/git-process.js';

// What `gitty import --git` sees of a history: each kind of change, per first-parent commit.
let root: { dir: string; remove: () => Promise<void> };
let repo: string;
const env = { ...process.env, GIT_AUTHOR_NAME: 'A', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'C', GIT_COMMITTER_EMAIL: 'c@x', GIT_AUTHOR_DATE: '@1000000000 +0000', GIT_COMMITTER_DATE: '@1000000000 +0000' };
const at = (file: string | Buffer) => (typeof file === 'string' ? path.join(repo, file) : Buffer.concat([Buffer.from(`${repo}/`), file]));
const g = async (...args: string[]) => (await git(['-C', repo, ...args], { env })).toString().trim();
const blobOf = (rev: string) => g('rev-parse', rev);
const commits: string[] = [];
const nonUtf8 = Buffer.from([0x66, 0xff, 0x2e, 0x74]);

async function commit(message: string): Promise<void> {
  await g('add', '-A');
  await g('commit', '-q', '--allow-empty', '-m', message);
  commits.push(await g('rev-parse', 'HEAD'));
}

beforeAll(async () => {
  root = await tempDir('gitty-git-log-exact-');
  repo = path.join(root.dir, 'repo');
  await git(['init', '-q', '-b', 'main', repo]);
  await g('config', 'core.fileMode', 'true');
  // 1: a file, a file in a folder, a link, an executable.
  await writeFile(at('a.txt'), 'a\n');
  await mkdir(at('dir'));
  await writeFile(at('dir/b.txt'), 'b\n');
  await symlink('a.txt', at('link'));
  await writeFile(at('exec.sh'), 'echo\n');
  await chmod(at('exec.sh'), 0o755);
  await commit('one');
  // 2: a modification, a mode change alone, a deletion, a submodule added.
  await writeFile(at('a.txt'), 'a2\n');
  await chmod(at('exec.sh'), 0o644);
  await rm(at('dir'), { recursive: true });
  await g('add', '-A');
  await g('update-index', '--add', '--cacheinfo', `160000,${commits[0]},sub`);
  // An empty folder where the submodule is not checked out: `add -A` keeps the entry.
  await mkdir(at('sub'));
  await commit('two');
  // 3: a rename (no rename detection: gone + version), a link turned into a file, a path that is not UTF-8.
  await g('mv', 'a.txt', 'c.txt');
  await rm(at('link'));
  await writeFile(at('link'), 'now a file\n');
  await writeFile(at(nonUtf8), 'latin\n');
  await commit('three');
  // 4: a file turned into a link, the submodule removed, a mode change with new content.
  await rm(at('exec.sh'));
  await symlink('c.txt', at('exec.sh'));
  await g('rm', '-q', '--cached', 'sub');
  await writeFile(at('link'), 'again\n');
  await chmod(at('link'), 0o755);
  await commit('four');
  // 5: a merge of a side branch: diffed against its first parent only.
  await g('checkout', '-q', '-b', 'side');
  await writeFile(at('side.txt'), 's\n');
  await commit('side');
  commits.pop();
  await g('checkout', '-q', 'main');
  await writeFile(at('m.txt'), 'm\n');
  await commit('main');
  await g('merge', '-q', '--no-ff', '-m', 'merge', 'side');
  commits.push(await g('rev-parse', 'HEAD'));
});
afterAll(async () => root.remove());

describe('decodePath', () => {
  it('decodes UTF-8 and refuses other bytes', () => {
    expect(decodePath(Buffer.from('ünï/日本.txt'))).toBe('ünï/日本.txt');
    expect(decodePath(Buffer.alloc(0))).toBe('');
    expect(decodePath(nonUtf8)).toBeUndefined();
  });
});

describe('firstParentChanges', () => {
  it('lists every first-parent commit oldest first, with each change classified', async () => {
    const seen: GitCommitChanges[] = [];
    for await (const c of firstParentChanges(repo, 'main')) seen.push(c);
    const [c1, c2, c3, c4, c5, c6] = commits;
    const raw = (p: string) => Buffer.from(p);
    expect(seen.map((c) => c.commit)).toEqual([c1, c2, c3, c4, c5, c6]);
    expect(seen[0]!.changes).toEqual([
      { kind: 'version', path: 'a.txt', raw: raw('a.txt'), blob: await blobOf(`${c1}:a.txt`) },
      { kind: 'version', path: 'dir/b.txt', raw: raw('dir/b.txt'), blob: await blobOf(`${c1}:dir/b.txt`) },
      { kind: 'version', path: 'exec.sh', raw: raw('exec.sh'), blob: await blobOf(`${c1}:exec.sh`) },
      { kind: 'skipped', path: 'link', raw: raw('link'), what: 'symlink' },
    ]);
    expect(seen[1]!.changes).toEqual([
      { kind: 'version', path: 'a.txt', raw: raw('a.txt'), blob: await blobOf(`${c2}:a.txt`) },
      { kind: 'gone', path: 'dir/b.txt', raw: raw('dir/b.txt') },
      { kind: 'skipped', path: 'exec.sh', raw: raw('exec.sh'), what: 'mode' },
      { kind: 'skipped', path: 'sub', raw: raw('sub'), what: 'submodule' },
    ]);
    expect(seen[2]!.changes).toEqual([
      { kind: 'gone', path: 'a.txt', raw: raw('a.txt') },
      { kind: 'version', path: 'c.txt', raw: raw('c.txt'), blob: await blobOf(`${c3}:c.txt`) },
      { kind: 'version', path: undefined, raw: nonUtf8, blob: (await git(['hash-object', '--stdin'], { input: 'latin\n' })).toString().trim() },
      { kind: 'version', path: 'link', raw: raw('link'), blob: await blobOf(`${c3}:link`) },
    ]);
    expect(seen[3]!.changes).toEqual([
      { kind: 'gone', path: 'exec.sh', raw: raw('exec.sh') },
      { kind: 'version', path: 'link', raw: raw('link'), blob: await blobOf(`${c4}:link`) },
      { kind: 'skipped', path: 'sub', raw: raw('sub'), what: 'submodule' },
    ]);
    expect(seen[4]!.changes).toEqual([{ kind: 'version', path: 'm.txt', raw: raw('m.txt'), blob: await blobOf(`${c5}:m.txt`) }]);
    expect(seen[5]!.changes).toEqual([{ kind: 'version', path: 'side.txt', raw: raw('side.txt'), blob: await blobOf(`${c6}:side.txt`) }]);
  });

  it('an empty commit has no changes; a tip that is a commit hash works as a branch does', async () => {
    await g('commit', '-q', '--allow-empty', '-m', 'empty');
    const empty = await g('rev-parse', 'HEAD');
    const seen: GitCommitChanges[] = [];
    for await (const c of firstParentChanges(repo, empty)) seen.push(c);
    expect(seen.at(-1)).toEqual({ commit: empty, changes: [] });
    expect(seen).toHaveLength(commits.length + 1);
    await g('reset', '-q', '--hard', 'HEAD~1');
  });

  it('stops git when the reader stops early', async () => {
    const seen: string[] = [];
    for await (const c of firstParentChanges(repo, 'main')) {
      seen.push(c.commit);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(commits.slice(0, 2));
  });

  it('stops its git child when the reader stops early (a long history would leave git blocked on a full pipe)', async () => {
    const stop = vi.spyOn(GitChild.prototype, 'stop');
    try {
      for await (const c of firstParentChanges(repo, 'main')) {
        void c;
        break;
      }
      expect(stop).toHaveBeenCalledTimes(1);
      const child = stop.mock.contexts[0] as GitChild;
      expect(child.process.exitCode !== null || child.process.signalCode !== null).toBe(true);
    } finally {
      stop.mockRestore();
    }
  });

  it('an unknown tip is GIT_FAILED with git\'s first line', async () => {
    const seen: unknown[] = [];
    const read = async () => {
      for await (const c of firstParentChanges(repo, 'no-such-branch')) seen.push(c);
    };
    await expect(read()).rejects.toMatchObject({
      code: 'GIT_FAILED',
      message: "git log failed (exit 128): fatal: bad revision 'no-such-branch'",
    });
    expect(seen).toEqual([]); // nothing yielded before the failure
  });
});
