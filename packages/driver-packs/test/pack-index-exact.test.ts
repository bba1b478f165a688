import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackIndex, writePackIndex } from '../src/pack-index.js';
import type { PackedEntry } from '../src/pack-writer.js';
import { corrupt, failure } from './support/exact.js';

// The .idx we write must be the very bytes git's index-pack writes (git reads our packs), and
// the reader must find every object, offsets past 2^31 included, and refuse broken files exactly.

const git = (cwd: string, args: string[], input?: Buffer | string) => execFileSync('git', args, { cwd, input, env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: cwd } });
const CHECKSUM = 'c0ffee'.padEnd(40, '0');
/** `git show-index` on idx bytes: offset, hash and crc per line. */
function showIndex(cwd: string, idx: Buffer): PackedEntry[] {
  return git(cwd, ['show-index'], idx).toString().trim().split('\n').map((line) => {
    const [offset, hash, crc] = line.split(' ');
    return { offset: Number(offset), hash: hash!, crc: Number.parseInt(crc!.slice(1, -1), 16) };
  });
}

function withChecksum(bytes: Buffer): Buffer {
  createHash('sha1').update(bytes.subarray(0, bytes.length - 20)).digest().copy(bytes, bytes.length - 20);
  return bytes;
}

let dir: string;
let gitIdx: Buffer;
let gitPackChecksum: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-idx-'));
  git(dir, ['init', '-q']);
  for (let i = 0; i < 40; i++) writeFileSync(path.join(dir, `f${i}`), `file ${i}\n`.repeat(1 + i));
  git(dir, ['add', '.']);
  git(dir, ['-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'c']);
  const objects = git(dir, ['rev-list', '--objects', '--all']);
  gitPackChecksum = git(dir, ['pack-objects', '-q', 'out'], objects).toString().trim();
  gitIdx = readFileSync(path.join(dir, `out-${gitPackChecksum}.idx`));
  expect(readdirSync(dir).filter((f) => f.startsWith('out-'))).toHaveLength(2);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writePackIndex', () => {
  it('writes the bytes git writes for the same pack, whatever the entry order', () => {
    const entries = showIndex(dir, gitIdx);
    expect(entries).toHaveLength(42);
    expect(writePackIndex(entries, gitPackChecksum).equals(gitIdx)).toBe(true);
    expect(writePackIndex([...entries].reverse(), gitPackChecksum).equals(gitIdx)).toBe(true);
  });

  it('puts offsets past 2^31 - 1 in the large-offset table, as git reads them back', () => {
    const entries: PackedEntry[] = [
      { hash: '01'.repeat(20), offset: 0x7fffffff, crc: 1 },
      { hash: '02'.repeat(20), offset: 0x80000000, crc: 0xfedcba98 },
      { hash: 'ff'.repeat(20), offset: 2 ** 40 + 5, crc: 3 },
      { hash: '00'.repeat(20), offset: 12, crc: 4 },
    ];
    const idx = writePackIndex(entries, CHECKSUM);
    expect(idx.length).toBe(8 + 1024 + 4 * 28 + 2 * 8 + 40);
    const offsets = 8 + 1024 + 4 * 24;
    expect(idx.subarray(offsets, offsets + 32).toString('hex')).toBe('0000000c' + '7fffffff' + '80000000' + '80000001' + '0000000080000000' + '0000010000000005');
    expect(showIndex(dir, idx)).toEqual([...entries].sort((a, b) => a.hash.localeCompare(b.hash)));
    const index = new PackIndex(idx, 'pack-1.idx');
    expect([0, 1, 2, 3].map((i) => index.offsetAt(i))).toEqual([12, 0x7fffffff, 0x80000000, 2 ** 40 + 5]);
    expect([0, 1, 2, 3].map((i) => index.crcAt(i))).toEqual([4, 1, 0xfedcba98, 3]);
  });

  it('writes an empty index that reads back', () => {
    const idx = writePackIndex([], CHECKSUM);
    expect(idx.length).toBe(1072);
    expect(idx.subarray(0, 8).toString('hex')).toBe('ff744f6300000002');
    const index = new PackIndex(idx, 'w');
    expect(index.count).toBe(0);
    expect(index.packChecksum).toBe(CHECKSUM);
    expect(index.find('ab'.repeat(20))).toBe(-1);
    expect([...index.hashes()]).toEqual([]);
  });
});

describe('PackIndex lookups', () => {
  it('reads git\'s index: count, checksum, every hash, crc and offset', () => {
    const index = new PackIndex(gitIdx, 'w');
    const entries = showIndex(dir, gitIdx);
    expect(index.count).toBe(42);
    expect(index.packChecksum).toBe(gitPackChecksum);
    expect([...index.hashes()]).toEqual(entries.map((e) => e.hash));
    entries.forEach((e, i) => {
      expect(index.find(e.hash)).toBe(i);
      expect(index.hashAt(i)).toBe(e.hash);
      expect(index.crcAt(i)).toBe(e.crc);
      expect(index.offsetAt(i)).toBe(e.offset);
    });
  });

  it('binary-searches within crowded buckets, the first and the last bucket included', () => {
    const hashes: string[] = [];
    for (const first of ['00', '7f', 'ab', 'ff']) for (let i = 0; i < 37; i++) hashes.push(first + (i * 6 + 1).toString(16).padStart(2, '0').repeat(19));
    const index = new PackIndex(writePackIndex(hashes.map((hash, i) => ({ hash, offset: 12 + i, crc: i })), CHECKSUM), 'w');
    const sorted = [...hashes].sort();
    sorted.forEach((hash, i) => {
      expect(index.find(hash)).toBe(i);
      expect(index.offsetAt(i)).toBe(12 + hashes.indexOf(hash));
    });
    for (const first of ['00', '7f', 'ab', 'ff', '01', '80']) {
      for (const missing of ['00', '03', '80', 'fe', 'ff']) expect(index.find(first + missing.repeat(19))).toBe(-1);
    }
  });
});

describe('PackIndex refusals', () => {
  const good = () => Buffer.from(writePackIndex([{ hash: 'ab'.repeat(20), offset: 12, crc: 7 }, { hash: 'cd'.repeat(20), offset: 40, crc: 8 }], CHECKSUM));

  it('refuses what is not a version 2 index', () => {
    const notV2 = corrupt('pack-2.idx', 'not a version 2 pack index');
    expect(failure(() => new PackIndex(good().subarray(0, 1071), 'pack-2.idx'))).toMatchObject(notV2);
    const magic = good();
    magic[3] = 0x64;
    expect(failure(() => new PackIndex(magic, 'pack-2.idx'))).toMatchObject(notV2);
    const version = good();
    version[7] = 3;
    expect(failure(() => new PackIndex(version, 'pack-2.idx'))).toMatchObject(notV2);
  });

  it('refuses a fanout that goes down', () => {
    const bytes = good();
    bytes.writeUInt32BE(3, 8 + 0xab * 4);
    expect(failure(() => new PackIndex(bytes, 'w'))).toMatchObject(corrupt('w', 'pack index fanout is not monotonic'));
  });

  it('refuses a size that fits no layout, and accepts any number of large offsets', () => {
    const bytes = good();
    expect(failure(() => new PackIndex(Buffer.concat([bytes, Buffer.alloc(4)]), 'w'))).toMatchObject(corrupt('w', 'pack index has 1132 bytes, not a layout for 2 objects'));
    expect(failure(() => new PackIndex(bytes.subarray(0, bytes.length - 8), 'w'))).toMatchObject(corrupt('w', 'pack index has 1120 bytes, not a layout for 2 objects'));
    const larger = Buffer.concat([bytes.subarray(0, bytes.length - 40), Buffer.alloc(8), bytes.subarray(bytes.length - 40)]);
    expect(new PackIndex(withChecksum(larger), 'w').count).toBe(2);
  });

  it('refuses a checksum mismatch', () => {
    const bytes = good();
    bytes.writeUInt8(bytes.readUInt8(8 + 1024 + 40) ^ 1, 8 + 1024 + 40);
    expect(failure(() => new PackIndex(bytes, 'w'))).toMatchObject(corrupt('w', 'pack index checksum mismatch'));
  });

  it('refuses a large offset outside the large-offset table', () => {
    const idx = writePackIndex([{ hash: 'ab'.repeat(20), offset: 2 ** 33, crc: 1 }, { hash: 'cd'.repeat(20), offset: 2 ** 34, crc: 1 }], CHECKSUM);
    const offsets = 8 + 1024 + 2 * 24;
    idx.writeUInt32BE(0x80000002, offsets + 4);
    const index = new PackIndex(withChecksum(idx), 'pack-3.idx');
    expect(index.offsetAt(0)).toBe(2 ** 33);
    expect(failure(() => index.offsetAt(1))).toMatchObject(corrupt('pack-3.idx', 'bad large offset for entry 1'));
    idx.writeUInt32BE(0x80000001, offsets + 4);
    expect(new PackIndex(withChecksum(idx), 'w').offsetAt(1)).toBe(2 ** 34);
  });
});
