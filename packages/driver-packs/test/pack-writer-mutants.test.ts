import { mkdtemp, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { PackType } from '../src/pack-format.js';
import { PackWriter } from '../src/pack-writer.js';
import { noise } from './support/exact.js';

// The writer flushes once exactly 1 MiB is pending (not only past it), and finish notices a pack
// file shorter than what it wrote instead of hashing what is left.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-writer-mutants-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('PackWriter', () => {
  it('writes out an entry that brings exactly 1 MiB pending at once; finish refuses a file cut after that', async () => {
    const file = path.join(dir, 'pack-cut.pack');
    const writer = await PackWriter.create(file, 0);
    // Stored at level 0, its entry header and zlib stream take exactly 1 MiB.
    const data = noise(1_048_411);
    await writer.addWhole(hashObject('blob', data), PackType.blob, data);
    expect(writer.size).toBe(12 + (1 << 20));
    expect((await stat(file)).size).toBe(12 + (1 << 20));
    await truncate(file, 100);
    await expect(writer.finish()).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: `Corrupt object in ${file}: ends at 100 bytes, ${12 + (1 << 20)} were written` });
    await writer.abandon();
  });
});
