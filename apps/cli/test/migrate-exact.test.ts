import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty, type CliResult } from './cli-process.js';

// copy and compare in the test process: exact text, JSON and exit statuses.

function shown(result: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

/** Run `work` with every SIGINT handler added meanwhile called at once (Ctrl-C right away). */
async function interruptedAtOnce<T>(work: () => Promise<T>): Promise<{ value: T; left: number }> {
  const before = process.listenerCount('SIGINT');
  const onListener = (event: string | symbol, listener: () => void) => {
    if (event === 'SIGINT') queueMicrotask(listener);
  };
  process.on('newListener', onListener);
  try {
    const value = await work();
    return { value, left: process.listenerCount('SIGINT') - before };
  } finally {
    process.off('newListener', onListener);
  }
}

describe('gitty copy and compare (exact)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-migrate-exact-')));
  afterAll(async () => remove());

  async function storeWith(label: string, files: Record<string, string[]>): Promise<{ dir: string; heads: Record<string, string> }> {
    const store = path.join(dir, label);
    const heads: Record<string, string> = {};
    for (const [name, versions] of Object.entries(files)) {
      for (const text of versions) heads[name] = (await gitty(['--store', store, '--json', 'put', name, '-'], { input: text })).json<{ commit: { commit: string } }>().commit.commit;
    }
    return { dir: store, heads };
  }

  it('copy reports what it copied, and nothing the second time; --json gives the report', async () => {
    const a = await storeWith('copy-src', { 'a.txt': ['1\n', '2\n'], 'b.txt': ['b\n'] });
    const to = path.join(dir, 'copy-to');
    expect(shown(await gitty(['copy', a.dir, to]))).toEqual({ code: 0, stdout: 'copied 6 objects; files: 2 updated, 0 up to date, 2 in all\n', stderr: '' });
    expect(shown(await gitty(['copy', a.dir, to]))).toEqual({ code: 0, stdout: 'copied 0 objects; files: 0 updated, 2 up to date, 2 in all\n', stderr: '' });
    expect(shown(await gitty(['copy', a.dir, `sqlite:${path.join(dir, 'copy-sq')}`]))).toEqual({ code: 0, stdout: 'copied 6 objects (raw); files: 2 updated, 0 up to date, 2 in all\n', stderr: '' });
    expect((await gitty(['--json', 'copy', a.dir, `sqlite:${path.join(dir, 'copy-sq2')}`, '--concurrency', '1'])).json()).toEqual({ files: 2, updated: 2, upToDate: 0, objects: 6, raw: true, diverged: [], interrupted: false });
    expect(shown(await gitty(['compare', a.dir, to]))).toEqual({ code: 0, stdout: 'identical: 2 files, 3 versions\n', stderr: '' });
    expect(shown(await gitty(['compare', '--quick', a.dir, to]))).toEqual({ code: 0, stdout: 'identical: 2 files\n', stderr: '' });
  });

  it('copy leaves a diverged file as it is and exits 1; compare lists what differs', async () => {
    const a = await storeWith('div-a', { 'a.txt': ['1\n', '2\n'], 'b.txt': ['b\n'] });
    const b = await storeWith('div-b', { 'a.txt': ['other\n'], 'c.txt': ['c\n'] });
    const [ha, hb] = [a.heads['a.txt']!.slice(0, 10), b.heads['a.txt']!.slice(0, 10)];
    expect(shown(await gitty(['compare', a.dir, b.dir]))).toEqual({
      code: 1, stdout: `different: 0 files identical\n  only in ${a.dir}: b.txt\n  only in ${b.dir}: c.txt\n  differs: a.txt (${ha} vs ${hb})\n`, stderr: '',
    });
    expect(shown(await gitty(['copy', a.dir, b.dir]))).toEqual({
      code: 1, stdout: `copied 2 objects; files: 1 updated, 0 up to date, 2 in all\n  diverged a.txt: source ${ha}, target ${hb} (left as it is)\n`, stderr: '',
    });
  });

  it('compare names an object missing from a history', async () => {
    const a = await storeWith('miss-a', { 'a.txt': ['1\n', '2\n'] });
    const copy = path.join(dir, 'miss-copy');
    expect((await gitty(['copy', a.dir, copy])).code).toBe(0);
    const first = hashObject('blob', new TextEncoder().encode('1\n'));
    await rm(path.join(copy, 'objects', first.slice(0, 2), first.slice(2)));
    expect(shown(await gitty(['compare', a.dir, copy]))).toEqual({ code: 1, stdout: `different: 1 files identical\n  missing in ${copy}: ${first} (history of a.txt)\n`, stderr: '' });
    expect(shown(await gitty(['compare', copy, a.dir]))).toEqual({ code: 1, stdout: `different: 1 files identical\n  missing in ${copy}: ${first} (history of a.txt)\n`, stderr: '' });
  });

  it('copy stops at the first Ctrl-C with status 130, both stores valid, and removes its handler; refuses a bad --concurrency', async () => {
    const a = await storeWith('int-a', { 'a.txt': ['1\n'], 'b.txt': ['b\n'] });
    const { value, left } = await interruptedAtOnce(() => gitty(['copy', a.dir, path.join(dir, 'int-to')]));
    expect(shown(value)).toEqual({
      code: 130,
      stdout: 'interrupted after copying 0 objects; files: 0 updated, 0 up to date, 2 in all\n',
      stderr: 'gitty: copy interrupted; both stores are valid — run the same command again to finish\n',
    });
    expect(left).toBe(0);
    expect(shown(await gitty(['copy', '--concurrency', '0', a.dir, path.join(dir, 'int-to')]))).toEqual({ code: 2, stdout: '', stderr: 'gitty: Invalid --concurrency "0" — give a whole number of at least 1\n' });
  });
});
