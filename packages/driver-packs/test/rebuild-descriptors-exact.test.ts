import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeCommit, hashObject, openDriver, registerDriver } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import type { PacksDriver } from '../src/packs-driver.js';
import { blob } from './fixtures.js';
import { openFilesUnder } from './support/descriptors.js';

// A heads rebuild of a packs store (its head log gone) reads the packs through a pack set of its
// own: once the rebuild is done that set must be closed, not left for GC to close (Node warns,
// and says a later version may throw). Checked on the process's real descriptors.

registerDriver('packs', createDriver);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

describe('a heads rebuild of a packs store', () => {
  it('restores the head from a packed commit and leaves only the driver\'s own pack open, none after close', async () => {
    const { dir, remove } = await tempDir('gitty-packs-rebuild-fd-');
    cleanups.push(remove);
    const open = () => openDriver({ driver: 'packs', dir, durability: 'none' }) as Promise<PacksDriver>;
    const first = await open();
    const data = blob('version one\n');
    await first.storeObject(data.hash, data.type, data.data);
    const body = encodeCommit({ name: 'notes.md', data: data.hash, time: 1 });
    const commit = { hash: hashObject('commit', body), data: body };
    await first.storeObject(commit.hash, 'commit', commit.data);
    await first.updateHead('notes.md', null, commit.hash);
    const report = await first.repack({ minFiles: 1 });
    expect(report.packed).toBe(2);
    await first.close();
    expect(openFilesUnder(dir, '.pack')).toEqual([]);

    rmSync(path.join(dir, 'ref', 'head'));
    const second = await open();
    try {
      expect(await second.getHead('notes.md')).toBe(commit.hash);
      // One descriptor: the driver's attached pack. The rebuild's own set added a second one.
      expect(openFilesUnder(dir, '.pack')).toEqual([report.pack]);
    } finally {
      await second.close();
    }
    expect(openFilesUnder(dir, '.pack')).toEqual([]);
  });
});
