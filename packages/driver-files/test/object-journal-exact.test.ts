// Exact tests of ObjectJournal (object-journal.ts) on real journal files in temp dirs: what a
// store appends (one record per object, one append per group), what it reads back, when and how
// it seals (by size, by age, on close, abandoned journals of dead writers, damaged records), and
// every failure of open, append and flush (node:fs calls wrapped, as lock-timeout.test.ts does).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs, { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { patch, restores, undoPatches } from './support/patch-fs.js';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { encodeObject, hashObject, isGittyError, nodeCompression } from '@gitty/core';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { LooseObjects } from '../src/loose.js';
import { ObjectJournal } from '../src/object-journal.js';
import { JOURNAL_HEADER_BYTES, RECORD_OVERHEAD, encodeRecords, journalHeader } from '../src/journal-format.js';
import { journalRecords } from './journal-support.js';
import { liveProcess } from './live-process.js';

const HOST_TAG = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'host';
const MAX = 1000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  undoPatches();
  while (cleanups.length > 0) await cleanups.pop()!();
});


function blob(text: string): { hash: string; data: Uint8Array; raw: Uint8Array } {
  const data = new TextEncoder().encode(text);
  const { hash, raw } = encodeObject('blob', data, nodeCompression);
  return { hash, data, raw };
}

async function setup(options: { durability?: 'fsync' | 'none'; write?: boolean; sealBytes?: number; sealMs?: number } = {}) {
  const { dir, remove } = await tempDir('gitty-journal-exact-');
  const root = path.join(dir, 'objects');
  const folder = path.join(root, 'journal');
  const durability = options.durability ?? 'none';
  const loose = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: MAX, durability });
  const unflushed = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: MAX, durability: 'none' });
  const make = (write: boolean) => new ObjectJournal({
    folder, loose, unflushed, durability, compression: nodeCompression, maxObjectSize: MAX, write,
    sealBytes: options.sealBytes, sealMs: options.sealMs,
  });
  const journal = make(options.write ?? true);
  const opened = [journal];
  cleanups.push(async () => {
    for (const j of opened) await j.close().catch(() => undefined);
    await remove();
  });
  return {
    dir, root, folder, loose, journal,
    another: (write = false) => {
      const j = make(write);
      opened.push(j);
      return j;
    },
    journals: () => (existsSync(folder) ? readdirSync(folder).filter((n) => !n.startsWith('.')).sort() : []),
  };
}

/** A journal file as another writer leaves it: `tag.journal`, header, the records. */
function plantJournal(folder: string, tag: string, records: Buffer): string {
  mkdirSync(folder, { recursive: true });
  const file = path.join(folder, `${tag}.journal`);
  writeFileSync(file, Buffer.concat([journalHeader().header, records]));
  return file;
}

async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (err) {
    if (isGittyError(err)) return `${err.code}: ${err.message}`;
    return `${(err as NodeJS.ErrnoException).code}: ${(err as Error).message}`;
  }
}

describe('ObjectJournal: store and read back', () => {
  it('refuses a bad hash, an object above maxObjectSize and content of another hash, exactly', async () => {
    const { journal, journals } = await setup();
    const a = blob('a');
    expect(await codeOf(journal.store('nothex', 'blob', a.data))).toBe('INVALID_HASH: Invalid object hash "nothex": expected 40 lower-case hex digits');
    expect(await codeOf(journal.store(a.hash, 'blob', new Uint8Array(MAX + 1)))).toBe(`OBJECT_TOO_LARGE: Object of ${MAX + 1} bytes exceeds the limit of ${MAX} bytes (maxObjectSize)`);
    const b = blob('b');
    expect(await codeOf(journal.store(a.hash, 'blob', b.data))).toBe(`CORRUPT_OBJECT: Corrupt object ${a.hash} in storeObject: content hashes to ${b.hash}`);
    expect(await codeOf(journal.storeRaw('nothex', a.raw))).toBe('INVALID_HASH: Invalid object hash "nothex": expected 40 lower-case hex digits');
    expect((await codeOf(journal.storeRaw(a.hash, b.raw))).startsWith(`CORRUPT_OBJECT: Corrupt object ${a.hash} in raw object: `)).toBe(true);
    expect(journals()).toEqual([]);
  });

  it('appends one record per object to <host>-<pid>-<hex>.journal and reads it back; a second store of it is refused as held', async () => {
    const { journal, journals, folder } = await setup();
    const a = blob('hello');
    expect(journal.writes).toBe(true);
    expect(await journal.store(a.hash, 'blob', a.data)).toBe(true);
    const names = journals();
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(new RegExp(`^${HOST_TAG.replace(/\./g, '\\.')}-${process.pid}-[0-9a-f]{12}\\.journal$`));
    const file = path.join(folder, names[0]!);
    expect(journalRecords(file)).toEqual([{ hash: a.hash, offset: JOURNAL_HEADER_BYTES + 24, length: a.raw.length, crcOk: true }]);
    expect(statSync(file).size).toBe(JOURNAL_HEADER_BYTES + RECORD_OVERHEAD + a.raw.length);
    expect(journal.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    expect(journal.loadRaw(a.hash)).toEqual(new Uint8Array(a.raw));
    expect(journal.has(a.hash)).toBe(true);
    expect(journal.holdsOwn(a.hash)).toBe(true);
    expect(journal.objectTime(a.hash)).toBe(statSync(file).mtimeMs);
    expect([...journal.hashes()]).toEqual([a.hash]);
    expect(journal.stats()).toEqual({ journals: 1, journalObjects: 1, journalBytes: statSync(file).size, journalSeals: 0, journalsDamaged: 0 });
    expect(await journal.store(a.hash, 'blob', a.data)).toBe(false);
    expect(await journal.storeRaw(a.hash, a.raw)).toBe(false);
    expect(journalRecords(file)).toHaveLength(1);
    const missing = blob('missing');
    expect(journal.load(missing.hash)).toBeUndefined();
    expect(journal.loadRaw(missing.hash)).toBeUndefined();
    expect(journal.has(missing.hash)).toBe(false);
    expect(journal.objectTime(missing.hash)).toBeUndefined();
    expect(journal.holdsOwn(missing.hash)).toBe(false);
  });

  it('stores gathered in one turn go into one append, each record readable at its own offset', async () => {
    const { journal, journals, folder } = await setup();
    const objects = ['one', 'two two', 'three three three'].map(blob);
    let writes = 0;
    patch('writeSync', (original) => ((...args: unknown[]) => {
      writes++;
      return (original as (...a: unknown[]) => number)(...args);
    }) as typeof fs.writeSync);
    const stored = await Promise.all([
      journal.store(objects[0]!.hash, 'blob', objects[0]!.data),
      journal.storeRaw(objects[1]!.hash, objects[1]!.raw),
      journal.store(objects[2]!.hash, 'blob', objects[2]!.data),
    ]);
    expect(stored).toEqual([true, true, true]);
    expect(writes).toBe(2); // the header, then one append of all three
    const file = path.join(folder, journals()[0]!);
    let at = JOURNAL_HEADER_BYTES;
    expect(journalRecords(file)).toEqual(objects.map((o) => {
      const record = { hash: o.hash, offset: at + 24, length: o.raw.length, crcOk: true };
      at += RECORD_OVERHEAD + o.raw.length;
      return record;
    }));
    for (const o of objects) expect(journal.load(o.hash)).toEqual({ type: 'blob', data: o.data });
    expect(journal.stats().journalBytes).toBe(at);
  });

  it('a reader (write: false) reads another writer\'s journal after a rescan, never seals one still appended to here, and stores nothing itself', async () => {
    const { journal, another, journals } = await setup();
    const a = blob('shared');
    await journal.store(a.hash, 'blob', a.data);
    const reader = another(false);
    expect(reader.writes).toBe(false);
    expect(reader.has(a.hash)).toBe(false);
    reader.rescan();
    expect(reader.has(a.hash)).toBe(true);
    expect(reader.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    expect(reader.holdsOwn(a.hash)).toBe(false);
    expect([...reader.hashes()]).toEqual([a.hash]);
    expect(await reader.sealAbandoned()).toBe(0);
    expect(journals()).toHaveLength(1);
    expect(reader.stats()).toEqual({ journals: 1, journalObjects: 1, journalBytes: JOURNAL_HEADER_BYTES + RECORD_OVERHEAD + a.raw.length, journalSeals: 0, journalsDamaged: 0 });
  });

  it('a longer record than maxObjectSize + 1/8 + 1024 bytes is damage; one at that length is a record', async () => {
    const { folder, journal } = await setup({ write: false });
    const limit = MAX + (MAX >> 3) + 1024;
    const fits = { hash: 'a'.repeat(40), raw: new Uint8Array(limit).fill(7) };
    const tooLong = { hash: 'b'.repeat(40), raw: new Uint8Array(limit + 1).fill(7) };
    plantJournal(folder, 'another-host-1-aa', encodeRecords([fits]));
    plantJournal(folder, 'another-host-2-bb', encodeRecords([tooLong]));
    journal.rescan();
    expect(journal.has(fits.hash)).toBe(true);
    expect(journal.has(tooLong.hash)).toBe(false);
    expect(journal.stats()).toEqual({ journals: 2, journalObjects: 1, journalBytes: JOURNAL_HEADER_BYTES * 2 + RECORD_OVERHEAD + limit, journalSeals: 0, journalsDamaged: 1 });
  });

  it('a record whose CRC checks but whose bytes do not hash is CORRUPT_OBJECT naming the journal and offset', async () => {
    const { folder, journal } = await setup({ write: false });
    const a = blob('real');
    const b = blob('other');
    const file = plantJournal(folder, 'another-host-1-aa', encodeRecords([{ hash: a.hash, raw: b.raw }]));
    journal.rescan();
    const offset = JOURNAL_HEADER_BYTES + 24;
    expect((await codeOf(Promise.resolve().then(() => journal.loadRaw(a.hash)))).startsWith(`CORRUPT_OBJECT: Corrupt object ${a.hash} in ${file}@${offset}: `)).toBe(true);
    expect((await codeOf(Promise.resolve().then(() => journal.load(a.hash)))).startsWith(`CORRUPT_OBJECT: Corrupt object ${a.hash} in ${file}@${offset}: `)).toBe(true);
  });
});

describe('ObjectJournal: sealing', () => {
  it('sealOwn turns the journal into loose objects, removes it, and counts the seal', async () => {
    const { journal, journals, loose } = await setup();
    const a = blob('to seal');
    const b = blob('also');
    await Promise.all([journal.store(a.hash, 'blob', a.data), journal.store(b.hash, 'blob', b.data)]);
    await journal.sealOwn();
    expect(journals()).toEqual([]);
    expect(await loose.load(a.hash)).toEqual({ type: 'blob', data: a.data });
    expect(await loose.load(b.hash)).toEqual({ type: 'blob', data: b.data });
    expect(journal.has(a.hash)).toBe(false);
    expect(journal.holdsOwn(a.hash)).toBe(false);
    expect(journal.stats()).toEqual({ journals: 0, journalObjects: 0, journalBytes: 0, journalSeals: 1, journalsDamaged: 0 });
    // The next store opens a new journal.
    const c = blob('after');
    expect(await journal.store(c.hash, 'blob', c.data)).toBe(true);
    expect(journals()).toHaveLength(1);
    await journal.close();
    expect(journals()).toEqual([]);
    expect(await loose.load(c.hash)).toEqual({ type: 'blob', data: c.data });
    expect(journal.stats().journalSeals).toBe(2);
  });

  it('seals by size once an append reaches sealBytes, not before', async () => {
    const a = blob('x'.repeat(50));
    const b = blob('y'.repeat(50));
    const size = JOURNAL_HEADER_BYTES + RECORD_OVERHEAD + a.raw.length;
    const { journal, journals, loose } = await setup({ sealBytes: size + 1 });
    await journal.store(a.hash, 'blob', a.data);
    expect(journals()).toHaveLength(1);
    await journal.store(b.hash, 'blob', b.data);
    await waitFor(() => journals().length === 0, 10_000, 5);
    expect(await loose.has(a.hash)).toBe(true);
    expect(await loose.has(b.hash)).toBe(true);
    const { journal: exact, journals: exactJournals } = await setup({ sealBytes: size });
    await exact.store(a.hash, 'blob', a.data);
    await waitFor(() => exactJournals().length === 0, 10_000, 5);
    expect(exact.stats().journalSeals).toBe(1);
  });

  it('seals by age (sealMs) on its own, and not while younger', async () => {
    const { journal, journals, loose } = await setup({ sealMs: 300 });
    const a = blob('ages');
    await journal.store(a.hash, 'blob', a.data);
    expect(journals()).toHaveLength(1);
    expect(await loose.has(a.hash)).toBe(false);
    await waitFor(() => journals().length === 0, 10_000, 5);
    expect(await loose.load(a.hash)).toEqual({ type: 'blob', data: a.data });
  });

  it('seals a dead writer\'s journal of this host; leaves a live process\'s and another host\'s', async () => {
    const { folder, journal, journals, loose } = await setup({ write: false });
    const a = blob('dead writer');
    const b = blob('live writer');
    const c = blob('other host');
    const live = await liveProcess();
    try {
      const otherHost = `not-${HOST_TAG}-${await deadPid()}-0e0f`;
      plantJournal(folder, `${HOST_TAG}-${await deadPid()}-0a0b`, encodeRecords([a]));
      plantJournal(folder, `${HOST_TAG}-${live.pid}-0c0d`, encodeRecords([b]));
      plantJournal(folder, otherHost, encodeRecords([c]));
      writeFileSync(path.join(folder, 'README'), 'not a journal');
      expect(await journal.sealAbandoned()).toBe(1);
      expect(journals()).toEqual([`${HOST_TAG}-${live.pid}-0c0d.journal`, `${otherHost}.journal`, 'README'].sort());
      expect(await loose.load(a.hash)).toEqual({ type: 'blob', data: a.data });
      expect(await loose.has(b.hash)).toBe(false);
      expect(await loose.has(c.hash)).toBe(false);
      expect(journal.stats().journalSeals).toBe(1);
      expect(journal.has(b.hash)).toBe(true);
      expect(journal.has(a.hash)).toBe(false);
    } finally {
      await live.kill();
    }
    expect(await journal.sealAbandoned()).toBe(1);
    expect(await loose.has(b.hash)).toBe(true);
  });

  it('a journal this process retired (its own tag, no longer appended to) is sealed; damaged records are skipped, the rest kept', async () => {
    const { folder, journal, journals, loose } = await setup({ write: false });
    const a = blob('first');
    const b = blob('second');
    const c = blob('third');
    const d = blob('real');
    const wrong = blob('not real');
    const good = encodeRecords([a]);
    const bad = encodeRecords([b]);
    bad[bad.length - 1]! ^= 0xff; // CRC no longer checks
    plantJournal(folder, `${HOST_TAG}-${process.pid}-abcd`, Buffer.concat([good, bad, encodeRecords([c, { hash: d.hash, raw: wrong.raw }])]));
    journal.rescan();
    expect(journal.stats()).toEqual({ journals: 1, journalObjects: 1, journalBytes: JOURNAL_HEADER_BYTES + good.length, journalSeals: 0, journalsDamaged: 1 });
    expect(await journal.sealAbandoned()).toBe(1);
    expect(journals()).toEqual([]);
    expect(await loose.has(a.hash)).toBe(true);
    expect(await loose.has(b.hash)).toBe(false);
    expect(await loose.load(c.hash)).toEqual({ type: 'blob', data: c.data });
    expect(await loose.has(d.hash)).toBe(false);
    expect(journal.stats().journalSeals).toBe(1);
  });

  it('a journal another sealer took first (rename: ENOENT) is not counted; any other rename error fails the seal', async () => {
    const { folder, journal, journals } = await setup({ write: false });
    const a = blob('contended');
    const file = plantJournal(folder, `${HOST_TAG}-${await deadPid()}-0a0b`, encodeRecords([a]));
    let calls = 0;
    patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(from) === file && calls++ === 0) {
        original(file, path.join(folder, 'taken-by-another.sealing-elsewhere'));
        throw Object.assign(new Error('ENOENT: no such file or directory, rename'), { code: 'ENOENT' });
      }
      if (String(from) === path.join(folder, 'x.journal')) throw Object.assign(new Error('EACCES: permission denied, rename'), { code: 'EACCES' });
      return original(from, to);
    }) as typeof fs.renameSync);
    expect(await journal.sealAbandoned()).toBe(0);
    expect(journals()).toEqual(['taken-by-another.sealing-elsewhere']);
    fs.renameSync(path.join(folder, 'taken-by-another.sealing-elsewhere'), path.join(folder, 'x.journal'));
    // 'x' is no writer tag of this host: never sealed. Own tag, rename refused: the error surfaces.
    expect(await journal.sealAbandoned()).toBe(0);
    const own = plantJournal(folder, `${HOST_TAG}-${process.pid}-0c0d`, encodeRecords([a]));
    restores.pop()!();
    patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
      if (String(from) === own) throw Object.assign(new Error('EACCES: permission denied, rename'), { code: 'EACCES' });
      return original(from, to);
    }) as typeof fs.renameSync);
    expect(await codeOf(journal.sealAbandoned())).toBe('EACCES: EACCES: permission denied, rename');
    // The chain goes on after a failed seal.
    restores.pop()!();
    expect(await journal.sealAbandoned()).toBe(1);
  });
});

describe('ObjectJournal: failures', () => {
  it('a journal a sealer took from under the writer: that append goes loose, the next opens a new journal', async () => {
    const { journal, journals, folder, loose } = await setup();
    const a = blob('first');
    await journal.store(a.hash, 'blob', a.data);
    const first = journals()[0]!;
    fs.renameSync(path.join(folder, first), path.join(folder, 'taken.sealing'));
    const b = blob('second');
    expect(await journal.store(b.hash, 'blob', b.data)).toBe(true);
    expect(await loose.load(b.hash)).toEqual({ type: 'blob', data: b.data });
    expect(journal.holdsOwn(b.hash)).toBe(false);
    const c = blob('third');
    expect(await journal.store(c.hash, 'blob', c.data)).toBe(true);
    const now = journals();
    expect(now).toHaveLength(2);
    expect(now).toContain('taken.sealing');
    expect(await loose.has(c.hash)).toBe(false);
    expect(journal.holdsOwn(c.hash)).toBe(true);
  });

  it('a failed append (no room after part of it) is cut off where it began, fails with STORAGE_FULL, and nothing more goes to that journal', async () => {
    const { journal, journals, folder } = await setup();
    const a = blob('kept');
    await journal.store(a.hash, 'blob', a.data);
    const file = path.join(folder, journals()[0]!);
    const before = statSync(file).size;
    let fail = true;
    patch('writeSync', (original) => ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number | null) => {
      if (fail) {
        fail = false;
        return original(fd, buffer, offset, Math.floor(length / 2), position); // a short write
      }
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    const b = blob('lost');
    expect(await codeOf(journal.store(b.hash, 'blob', b.data))).toBe(`STORAGE_FULL: No room to write ${file} (ENOSPC)`);
    restores.pop()!();
    expect(statSync(file).size).toBe(before);
    expect(journal.has(b.hash)).toBe(false);
    const c = blob('next');
    expect(await journal.store(c.hash, 'blob', c.data)).toBe(true);
    expect(journals()).toHaveLength(2);
    expect(statSync(file).size).toBe(before);
    expect(journal.holdsOwn(a.hash)).toBe(true);
  });

  it('with fsync: the header is flushed before the rename, each append before it is acknowledged; a failed flush fails the append and cuts it off', async () => {
    const { journal, journals, folder } = await setup({ durability: 'fsync' });
    const events: string[] = [];
    patch('fdatasyncSync', (original) => ((fd: number) => {
      events.push('fdatasyncSync');
      original(fd);
    }) as typeof fs.fdatasyncSync);
    patch('renameSync', (original) => ((from: fs.PathLike, to: fs.PathLike) => {
      events.push(`rename ${path.basename(String(to)).endsWith('.journal') ? 'journal' : 'other'}`);
      original(from, to);
    }) as typeof fs.renameSync);
    patch('fsyncSync', (original) => ((fd: number) => {
      events.push('fsyncSync');
      original(fd);
    }) as typeof fs.fsyncSync);
    let failFlush = false;
    let hold: (() => void) | undefined;
    let held: (() => void) | undefined;
    patch('fdatasync', (original) => ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      events.push('fdatasync');
      if (failFlush) setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' })));
      else if (hold) {
        held = () => original(fd, callback);
        hold();
      } else original(fd, callback);
    }) as typeof fs.fdatasync);
    const a = blob('durable');
    const reached = new Promise<void>((resolve) => (hold = resolve));
    const stored = journal.store(a.hash, 'blob', a.data);
    await reached;
    // Written, not yet flushed: not indexed, not even by a rescan (the writer indexes it once durable).
    journal.rescan();
    expect(journal.has(a.hash)).toBe(false);
    hold = undefined;
    held!();
    expect(await stored).toBe(true);
    expect(journal.has(a.hash)).toBe(true);
    // The header flushed, renamed into place, the folder flushed (fsyncSync), then the append flushed.
    expect(events).toEqual(['fdatasyncSync', 'rename journal', 'fsyncSync', 'fdatasync']);
    const file = path.join(folder, journals()[0]!);
    const size = statSync(file).size;
    failFlush = true;
    const b = blob('not durable');
    expect(await codeOf(journal.store(b.hash, 'blob', b.data))).toBe('EIO: EIO: i/o error, fdatasync');
    expect(statSync(file).size).toBe(size);
    expect(journal.has(b.hash)).toBe(false);
  });

  it('without fsync nothing is flushed', async () => {
    const { journal } = await setup({ durability: 'none' });
    let flushes = 0;
    patch('fdatasyncSync', (original) => ((fd: number) => {
      flushes++;
      original(fd);
    }) as typeof fs.fdatasyncSync);
    patch('fdatasync', (original) => ((fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      flushes++;
      original(fd, callback);
    }) as typeof fs.fdatasync);
    const a = blob('quick');
    await journal.store(a.hash, 'blob', a.data);
    await journal.sealOwn();
    expect(flushes).toBe(0);
  });

  it('no room for a new journal\'s header: STORAGE_FULL naming the temp file, which is removed', async () => {
    const { journal, folder } = await setup();
    patch('writeSync', () => (() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    const a = blob('no room');
    const outcome = await codeOf(journal.store(a.hash, 'blob', a.data));
    expect(outcome).toMatch(new RegExp(`^STORAGE_FULL: No room to write ${folder.replace(/[/.]/g, '\\$&')}/\\.tmp-${HOST_TAG.replace(/\./g, '\\.')}-${process.pid}-[0-9a-f]{12} \\(ENOSPC\\)$`));
    expect(readdirSync(folder)).toEqual([]);
  });

  it('a journal folder that cannot be made fails with the errno; no room for it is STORAGE_FULL naming the folder', async () => {
    const { journal, root, folder } = await setup();
    mkdirSync(root, { recursive: true });
    writeFileSync(folder, 'a file where the folder goes');
    const a = blob('nowhere');
    expect((await codeOf(journal.store(a.hash, 'blob', a.data))).startsWith('EEXIST: ')).toBe(true);
    fs.unlinkSync(folder);
    patch('mkdirSync', (original) => ((target: fs.PathLike, ...rest: unknown[]) => {
      if (String(target) === folder) throw Object.assign(new Error('ENOSPC: no space left on device, mkdir'), { code: 'ENOSPC' });
      return (original as (...a: unknown[]) => unknown)(target, ...rest);
    }) as typeof fs.mkdirSync);
    expect(await codeOf(journal.store(a.hash, 'blob', a.data))).toBe(`STORAGE_FULL: No room to write ${folder} (ENOSPC)`);
    restores.pop()!();
    expect(await journal.store(a.hash, 'blob', a.data)).toBe(true);
    expect(readFileSync(path.join(folder, readdirSync(folder)[0]!)).subarray(0, 8).toString('latin1')).toBe('GITTYJ01');
  });
});

describe('ObjectJournal: a zlib-valid but damaged record', () => {
  it('is sealed as nothing (skipped) while the others become loose', async () => {
    const { folder, journal, loose } = await setup({ write: false });
    const a = blob('fine');
    const bogus = zlib.deflateSync(Buffer.from('blob 3\0abc'));
    plantJournal(folder, `${HOST_TAG}-${await deadPid()}-aa`, encodeRecords([{ hash: hashObject('blob', new TextEncoder().encode('zzz')), raw: bogus }, a]));
    expect(await journal.sealAbandoned()).toBe(1);
    expect(await loose.has(a.hash)).toBe(true);
    expect(await loose.has(hashObject('blob', new TextEncoder().encode('zzz')))).toBe(false);
  });
});

describe('ObjectJournal: follow-ups (survivors of fa-journal-loose-after)', () => {
  it('the age seal: checked every sealMs (at most 10 s), sealing a journal whose first record is sealMs old, not younger', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      const young = await setup({ sealMs: 1_000 });
      const exact = await setup({ sealMs: 1_000 });
      const a = blob('exactly old');
      await exact.journal.store(a.hash, 'blob', a.data); // at t = 0
      vi.advanceTimersByTime(500);
      const b = blob('younger');
      await young.journal.store(b.hash, 'blob', b.data); // at t = 500
      vi.advanceTimersByTime(499);
      await nextTurns();
      expect([exact.journals().length, young.journals().length]).toEqual([1, 1]);
      vi.advanceTimersByTime(1); // t = 1000: the exact one is 1000 ms old, the young one 500
      await waitFor(() => exact.journals().length === 0, 10_000, 5);
      await nextTurns();
      expect(young.journals().length).toBe(1);
      vi.advanceTimersByTime(999);
      await nextTurns();
      expect(young.journals().length).toBe(1);
      vi.advanceTimersByTime(1); // t = 2000: 1500 ms old
      await waitFor(() => young.journals().length === 0, 10_000, 5);
      // After its seal, later ticks find no journal and do nothing (no error).
      vi.advanceTimersByTime(3_000);
      await nextTurns();
    } finally {
      vi.useRealTimers();
    }
  });

  it('sealOwn with no journal of its own (a reader) only seals abandoned ones', async () => {
    const { journal } = await setup({ write: false });
    await expect(journal.sealOwn()).resolves.toBeUndefined();
    expect(journal.stats().journalSeals).toBe(0);
  });

  it('a record cut off under a reader (its journal truncated) reads as absent and is not sealed; the rest is', async () => {
    const { folder, journal, loose } = await setup({ write: false });
    const a = blob('kept whole');
    const b = blob('cut off');
    const file = plantJournal(folder, `${HOST_TAG}-${await deadPid()}-ab`, encodeRecords([a, b]));
    journal.rescan();
    expect(journal.has(b.hash)).toBe(true);
    fs.truncateSync(file, statSync(file).size - 10);
    expect(journal.loadRaw(b.hash)).toBeUndefined();
    expect(journal.load(b.hash)).toBeUndefined();
    expect(await journal.sealAbandoned()).toBe(1);
    expect(await loose.has(a.hash)).toBe(true);
    expect(await loose.has(b.hash)).toBe(false);
  });

  it('a journal replaced at its name by another file (another inode) is not trusted: that append goes loose, the taken file is not cut', async () => {
    const { journal, journals, folder, loose } = await setup();
    const a = blob('first');
    await journal.store(a.hash, 'blob', a.data);
    const first = journals()[0]!;
    fs.renameSync(path.join(folder, first), path.join(folder, 'taken.sealing'));
    const taken = statSync(path.join(folder, 'taken.sealing')).size;
    writeFileSync(path.join(folder, first), 'another file at the same name');
    const b = blob('second');
    expect(await journal.store(b.hash, 'blob', b.data)).toBe(true);
    expect(await loose.has(b.hash)).toBe(true);
    // The append landed in the taken file (its fd) and stays there, whole: the sealer may have read it.
    expect(statSync(path.join(folder, 'taken.sealing')).size).toBe(taken + RECORD_OVERHEAD + b.raw.length);
    expect(journalRecords(path.join(folder, 'taken.sealing')).map((r) => r.hash)).toEqual([a.hash, b.hash]);
  });

  it('a seal whose loose write fails (no room) fails and keeps the journal (as .sealing); nothing is lost', async () => {
    const { folder, journal, loose } = await setup({ write: false });
    const a = blob('must survive');
    plantJournal(folder, `${HOST_TAG}-${process.pid}-ee`, encodeRecords([a]));
    patch('writeSync', () => (() => {
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }) as typeof fs.writeSync);
    expect((await codeOf(journal.sealAbandoned())).startsWith('STORAGE_FULL: No room to write ')).toBe(true);
    restores.pop()!();
    const left = readdirSync(folder).filter((n) => n.endsWith('.sealing'));
    expect(left).toHaveLength(1);
    expect(journalRecords(path.join(folder, left[0]!)).map((r) => r.hash)).toEqual([a.hash]);
    expect(await loose.has(a.hash)).toBe(false);
    // The next attempt seals it.
    expect(await journal.sealAbandoned()).toBe(1);
    expect(await loose.load(a.hash)).toEqual({ type: 'blob', data: a.data });
  });
});

async function nextTurns(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
