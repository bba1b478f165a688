import { readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { syncFolder, writeSynced } from '../src/pack-io.js';
import { openFilesUnder } from './support/descriptors.js';

// The helpers close what they open, after success and after failure: read from the kernel's
// list of this process's descriptors (/proc/self/fd).

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-packio-mutants-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** How many descriptors of this process point at exactly `target`. */
function openOn(target: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === target) n++;
    } catch {
      // closed since the listing
    }
  }
  return n;
}

describe('pack-io descriptors', () => {
  it('writeSynced closes the file it wrote, and the one it could not write', async () => {
    await writeSynced(path.join(dir, 'pack-1.idx'), Uint8Array.from([1, 2, 3]));
    expect(openFilesUnder(dir)).toEqual([]);
    await expect(writeSynced(path.join(dir, 'pack-1.idx'), Uint8Array.from([4]))).rejects.toMatchObject({ code: 'EEXIST' });
    expect(openFilesUnder(dir)).toEqual([]);
  });

  it('syncFolder closes the folder it synced', async () => {
    const before = openOn(dir);
    await syncFolder(dir);
    expect(openOn(dir)).toBe(before);
  });
});
