import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { createDelta } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';
import { entryHeader, ofsDeltaDistance, PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackWriter } from '../src/pack-writer.js';

// Our packs must be packs git reads: `git index-pack` on what PackWriter wrote must produce the
// very idx we write from its entries (offsets, CRCs and hashes, deltas resolved), and the
// header, entry headers and trailer are checked byte for byte.

const text = (s: string) => new TextEncoder().encode(s);
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function gitIndex(pack: string): Buffer {
  const idx = pack.replace(/\.pack$/, '.git.idx');
  execFileSync('git', ['index-pack', '-o', idx, pack], { cwd: dir, env: { ...process.env, HOME: dir, GIT_CONFIG_NOSYSTEM: '1' } });
  return execFileSync('cat', [idx]);
}

describe('PackWriter', () => {
  it('writes whole objects and OFS_DELTA entries that git indexes to our idx', async () => {
    const file = path.join(dir, 'a.pack');
    const writer = await PackWriter.create(file);
    expect(writer.size).toBe(12);
    expect(writer.path).toBe(file);
    const base = text(Array.from({ length: 200 }, (_, i) => `line ${i}\n`).join(''));
    const target = text(new TextDecoder().decode(base).replace('line 100', 'LINE ONE HUNDRED'));
    const small = text('hello\n');
    const baseHash = hashObject('blob', base);
    const at1 = await writer.addWhole(hashObject('blob', small), PackType.blob, small);
    const at2 = await writer.addWhole(baseHash, PackType.blob, base);
    const delta = createDelta(new DeltaIndex(base), target)!;
    const at3 = await writer.addOfsDelta(hashObject('blob', target), at2, delta);
    const smaller = await writer.addSmaller(hashObject('blob', text(new TextDecoder().decode(target) + 'more\n')), PackType.blob, text(new TextDecoder().decode(target) + 'more\n'), {
      offset: at3,
      delta: createDelta(new DeltaIndex(target), text(new TextDecoder().decode(target) + 'more\n'))!,
    });
    const noise = randomBytes(64);
    const whole = await writer.addSmaller(hashObject('blob', noise), PackType.blob, noise, { offset: at1, delta: createDelta(new DeltaIndex(small), noise)! });
    const plain = await writer.addSmaller(hashObject('tree', new Uint8Array(0)), PackType.tree, new Uint8Array(0));
    expect([at1, smaller.delta, whole.delta, plain.delta]).toEqual([12, true, false, false]);
    expect(writer.entries.map((e) => e.offset)).toEqual([at1, at2, at3, smaller.offset, whole.offset, plain.offset]);
    const size = writer.size;
    const checksum = await writer.finish();

    const bytes = await readFile(file);
    expect(bytes.length).toBe(size + 20);
    expect(bytes.subarray(0, 12).toString('hex')).toBe('5041434b' + '00000002' + '00000006');
    expect(createHash('sha1').update(bytes.subarray(0, size)).digest('hex')).toBe(checksum);
    expect(bytes.subarray(size).toString('hex')).toBe(checksum);
    expect([...bytes.subarray(at1, at1 + 1)]).toEqual(entryHeader(PackType.blob, 6));
    const deltaHead = [...entryHeader(PackType.ofsDelta, delta.length), ...ofsDeltaDistance(at3 - at2)];
    expect([...bytes.subarray(at3, at3 + deltaHead.length)]).toEqual(deltaHead);
    expect(zlib.inflateSync(bytes.subarray(at3 + deltaHead.length, smaller.offset)).equals(Buffer.from(delta))).toBe(true);
    // Each CRC covers the entry's header and compressed payload.
    const ends = [...writer.entries.map((e) => e.offset).slice(1), size];
    writer.entries.forEach((e, i) => expect(e.crc).toBe(zlib.crc32(bytes.subarray(e.offset, ends[i]))));
    expect(gitIndex(file).equals(writePackIndex(writer.entries, checksum))).toBe(true);
    expect((await stat(file)).mode & 0o777).toBe(0o444 & ~process.umask());
  });

  it('streams entries larger than its flush size and packs past a megabyte', async () => {
    const file = path.join(dir, 'big.pack');
    const writer = await PackWriter.create(file, 1);
    const big = randomBytes(1_300_000);
    const after = text('after\n');
    await writer.addWhole(hashObject('blob', big), PackType.blob, big);
    await writer.addWhole(hashObject('blob', after), PackType.blob, after);
    const checksum = await writer.finish();
    const bytes = await readFile(file);
    expect(createHash('sha1').update(bytes.subarray(0, bytes.length - 20)).digest('hex')).toBe(checksum);
    expect(gitIndex(file).equals(writePackIndex(writer.entries, checksum))).toBe(true);
  });

  it('refuses to overwrite a file, and an abandoned pack is left to the caller', async () => {
    const file = path.join(dir, 'x.pack');
    const writer = await PackWriter.create(file);
    await expect(PackWriter.create(file)).rejects.toMatchObject({ code: 'EEXIST' });
    await writer.addWhole(hashObject('blob', text('a')), PackType.blob, text('a'));
    await writer.abandon();
    await writer.abandon();
    expect([...(await readFile(file))]).toEqual([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, 0, 0, 0, 0]);
  });
});
