import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject } from '@gitty/core';
import { BaseCache, ByteLru } from '../src/base-cache.js';
import { PackType } from '../src/pack-format.js';
import { PackFile } from '../src/pack-reader.js';
import { openFilesUnder } from './support/descriptors.js';
import { appendDelta, buildPack, ofsDelta, whole } from './support/hand-pack.js';

// What the reader keeps and lets go of, seen from outside: a refused open leaves no descriptor
// open, close forgets the pack's delta bases, a chunk once read is served from memory (packs never
// change, so the reader never reads it again), and the first idx position is found.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-reader-mutants-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = (s: string) => Buffer.from(s, 'latin1');
const corrupt = (where: string, reason: string) => ({ code: 'CORRUPT_OBJECT', message: `Corrupt object in ${where}: ${reason}` });

describe('PackFile', () => {
  it('a refused open closes the pack file it opened', async () => {
    const good = [whole(PackType.blob, text('hello\n'))];
    const cases: [string, string][] = [
      [await buildPack(dir, good, { tail: (b) => b.subarray(0, 31) }), 'pack file is truncated'],
      [await buildPack(dir, good, { tail: (b) => Buffer.concat([text('PACX'), b.subarray(4)]) }), 'not a version 2 pack'],
      [await buildPack(dir, good, { count: 2 }), 'pack holds 2 entries, its idx 1'],
      [await buildPack(dir, good, { tail: (b) => Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1]! ^ 1])]) }), 'pack trailer does not match its idx'],
    ];
    for (const [file, reason] of cases) {
      await expect(PackFile.open(file, 1 << 20, new BaseCache())).rejects.toMatchObject(corrupt(file, reason));
      expect([reason, openFilesUnder(dir)]).toEqual([reason, []]);
    }
    const pack = await PackFile.open(await buildPack(dir, good), 1 << 20, new BaseCache());
    expect(openFilesUnder(dir, '.pack')).toEqual([pack.path]);
    await pack.close();
    expect(openFilesUnder(dir)).toEqual([]);
  });

  it('close forgets the delta bases it cached', async () => {
    const base = text('0123456789abcdef0123456789abcdef');
    const v2 = Buffer.concat([base, text('+two')]);
    const d2 = ofsDelta(hashObject('blob', v2), 0, appendDelta(32, '+two'));
    const cache = new BaseCache();
    const pack = await PackFile.open(await buildPack(dir, [whole(PackType.blob, base), d2]), 1 << 20, cache);
    expect(Buffer.from((await pack.read(d2.hash))!.data).equals(v2)).toBe(true);
    expect(cache.bytes).toBe(32);
    await pack.close();
    expect(cache.bytes).toBe(0);
  });

  it('serves a chunk it read from memory: bytes changed in the file afterwards are not read', async () => {
    const data = text('read once, then changed on disk\n');
    const raw = whole(PackType.blob, data);
    const file = await buildPack(dir, [raw]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    expect(Buffer.from((await pack.read(raw.hash))!.data).equals(data)).toBe(true);
    // Flip every payload byte in place (same file, same descriptor's view).
    const bytes = await readFile(file);
    const handle = await open(file, 'r+');
    const payload = Buffer.from(bytes.subarray(14, bytes.length - 20)).map((b) => b ^ 0xff);
    await handle.write(payload, 0, payload.length, 14);
    await handle.close();
    expect(Buffer.from((await pack.read(raw.hash))!.data).equals(data)).toBe(true);
    await pack.close();
    // A fresh pack reads the changed bytes and refuses them.
    const fresh = await PackFile.open(file, 1 << 20, new BaseCache());
    await expect(fresh.read(raw.hash)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT' });
    await fresh.close();
  });

  it('has and read find the object at the first (only) idx position', async () => {
    const raw = whole(PackType.blob, text('alone\n'));
    const pack = await PackFile.open(await buildPack(dir, [raw]), 1 << 20, new BaseCache());
    expect(pack.index.find(raw.hash)).toBe(0);
    expect([pack.has(raw.hash), pack.has(hashObject('blob', text('other\n')))]).toEqual([true, false]);
    expect(Buffer.from((await pack.read(raw.hash))!.data).toString()).toBe('alone\n');
    await pack.close();
  });

  it('a header cut by the end of the pack body is truncated there: the trailer is not read as part of it', async () => {
    // One entry of a single byte: a blob header whose continuation bit promises another byte.
    const file = await buildPack(dir, [{ hash: 'ab'.repeat(20), bytes: () => Buffer.from([0xb5]) }]);
    const pack = await PackFile.open(file, 1 << 20, new BaseCache());
    await expect(pack.read('ab'.repeat(20))).rejects.toMatchObject(corrupt(file, 'truncated entry header at offset 12'));
    await pack.close();
  });
});

describe('ByteLru', () => {
  it('a budget below zero keeps nothing, and setting a value of no bytes does not fail', () => {
    const lru = new ByteLru<string>(-1);
    lru.set(1, 1, 'x', 0);
    expect([lru.get(1, 1), lru.bytes]).toEqual([undefined, 0]);
  });
});
