import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { barClearedBeforeResult, onTerminal } from './support/terminal.js';

// The maintenance commands on a terminal: each draws its progress bar on stderr and clears it
// before the result is printed; repack stops at the first Ctrl-C with status 130.

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

describe('maintenance commands on a terminal', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-maint-bars-')));
  afterAll(async () => remove());

  async function storeWith(label: string, files = 3): Promise<string[]> {
    const s = ['--store', path.join(dir, label)];
    for (let i = 0; i < files; i++) expect((await gitty([...s, 'put', `f${i}.txt`, '-'], { input: `${i}\n` })).code).toBe(0);
    return s;
  }

  it('fsck, stats and gc clear their bars before printing', async () => {
    const s = await storeWith('plain');
    const fsck = await onTerminal([...s, 'fsck']);
    expect([fsck.code, fsck.stdout]).toEqual([0, 'ok: 6 objects (3 commits, 3 blobs, 0 other), 3 heads, 0 corrupt\n']);
    barClearedBeforeResult(fsck, 'fsck');
    // A refused save leaves its blob and commit unreachable: gc has two candidates to report.
    const first = (await gitty([...s, '--json', 'put', 'f0.txt', '-'], { input: 'again\n' })).json<{ commit: { previous: string } }>().commit.previous;
    expect((await gitty([...s, 'put', 'f0.txt', '-', '--expect', first], { input: 'stale\n' })).code).toBe(1);
    const gc = await onTerminal([...s, 'gc', '--grace', '0']);
    expect([gc.code, gc.stdout]).toEqual([0, '8 reachable, 2 unreachable: deleted 2, kept 0 younger than 0\n']);
    barClearedBeforeResult(gc, 'gc');
    const stats = await onTerminal([...s, 'stats']);
    expect(stats.code).toBe(0);
    barClearedBeforeResult(stats, 'stats');
  });

  it('repack and unpack clear their bars before printing', async () => {
    const s = [...(await storeWith('packs')), '--driver', 'packs'];
    const repack = await onTerminal([...s, 'repack']);
    expect(repack.code).toBe(0);
    expect(repack.stdout).toMatch(/^packed 6 objects \(\d+ deltas\) into \d+(\.\d)? (B|KiB); removed 6 loose objects and 0 packs\n$/);
    barClearedBeforeResult(repack, 'repack');
    const unpack = await onTerminal([...s, 'unpack']);
    expect([unpack.code, unpack.stdout]).toEqual([0, 'unpacked 6 objects\n']);
    barClearedBeforeResult(unpack, 'unpack');
  });

  it('reindex clears its bar before printing', async () => {
    const s = [...(await storeWith('sqlite')), '--driver', 'sqlite'];
    const reindex = await onTerminal([...s, 'reindex']);
    expect([reindex.code, reindex.stdout]).toEqual([0, 'reindexed\n']);
    barClearedBeforeResult(reindex, 'reindex');
  });

  it('repack stops at the first Ctrl-C with status 130, leaves every object loose, and removes its handler', async () => {
    const s = [...(await storeWith('interrupted')), '--driver', 'packs'];
    const { value, left } = await interruptedAtOnce(() => gitty([...s, 'repack']));
    expect({ code: value.code, stdout: value.stdout, stderr: value.stderr }).toEqual({ code: 130, stdout: '', stderr: 'gitty: repack interrupted; the store is valid — run it again to pack\n' });
    expect(left).toBe(0);
    const stats = (await gitty([...s, '--json', 'stats'])).json<{ driverStats: Record<string, number> }>().driverStats;
    expect([stats.looseObjects, stats.packs]).toEqual([6, 0]);
    expect((await gitty([...s, 'fsck'])).stdout).toBe('ok: 6 objects (3 commits, 3 blobs, 0 other), 3 heads, 0 corrupt\n');
  });
});
