import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { run, tempDir, tsNodeArgs, waitFor } from '@gitty/driver-test/harness';
import { registerBuiltinDrivers } from '../src/drivers.js';
import { MAIN, collectOutput, gitty, startGitty } from './cli-process.js';

interface Listed { name: string; head: string }
interface CopyReport { files: number; updated: number; upToDate: number; objects: number; raw: boolean; diverged: unknown[]; interrupted: boolean }

/** A files store with `files` files of `versions` versions each (plus one binary file), written through the API. */
async function fillStore(dir: string, files: number, versions: number): Promise<void> {
  registerBuiltinDrivers();
  const store: Store = await openStore({ driver: 'files', dir, durability: 'none' });
  try {
    const names = Array.from({ length: files }, (_, i) => `file-${String(i).padStart(4, '0')}.txt`);
    await Promise.all(names.map(async (name) => {
      let head = (await store.create(name, `${name} v0\n`, { author: 'jan', tags: ['t0'] })).commit;
      for (let v = 1; v < versions; v++) head = (await store.update(name, `${name} v${v}\n`, { previous: head, tags: [`t${v}`] })).commit;
    }));
    await store.create('image.bin', new Uint8Array([0, 255, 1, 254, 2, 253]));
  } finally {
    await store.close();
  }
}

describe('copy and compare', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-copy-')));
  afterAll(async () => remove());

  it('round-trips files → sqlite → packs → files with every hash preserved, incrementally', async () => {
    const src = path.join(dir, 'src');
    await fillStore(src, 20, 3);
    const hops = [[src, `sqlite:${dir}/a`], [`sqlite:${dir}/a`, `packs:${dir}/b`], [`packs:${dir}/b`, `${dir}/c`]] as const;
    for (const [from, to] of hops) {
      const copy = await gitty(['--json', 'copy', from, to]);
      expect(copy.code, copy.stderr).toBe(0);
      expect(copy.stderr).toBe(''); // piped: no progress bar
      expect(copy.json<CopyReport>()).toMatchObject({ files: 21, updated: 21, upToDate: 0, objects: 20 * 3 * 2 + 2, diverged: [], interrupted: false });
    }
    const [compareAll, lsSrc, lsEnd, logSrc, logEnd, fsck] = await Promise.all([
      gitty(['compare', src, `${dir}/c`]),
      gitty(['--json', 'ls', '--store', src]),
      gitty(['--json', 'ls', '--store', `${dir}/c`]),
      gitty(['--json', 'log', 'file-0007.txt', '--store', src]),
      gitty(['--json', 'log', 'file-0007.txt', '--store', `${dir}/c`]),
      gitty(['--json', 'fsck', '--store', `${dir}/c`]),
    ]);
    expect(compareAll.code, compareAll.stderr).toBe(0);
    expect(compareAll.stdout).toBe('identical: 21 files, 61 versions\n');
    const heads = (r: typeof lsSrc) => r.json<Listed[]>().map(({ name, head }) => [name, head]);
    expect(heads(lsEnd)).toEqual(heads(lsSrc));
    expect(logEnd.json()).toEqual(logSrc.json());
    expect(fsck.json()).toMatchObject({ ok: true, counts: { objects: 122, heads: 21 } });

    // A second run copies nothing; a new version is all the third run copies.
    const again = await gitty(['--json', 'copy', src, `sqlite:${dir}/a`]);
    expect(again.json<CopyReport>()).toMatchObject({ updated: 0, upToDate: 21, objects: 0 });
    expect((await gitty(['--store', src, 'put', 'file-0003.txt', '-'], { input: 'new\n' })).code).toBe(0);
    const different = await gitty(['compare', src, `sqlite:${dir}/a`]);
    const next = await gitty(['copy', src, `sqlite:${dir}/a`]);
    expect(different.code).toBe(1);
    expect(different.stdout).toMatch(/^different: 20 files identical\n {2}differs: file-0003.txt \([0-9a-f]{10} vs [0-9a-f]{10}\)\n$/);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^copied 2 objects( \(raw\))?; files: 1 updated, 20 up to date, 21 in all\n$/);
    expect((await gitty(['--json', 'compare', src, `sqlite:${dir}/a`])).json()).toMatchObject({ identical: true, files: 21, versions: 62 });
  });

  it('shows a progress bar with counts and rate on a terminal, and colours', async () => {
    const src = path.join(dir, 'tty-src');
    await fillStore(src, 30, 1);
    // util-linux `script` gives the child a pseudo-terminal for stdout and stderr.
    const command = [process.execPath, ...tsNodeArgs(MAIN, ['copy', src, path.join(dir, 'tty-dst')])].join(' ');
    const result = await run('script', ['-qec', command, '/dev/null'], { env: { ...process.env, NO_COLOR: undefined, TERM: 'xterm' } });
    const screen = result.stdout.toString();
    expect(result.code, screen).toBe(0);
    expect(screen).toMatch(/copy files \[[#-]{24}\] \d+\/31 \d+\/s/);
    expect(screen).toContain('\u001b[32mcopied\u001b[39m 62 objects');
  });

  it('leaves a diverged file alone and reports it', async () => {
    const [x, y] = [path.join(dir, 'x'), path.join(dir, 'y')];
    for (const [store, text] of [[x, 'mine\n'], [y, 'theirs\n']] as const) {
      const opened = await openStore({ driver: 'files', dir: store, durability: 'none' });
      await opened.create('same.txt', text);
      await opened.close();
    }
    const copy = await gitty(['copy', x, y]);
    expect(copy.code).toBe(1);
    expect(copy.stdout).toMatch(/^copied 0 objects.*\n {2}diverged same.txt: source [0-9a-f]{10}, target [0-9a-f]{10} \(left as it is\)\n$/);
    expect((await gitty(['--store', y, 'get', 'same.txt'])).stdout).toBe('theirs\n');
  });

  it('stops on Ctrl-C with both stores valid, and a rerun completes', async () => {
    const src = path.join(dir, 'big');
    const dst = path.join(dir, 'big-copy');
    await fillStore(src, 400, 2);
    const child = startGitty(['copy', src, dst, '--concurrency', '1']);
    const output = collectOutput(child);
    // Interrupt once the copy has visibly started writing objects.
    await waitFor(async () => (await readdir(path.join(dst, 'objects')).catch(() => [])).filter((d) => d.length === 2).length >= 3, 30_000, 5);
    child.kill('SIGINT');
    const { code } = await output.exited;
    expect(code, output.stderr()).toBe(130);
    expect(output.stdout()).toMatch(/^interrupted after copying \d+ objects( \(raw\))?; files: \d+ updated, 0 up to date, 401 in all\n$/);
    expect(output.stderr()).toContain('copy interrupted; both stores are valid — run the same command again to finish');

    const [fsckSrc, fsckDst, partial] = await Promise.all([
      gitty(['--json', 'fsck', '--store', src]),
      gitty(['--json', 'fsck', '--store', dst]),
      gitty(['--json', 'compare', '--quick', src, dst]),
    ]);
    expect(fsckSrc.json()).toMatchObject({ ok: true });
    expect(fsckDst.json()).toMatchObject({ ok: true });
    expect(partial.code).toBe(1);
    const done = partial.json<{ files: number; onlyInA: string[] }>();
    expect(done.onlyInA.length).toBeGreaterThan(0);

    const rerun = await gitty(['--json', 'copy', src, dst]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.json<CopyReport>()).toMatchObject({ upToDate: done.files, updated: 401 - done.files, interrupted: false });
    const compare = await gitty(['compare', src, dst]);
    expect(compare.stdout).toBe('identical: 401 files, 801 versions\n');
  });
});
