import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackWriter } from '../src/pack-writer.js';
import { verifyWrittenPack } from '../src/verify-pack.js';

// A repack removes what a new pack replaces only after this check: each refusal must be exact,
// and a pack that is whole must pass.

const text = (s: string) => new TextEncoder().encode(s);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-verify-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePack(blobs: string[]): Promise<{ pack: string; hashes: string[] }> {
  const temp = path.join(dir, 'tmp-1.pack');
  const writer = await PackWriter.create(temp);
  const hashes: string[] = [];
  for (const blob of blobs) {
    const hash = hashObject('blob', text(blob));
    await writer.addWhole(hash, PackType.blob, text(blob));
    hashes.push(hash);
  }
  const checksum = await writer.finish();
  const pack = path.join(dir, `pack-${checksum}.pack`);
  await rename(temp, pack);
  await writeFile(pack.replace(/\.pack$/, '.idx'), writePackIndex(writer.entries, checksum));
  return { pack, hashes };
}

describe('verifyWrittenPack', () => {
  it('passes a whole pack holding every hash asked for', async () => {
    const { pack, hashes } = await writePack(['one\n', 'two\n']);
    await expect(verifyWrittenPack(pack, hashes, 1 << 20)).resolves.toBeUndefined();
    await expect(verifyWrittenPack(pack, [], 1 << 20)).resolves.toBeUndefined();
  });

  it('refuses a pack that lacks an object, naming the object and the pack', async () => {
    const { pack, hashes } = await writePack(['one\n']);
    const missing = hashObject('blob', text('absent\n'));
    await expect(verifyWrittenPack(pack, [...hashes, missing], 1 << 20)).rejects.toMatchObject({
      code: 'CORRUPT_OBJECT',
      message: `Corrupt object ${missing} in ${pack}: the written pack lacks this object`,
    });
  });

  it('refuses a pack whose bytes no longer match its trailer', async () => {
    const { pack, hashes } = await writePack(['one\n', 'two\n']);
    const bytes = await readFile(pack);
    // The entry count in the header: the trailer and idx stay as they were.
    bytes.writeUInt8(bytes.readUInt8(11) ^ 0x40, 11);
    await rm(pack);
    await writeFile(pack, bytes);
    await expect(verifyWrittenPack(pack, hashes, 1 << 20)).rejects.toMatchObject({
      code: 'CORRUPT_OBJECT',
      message: `Corrupt object in ${pack}: pack holds ${2 ^ 0x40} entries, its idx 2`,
    });
    bytes.writeUInt8(bytes.readUInt8(11) ^ 0x40, 11);
    bytes.writeUInt8(bytes.readUInt8(12) ^ 0x01, 12); // the first entry's header
    await rm(pack);
    await writeFile(pack, bytes);
    await expect(verifyWrittenPack(pack, hashes, 1 << 20)).rejects.toMatchObject({
      code: 'CORRUPT_OBJECT',
      message: `Corrupt object in ${pack}: the written pack does not match its checksum`,
    });
  });
});
