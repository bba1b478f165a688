import { mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashObject, type Driver, type Progress } from '@gitty/core';
import { PackType } from '../src/pack-format.js';
import { writePackIndex } from '../src/pack-index.js';
import { PackSet } from '../src/pack-set.js';
import type { HeldPackLock } from '../src/pack-lock.js';
import type { PackStore } from '../src/pack-store.js';
import { PackWriter } from '../src/pack-writer.js';
import { Tombstones } from '../src/tombstones.js';
import { unpackStore } from '../src/unpack.js';

// Unpacking writes every live packed object loose before its pack goes, drops deleted ones for
// good, and reports progress: exact objects, counts, events and what is left in the folder.

const text = (s: string) => new TextEncoder().encode(s);
const hashOf = (s: string) => hashObject('blob', text(s));
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gitty-unpack-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writePack(name: string, blobs: string[]): Promise<void> {
  const temp = path.join(dir, `tmp-${name}.pack`);
  const writer = await PackWriter.create(temp);
  for (const s of blobs) await writer.addWhole(hashOf(s), PackType.blob, text(s));
  const checksum = await writer.finish();
  await rename(temp, path.join(dir, `pack-${checksum}.pack`));
  await writeFile(path.join(dir, `pack-${checksum}.idx`), writePackIndex(writer.entries, checksum));
}

function storeWith(already: Set<string> = new Set()) {
  const stored = new Map<string, string>();
  const loose = {
    async storeObject(hash: string, type: string, data: Uint8Array) {
      if (already.has(hash)) return false;
      stored.set(hash, `${type}:${Buffer.from(data).toString()}`);
      return true;
    },
  } as unknown as Driver;
  const store: PackStore = { folder: dir, loose, packs: new PackSet(dir, 1 << 20), tombstones: new Tombstones(dir), maxObjectSize: 1 << 20 };
  return { store, stored };
}

describe('unpackStore', () => {
  it('writes live objects loose, skips deleted ones, removes the packs and empties the deleted list', async () => {
    await writePack('1', ['a\n', 'b\n', 'c\n']);
    await writePack('2', ['d\n']);
    await writeFile(path.join(dir, 'deleted'), `-${hashOf('b\n')}\n`);
    const { store, stored } = storeWith(new Set([hashOf('c\n')]));
    const events: Progress[] = [];
    let asserted = 0;
    const lock = { assertHeld: async () => void asserted++ } as unknown as HeldPackLock;
    expect(await unpackStore(store, (e) => events.push(e), lock)).toEqual({ unpacked: 2 });
    expect(Object.fromEntries(stored)).toEqual({ [hashOf('a\n')]: 'blob:a\n', [hashOf('d\n')]: 'blob:d\n' });
    expect(asserted).toBe(3);
    expect((await readdir(dir)).sort()).toEqual(['deleted']);
    expect(await readFile(path.join(dir, 'deleted'), 'latin1')).toBe('');
    expect(store.packs.all).toEqual([]);
    // Progress at every 500th object and once at the end (an object already loose counts nothing).
    expect(events.at(-1)).toEqual({ phase: 'unpack', done: 2, total: 2 });
    expect(events.filter((e) => e.done !== 0)).toEqual([{ phase: 'unpack', done: 2, total: 2 }]);
  });

  it('reports progress every 500 objects', async () => {
    await writePack('1', Array.from({ length: 501 }, (_, i) => `blob ${i}\n`));
    const { store, stored } = storeWith();
    const events: Progress[] = [];
    expect(await unpackStore(store, (e) => events.push(e))).toEqual({ unpacked: 501 });
    expect(stored.size).toBe(501);
    expect(events).toEqual([{ phase: 'unpack', done: 500 }, { phase: 'unpack', done: 501, total: 501 }]);
  });

  it('runs without a progress listener, also when an object was already loose', async () => {
    await writePack('1', ['a\n', 'b\n']);
    // "b\n" (61780798…) sorts first: it is already loose, so the count is still 0 there.
    const { store, stored } = storeWith(new Set([hashOf('b\n')]));
    expect(hashOf('b\n') < hashOf('a\n')).toBe(true);
    expect(await unpackStore(store)).toEqual({ unpacked: 1 });
    expect([...stored.keys()]).toEqual([hashOf('a\n')]);
  });

  it('drops every tombstone once no pack holds its hash', async () => {
    await writePack('1', ['a\n']);
    const { store } = storeWith();
    await writeFile(path.join(dir, 'deleted'), `-${hashOf('a\n')}\n-${hashOf('z\n')}\n`);
    expect(await unpackStore(store)).toEqual({ unpacked: 0 });
    expect(await readFile(path.join(dir, 'deleted'), 'latin1')).toBe('');
  });
});
