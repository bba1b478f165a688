import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PackSet } from '../src/pack-set.js';

// PackSet's scan bookkeeping seen from outside: a finished scan no longer counts as running, and
// a closed set scans nothing at all.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-packset-mutants-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const garbageIdx = (folder: string) => writeFile(path.join(folder, `pack-${'ab'.repeat(20)}.idx`), 'not an idx');

describe('PackSet.scan', () => {
  it('after a scan has finished, two back-to-back calls start a scan and queue a second one (two different promises)', async () => {
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    // The first call starts a scan at once; the second, made while that one runs, gets the scan
    // queued after it. Had the finished scan stayed marked as running, both would get one queue.
    const first = set.scan();
    const second = set.scan();
    expect(second).not.toBe(first);
    // A third call joins the queued scan.
    expect(set.scan()).toBe(second);
    await Promise.all([first, second]);
    await set.close();
  });

  it('after close(), a scan does nothing: a corrupt idx is not listed as broken', async () => {
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    await set.close();
    await garbageIdx(dir);
    await set.scan();
    expect(set.broken).toEqual([]);
    // The same folder, scanned by a set that is open, does list it.
    const open = new PackSet(dir, 1 << 20);
    await open.scan();
    expect(open.broken.map((b) => path.basename(b.path))).toEqual([`pack-${'ab'.repeat(20)}.pack`]);
    await open.close();
  });

  it('after close(), a scan does nothing: a folder replaced by a file does not make it fail', async () => {
    const folder = path.join(dir, 'pack');
    const set = new PackSet(folder, 1 << 20);
    await set.close();
    await writeFile(folder, 'a file, not a folder');
    await expect(set.scan()).resolves.toBeUndefined();
    expect(set.broken).toEqual([]);
  });
});
