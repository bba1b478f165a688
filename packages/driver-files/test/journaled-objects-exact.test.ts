// Exact tests of JournaledObjects (journaled-objects.ts) on real journals and loose files: where
// a store goes, the order of lookups (journal, loose, then a rescan for objects another writer
// appended or a sealer moved meanwhile), list without duplicates, delete of an object in this
// process's journal, objectTime, and readingJournals' settings.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { encodeObject, hashObject, nodeCompression, pakoCompression, type Compression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { JournaledObjects } from '../src/journaled-objects.js';
import { LooseObjects } from '../src/loose.js';
import { ObjectJournal } from '../src/object-journal.js';
import { encodeRecords, journalHeader } from '../src/journal-format.js';

const MAX = 1 << 16;
const bytes = (text: string) => new TextEncoder().encode(text);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function blob(text: string): { hash: string; data: Uint8Array; raw: Uint8Array } {
  const data = bytes(text);
  return { hash: hashObject('blob', data), data, raw: encodeObject('blob', data, nodeCompression).raw };
}

async function store(options: { durability?: 'fsync' | 'none'; compression?: Compression } = {}) {
  const { dir, remove } = await tempDir('gitty-journaled-exact-');
  const root = path.join(dir, 'objects');
  const compression = options.compression ?? nodeCompression;
  const loose = new LooseObjects({ root, compression, maxObjectSize: MAX, durability: options.durability ?? 'none' });
  const journals: ObjectJournal[] = [];
  const make = (write: boolean) => {
    const journal = new ObjectJournal({
      folder: path.join(root, 'journal'), loose, durability: 'none', compression, maxObjectSize: MAX, write,
      unflushed: new LooseObjects({ root, compression, maxObjectSize: MAX, durability: 'none' }),
    });
    journals.push(journal);
    return new JournaledObjects(loose, journal);
  };
  cleanups.push(async () => {
    for (const j of journals) await j.close().catch(() => undefined);
    await remove();
  });
  return { root, loose, make, journals, track: (j: ObjectJournal) => journals.push(j) };
}

async function listOf(objects: JournaledObjects): Promise<string[]> {
  const out: string[] = [];
  for await (const hash of objects.list()) out.push(hash);
  return out;
}

describe('JournaledObjects', () => {
  it('stores through the journal when it writes one, loose otherwise (store and storeRaw)', async () => {
    const { root, make, loose } = await store();
    const writer = make(true);
    const a = blob('journaled');
    const b = blob('journaled raw');
    expect(await writer.store(a.hash, 'blob', a.data)).toBe(true);
    expect(await writer.storeRaw(b.hash, b.raw)).toBe(true);
    expect(await loose.has(a.hash)).toBe(false);
    expect(await loose.has(b.hash)).toBe(false);
    expect(writer.journal.holdsOwn(a.hash) && writer.journal.holdsOwn(b.hash)).toBe(true);
    const reader = make(false);
    const c = blob('loose');
    const d = blob('loose raw');
    expect(await reader.store(c.hash, 'blob', c.data)).toBe(true);
    expect(await reader.storeRaw(d.hash, d.raw)).toBe(true);
    expect(await loose.has(c.hash)).toBe(true);
    expect(await loose.has(d.hash)).toBe(true);
    expect(readdirSync(path.join(root, 'journal')).filter((n) => n.endsWith('.journal'))).toHaveLength(1);
  });

  it('finds an object another writer appended after its last look (a rescan on a miss), in load, loadRaw and has', async () => {
    const { make } = await store();
    const writer = make(true);
    const reader = make(false);
    const first = blob('seen early');
    await writer.store(first.hash, 'blob', first.data);
    expect(await reader.has(first.hash)).toBe(true);
    for (const [i, read] of [
      async (o: JournaledObjects, h: string) => (await o.load(h))?.data,
      async (o: JournaledObjects, h: string) => o.loadRaw(h),
      async (o: JournaledObjects, h: string) => o.has(h),
    ].entries()) {
      const late = blob(`appended later ${i}`);
      await writer.store(late.hash, 'blob', late.data);
      const value = await read(reader, late.hash);
      expect(value, String(i)).toEqual(i === 0 ? late.data : i === 1 ? new Uint8Array(late.raw) : true);
    }
    const never = blob('never stored');
    expect(await reader.load(never.hash)).toBeUndefined();
    expect(await reader.loadRaw(never.hash)).toBeUndefined();
    expect(await reader.has(never.hash)).toBe(false);
  });

  it('finds an object a sealer moved from a journal into a loose file after the reader indexed it', async () => {
    const { make } = await store();
    const writer = make(true);
    const reader = make(false);
    const a = blob('sealed meanwhile');
    const b = blob('sealed meanwhile too');
    const c = blob('sealed meanwhile three');
    await Promise.all([writer.store(a.hash, 'blob', a.data), writer.store(b.hash, 'blob', b.data), writer.store(c.hash, 'blob', c.data)]);
    reader.journal.rescan();
    expect(reader.journal.has(a.hash)).toBe(true);
    await writer.journal.sealOwn();
    // The reader still knows the (now removed) journal through its open fd: reads work either way.
    expect(await reader.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    expect(await reader.loadRaw(b.hash)).toEqual(new Uint8Array(b.raw));
    expect(await reader.has(c.hash)).toBe(true);
    reader.journal.rescan();
    expect(reader.journal.has(a.hash)).toBe(false);
    expect(await reader.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    expect(await reader.has(c.hash)).toBe(true);
  });

  it('lists every object once: the journals\' first (read afresh), then loose ones not among them', async () => {
    const { make, loose } = await store();
    const writer = make(true);
    const reader = make(false);
    const inBoth = blob('in both');
    const onlyJournal = blob('only journal');
    const onlyLoose = blob('only loose');
    await loose.store(inBoth.hash, 'blob', inBoth.data);
    await loose.store(onlyLoose.hash, 'blob', onlyLoose.data);
    await writer.store(inBoth.hash, 'blob', inBoth.data);
    await writer.store(onlyJournal.hash, 'blob', onlyJournal.data);
    const listed = await listOf(reader);
    expect(listed.slice(0, 2).sort()).toEqual([inBoth.hash, onlyJournal.hash].sort());
    expect(listed.slice(2)).toEqual([onlyLoose.hash]);
  });

  it('delete of a loose object leaves this process\'s journal unsealed', async () => {
    const { make, loose } = await store();
    const writer = make(true);
    const journaled = blob('in the journal');
    const looseOne = blob('a loose one');
    await writer.store(journaled.hash, 'blob', journaled.data);
    await loose.store(looseOne.hash, 'blob', looseOne.data);
    expect(await writer.delete(looseOne.hash)).toBe(true);
    expect(writer.journal.holdsOwn(journaled.hash)).toBe(true);
    expect(writer.journal.stats()).toMatchObject({ journals: 1, journalObjects: 1, journalSeals: 0 });
  });

  it('delete of an object in this process\'s journal seals it first, so it is gone; a loose one is removed; a missing one is false', async () => {
    const { make, root } = await store();
    const writer = make(true);
    const a = blob('delete me');
    const keep = blob('keep me');
    await Promise.all([writer.store(a.hash, 'blob', a.data), writer.store(keep.hash, 'blob', keep.data)]);
    expect(await writer.delete(a.hash)).toBe(true);
    expect(await writer.has(a.hash)).toBe(false);
    expect(await writer.load(keep.hash)).toEqual({ type: 'blob', data: keep.data });
    expect(existsSync(path.join(root, 'journal')) ? readdirSync(path.join(root, 'journal')).filter((n) => !n.startsWith('.')) : []).toEqual([]);
    expect(await writer.delete(keep.hash)).toBe(true);
    expect(await writer.delete(keep.hash)).toBe(false);
  });

  it('objectTime: the journal file\'s time for a journaled object, the loose file\'s otherwise, undefined when absent', async () => {
    const { make, loose, root } = await store();
    const writer = make(true);
    const a = blob('timed journal');
    const b = blob('timed loose');
    await writer.store(a.hash, 'blob', a.data);
    await loose.store(b.hash, 'blob', b.data);
    const journalFile = path.join(root, 'journal', readdirSync(path.join(root, 'journal')).find((n) => n.endsWith('.journal'))!);
    const old = new Date(Date.now() - 3_600_000);
    utimesSync(loose.fileOf(b.hash), old, old);
    expect(await writer.objectTime(a.hash)).toBe(statSync(journalFile).mtimeMs);
    expect(await writer.objectTime(b.hash)).toBe(statSync(loose.fileOf(b.hash)).mtimeMs);
    expect(Math.round(statSync(loose.fileOf(b.hash)).mtimeMs)).toBe(old.getTime());
    expect(await writer.objectTime(blob('absent').hash)).toBeUndefined();
  });

  it('readingJournals: journals of <root>/journal read but never written, the loose settings (fsync by default) kept, node-zlib sized', async () => {
    const { root, loose, make } = await store({ durability: 'fsync' });
    const writer = make(true);
    const a = blob('shared folder');
    await writer.store(a.hash, 'blob', a.data);
    const reading = JournaledObjects.readingJournals(loose);
    expect(reading.loose).toBe(loose);
    expect(reading.journal.writes).toBe(false);
    expect(await reading.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    const b = blob('written loose');
    expect(await reading.store(b.hash, 'blob', b.data)).toBe(true);
    expect(await loose.has(b.hash)).toBe(true);
    expect(reading.journal.index.folder).toBe(path.join(root, 'journal'));
    await reading.journal.close();
    // Without a durability setting the loose objects flush (fsync): still readable, sealed with flushes.
    const plain = new LooseObjects({ root, compression: pakoCompression, maxObjectSize: MAX });
    const viaPako = JournaledObjects.readingJournals(plain);
    expect(await viaPako.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    // What its seals flush by (only a dead writer's journal would show it: read the setting).
    expect((viaPako.journal as unknown as { options: { durability: string } }).options.durability).toBe('fsync');
    await viaPako.journal.close();
  });

  it('readingJournals seals a dead writer\'s journal into loose files under the same root, in its scheme', async () => {
    const { root, loose } = await store();
    const a = blob('left by a dead writer');
    // The journal a files-driver process of this host left when it died: `<host>-<pid>-<id>.journal`.
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await once(child, 'exit');
    const host = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'host';
    const folder = path.join(root, 'journal');
    mkdirSync(folder, { recursive: true });
    const tag = `${host}-${child.pid}-0a0b`;
    writeFileSync(path.join(folder, `${tag}.journal`), Buffer.concat([journalHeader().header, encodeRecords([a])]));
    const reading = JournaledObjects.readingJournals(loose);
    try {
      expect(await reading.journal.sealAbandoned()).toBe(1);
      expect(readdirSync(folder).filter((n) => n.endsWith('.journal'))).toEqual([]);
      // Sealed as the loose file loose names for it, readable without any journal.
      expect(existsSync(loose.fileOf(a.hash))).toBe(true);
      expect(await loose.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    } finally {
      await reading.journal.close();
    }
  });
});
