import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackSet } from '../src/pack-set.js';
import { PackWriter } from '../src/pack-writer.js';
import { openFilesUnder } from './support/descriptors.js';

// A set closed while a scan is still running: the scan must not attach (and so leave open)
// packs that nobody will ever close. Checked on the process's real descriptors.

const text = (s: string) => new TextEncoder().encode(s);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-packset-close-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePack(folder: string, blobs: string[]): Promise<string> {
  const temp = path.join(folder, 'tmp.pack');
  const writer = await PackWriter.create(temp);
  for (const s of blobs) await writer.addWhole(hashObject('blob', text(s)), PackType.blob, text(s));
  const checksum = await writer.finish();
  const pack = path.join(folder, `pack-${checksum}.pack`);
  await rename(temp, pack);
  await writeFile(pack.replace(/\.pack$/, '.idx'), writePackIndex(writer.entries, checksum));
  return pack;
}

describe('PackSet closed during a scan', () => {
  it('attaches nothing and leaves no pack open when close() runs while the scan lists the folder', async () => {
    const pack = await writePack(dir, ['a\n', 'b\n']);
    const set = new PackSet(dir, 1 << 20);
    const scanning = set.scan();
    await set.close();
    await scanning;
    expect(set.all).toEqual([]);
    expect(openFilesUnder(dir)).toEqual([]);
    // A scan asked after close attaches nothing either.
    await set.scan();
    expect(set.all).toEqual([]);
    expect(openFilesUnder(dir)).toEqual([]);
    // The pack itself is untouched: a new set attaches it.
    const fresh = new PackSet(dir, 1 << 20);
    await fresh.scan();
    expect(fresh.all.map((p) => p.path)).toEqual([pack]);
    await fresh.close();
  });

  it('closes the packs it attached before close() ran, and keeps none open afterwards', async () => {
    await writePack(dir, ['c\n']);
    const set = new PackSet(dir, 1 << 20);
    await set.scan();
    expect(set.all).toHaveLength(1);
    expect(openFilesUnder(dir)).toHaveLength(1);
    await set.close();
    expect(set.all).toEqual([]);
    expect(openFilesUnder(dir)).toEqual([]);
  });
});
