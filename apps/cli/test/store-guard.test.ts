import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty, gittyProcess, type CliResult } from './cli-process.js';

function expectRefused(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

// Opening a store must never turn an unrelated folder into one: only `init`, and `put`/`copy`
// into an empty or missing folder, create a store.
describe('only init (and put/copy into an empty or missing folder) creates a store', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;
  let etc: string;
  let empty: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-guard-'));
    store = path.join(dir, 'store');
    etc = path.join(dir, 'etc');
    empty = path.join(dir, 'empty');
    await mkdir(etc);
    await writeFile(path.join(etc, 'passwd'), 'root:x:0:0\n');
    await mkdir(empty);
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
    const put = await gitty(['--store', store, 'put', 'a.txt', '-'], { input: 'a\n' });
    expect(put.code, put.stderr).toBe(0);
  });
  afterAll(async () => remove());

  it('refuses to open a folder that is not a store, and leaves it as it was', async () => {
    const [ls, fsck, put, gitHelp, serve, lsEmpty, copyInto, copyFrom] = await Promise.all([
      gitty(['--store', etc, 'ls']),
      gitty(['--store', etc, '--json', 'fsck']),
      gitty(['--store', etc, 'put', 'x.txt', '-'], { input: 'x' }),
      gitty(['--store', etc, 'git', 'cat-file', '-t', 'a'.repeat(40)]),
      gitty(['--store', etc, 'serve', '--port', '0']),
      gitty(['--store', empty, 'ls']),
      gitty(['copy', store, etc]),
      gitty(['copy', etc, path.join(dir, 'never')]),
    ]);
    const fix = /is not a gitty store \(no objects\/ or ref\/ folder\) — create one with `gitty --store .* init`, or check the path/;
    for (const result of [ls, put, gitHelp, serve, copyInto, copyFrom]) expectRefused(result, 1, fix);
    expectRefused(lsEmpty, 1, /is not a gitty store/);
    expect(fsck.code).toBe(1);
    expect(fsck.json<{ error: { code: string } }>().error.code).toBe('NO_STORE');
    expect(await readdir(etc)).toEqual(['passwd']);
    expect(await readdir(empty)).toEqual([]);
    expect(await readdir(dir)).not.toContain('never');
  });

  it('creates a store with init anywhere, and with put or copy in an empty or missing folder', async () => {
    await mkdir(path.join(dir, 'put-empty'));
    const [init, putEmpty, putMissing, copyMissing] = await Promise.all([
      gitty(['--store', path.join(dir, 'init-here'), 'init']),
      gitty(['--store', path.join(dir, 'put-empty'), 'put', 'p.txt', '-'], { input: 'p\n' }),
      gitty(['--store', path.join(dir, 'put-missing', 'deep'), 'put', 'p.txt', '-'], { input: 'p\n' }),
      gitty(['copy', store, path.join(dir, 'copy-missing')]),
    ]);
    for (const result of [init, putEmpty, putMissing, copyMissing]) expect(result.code, result.stderr).toBe(0);
    await mkdir(path.join(dir, 'copy-empty'));
    const copyEmpty = await gitty(['copy', store, path.join(dir, 'copy-empty')]);
    expect(copyEmpty.code, copyEmpty.stderr).toBe(0);
    expect((await gitty(['--store', path.join(dir, 'copy-empty'), 'get', 'a.txt'])).stdout).toBe('a\n');
  });

  it('refuses an unknown driver prefix in a store argument instead of writing into ./bogus:', async () => {
    // A process of its own: "bogus:/x" would be a folder in its working directory.
    const copy = await gittyProcess(['copy', store, 'bogus:/x'], { cwd: dir });
    expectRefused(copy, 2, /Unknown driver "bogus" in "bogus:\/x" — write <driver>:<dir> with files, packs or sqlite, or \.\/bogus:\/x for a folder of that name/);
    expect(await readdir(dir)).not.toContain('bogus:');
  });

  it('does not build a sqlite index in a files store unless asked to', async () => {
    const [stats, ls] = await Promise.all([
      gitty(['--store', store, '--driver', 'sqlite', 'stats']),
      gitty(['--store', store, '--driver', 'sqlite', '--json', 'ls']),
    ]);
    expectRefused(stats, 1, /has no sqlite index \(index\.sqlite\) — build it with `gitty --store .* --driver sqlite reindex`/);
    expect(ls.json<{ error: { code: string } }>().error.code).toBe('NO_STORE');
    expect(await readdir(store)).not.toContain('index.sqlite');
    const reindex = await gitty(['--store', store, '--driver', 'sqlite', 'reindex']);
    expect(reindex.code, reindex.stderr).toBe(0);
    const after = await gitty(['--store', store, '--driver', 'sqlite', 'ls']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toMatch(/^a\.txt /);
  });
});
