import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDriver, registerDriver } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { fsckPacks } from '../src/fsck-packs.js';
import { createDriver } from '../src/index.js';
import { PackFile } from '../src/pack-reader.js';
import type { PacksDriver } from '../src/packs-driver.js';
import { blob } from './fixtures.js';

// fsck while another driver (process) merges the packs it is checking: a pack merged away, retired
// by a rescan here and closed once its 10 s grace ran out (Date.now stepped) is skipped, not an
// error. It threw "file closed" (EBADF) before. A closed pack that is still attached still fails.

registerDriver('packs', createDriver);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) await c();
});

async function twoDriversWithTwoPacks() {
  const { dir, remove } = await tempDir('gitty-fsck-race-');
  cleanups.push(remove);
  const open = async () => {
    const driver = (await openDriver({ driver: 'packs', dir, durability: 'none' })) as PacksDriver;
    cleanups.unshift(() => driver.close());
    return driver;
  };
  const a = await open();
  const b = await open();
  for (const text of ['one\n', 'two\n']) {
    const o = blob(text);
    await a.storeObject(o.hash, o.type, o.data);
    await a.repack({ minFiles: 1, smallPack: 0 });
  }
  return { a, b };
}

/** Before the first pack's checksum (or its first entry's CRC): run `during` once. */
function beforeFirstCheck(during: () => Promise<void>, step: 'checksumMatches' | 'crcOf' = 'checksumMatches'): void {
  const original = PackFile.prototype[step] as (this: PackFile, ...args: unknown[]) => Promise<unknown>;
  let ran = false;
  vi.spyOn(PackFile.prototype, step).mockImplementation(async function (this: PackFile, ...args: unknown[]) {
    if (!ran) {
      ran = true;
      await during();
    }
    return original.apply(this, args);
  } as never);
}

describe('fsck racing a repack in another driver', () => {
  it.each(['checksumMatches', 'crcOf'] as const)('skips the packs merged away and closed under it (before its %s): no issue, no error', async (step) => {
    const { a, b } = await twoDriversWithTwoPacks();
    const checked = a.packStore.packs.all.map((p) => p.path);
    expect(checked).toHaveLength(2);
    beforeFirstCheck(async () => {
      expect(await b.repack({ minFiles: 0 })).toMatchObject({ packed: 2, packsRemoved: 2 });
      await a.rescan(); // retires both
      const later = Date.now() + 11_000;
      vi.spyOn(Date, 'now').mockReturnValue(later);
      await a.rescan(); // their grace is over: closed
    }, step);
    const progress: number[] = [];
    expect(await fsckPacks(a.packStore, (p) => progress.push(p.done))).toEqual([]);
    expect(progress).toEqual([1, 2]);
    vi.restoreAllMocks();
    expect(a.packStore.packs.all.map((p) => p.path)).not.toContain(checked[0]);
    expect(await a.fsck()).toEqual([]);
  });

  it('checks a merged-away pack still in its grace as usual', async () => {
    const { a, b } = await twoDriversWithTwoPacks();
    beforeFirstCheck(async () => {
      await b.repack({ minFiles: 0 });
      await a.rescan(); // retired, still open
    });
    expect(await a.fsck()).toEqual([]);
  });

  it('a closed pack that is still attached fails the fsck with its EBADF', async () => {
    const { a } = await twoDriversWithTwoPacks();
    const [first] = a.packStore.packs.all;
    await first!.close();
    await expect(fsckPacks(a.packStore)).rejects.toMatchObject({ code: 'EBADF' });
  });
});
