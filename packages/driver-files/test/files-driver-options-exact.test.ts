// The files driver's options, each seen reaching its part: durability (which flushes run),
// groupCommit (shared flushes and one append for concurrent CASes), journal and its sealing,
// lockStale and lockTimeout (the head log's lock), maxObjectSize of the context.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open as openHandle } from 'node:fs/promises';
import path from 'node:path';
import { defaultDriverContext, hashObject, type DriverContext } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { FilesDriver, createDriver } from '@gitty/driver-files';
import { openFiles } from './support.js';
import { patch, restores, undoPatches } from './support/patch-fs.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  undoPatches();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A temp store folder, removed afterwards, and drivers on it closed afterwards. */
async function store(options: Record<string, unknown>, context?: Partial<DriverContext>): Promise<{ driver: FilesDriver; dir: string }> {
  const { dir, remove } = await tempDir('gitty-files-options-');
  cleanups.push(remove);
  const driver = await openFiles(dir, options, context);
  cleanups.push(() => driver.close());
  return { driver, dir };
}

/** Every flush and head-log write from now on: `<call> <path relative to dir>`. */
async function recordFlushes(dir: string): Promise<string[]> {
  const events: string[] = [];
  const paths = new Map<number, string>();
  const rel = (fd: number) => {
    const file = paths.get(fd);
    return file === undefined ? `fd:${fd}` : path.relative(dir, file);
  };
  patch('openSync', (original) => ((...args: Parameters<typeof original>) => {
    const fd = original(...args);
    paths.set(fd, String(args[0]));
    return fd;
  }) as typeof original);
  patch('open', (original) => ((...args: unknown[]) => {
    const cb = args.at(-1) as (err: Error | null, fd: number) => void;
    return (original as (...a: unknown[]) => void)(...args.slice(0, -1), (err: Error | null, fd: number) => {
      if (!err) paths.set(fd, String(args[0]));
      cb(err, fd);
    });
  }) as typeof original);
  for (const name of ['fsyncSync', 'fdatasyncSync'] as const) {
    patch(name, (original) => ((fd: number) => {
      events.push(`${name} ${rel(fd)}`);
      original(fd);
    }) as typeof original);
  }
  for (const name of ['fsync', 'fdatasync'] as const) {
    patch(name, (original) => ((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
      events.push(`${name} ${rel(fd)}`);
      original(fd, cb);
    }) as typeof original);
  }
  patch('writeSync', (original) => ((...args: unknown[]) => {
    const fd = args[0] as number;
    if (rel(fd) === path.join('ref', 'head')) events.push(`writeSync ${rel(fd)} ${Buffer.from(args[1] as Uint8Array).toString().split('\n').length - 1} lines`);
    return (original as (...a: unknown[]) => number)(...args);
  }) as typeof original);
  // FileHandle.sync (syncFolder, a new log): the path is not known here.
  const probe = await openHandle(path.join(dir, 'ref', 'head'), 'r');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void>; datasync: () => Promise<void> };
  await probe.close();
  for (const name of ['sync', 'datasync'] as const) {
    const original = proto[name];
    proto[name] = function (this: unknown) {
      events.push(`FileHandle.${name}`);
      return original.call(this);
    };
    restores.push(() => {
      proto[name] = original;
    });
  }
  return events;
}

const blob = (text: string) => new TextEncoder().encode(text);
const hashOf = (text: string) => hashObject('blob', blob(text));
const looseFile = (hash: string) => path.join('objects', hash.slice(0, 2), hash.slice(2));

/** The flushes of one store, three concurrent CASes, an object batch and a prune (a compaction). */
async function writeEverything(options: Record<string, unknown>, direct = false): Promise<string[]> {
  const { dir, remove } = await tempDir('gitty-files-options-');
  cleanups.push(remove);
  const driver = direct
    ? await FilesDriver.open({ dir, compactAt: false, ...options }, defaultDriverContext())
    : ((await createDriver({ dir, compactAt: false, ...options }, defaultDriverContext())) as FilesDriver);
  cleanups.push(() => driver.close());
  const events = await recordFlushes(dir);
  await driver.storeObject(hashOf('one'), 'blob', blob('one'));
  events.push('stored');
  await Promise.all(['a.pl', 'b.pl', 'c.pl'].map((name) => driver.updateHead(name, null, hashOf('one'))));
  events.push('heads');
  const batch = await driver.openObjectBatch();
  await batch.add(hashOf('two'), 'blob', blob('two'));
  expect(await batch.commit()).toEqual({ objects: 1 });
  events.push('batch');
  await driver.prune();
  expect(driver.compaction?.compactions).toBe(1);
  return events.map((e) => e.replace(/\.tmp-[^/]*$/, '.tmp-*'));
}

const one = hashOf('one');

describe('files driver options reach their parts', () => {
  it('by default (fsync, group commit) the object, its folders, the log after its one shared append, the batch and the compacted log are flushed', async () => {
    // FilesDriver.open directly (what drivers composed over it call): no parsed defaults in between.
    expect(await writeEverything({}, true)).toEqual([
      `fsync ${path.join('objects', one.slice(0, 2), '.tmp-*')}`, `fsync ${path.join('objects', one.slice(0, 2))}`, 'fsync objects', 'stored',
      'writeSync ref/head 3 lines', 'fsyncSync ref/head', 'heads',
      'FileHandle.sync', 'FileHandle.sync', 'batch',
      `fsyncSync ${path.join('ref', '.tmp-*')}`, 'FileHandle.sync',
    ]);
  });

  it('groupCommit: false flushes each object on its own (synchronously) and appends each CAS alone', async () => {
    expect(await writeEverything({ groupCommit: false })).toEqual([
      'fsyncSync objects', `fsyncSync ${path.join('objects', one.slice(0, 2), '.tmp-*')}`, 'FileHandle.sync', 'stored',
      'writeSync ref/head 1 lines', 'fsyncSync ref/head', 'writeSync ref/head 1 lines', 'fsyncSync ref/head', 'writeSync ref/head 1 lines', 'fsyncSync ref/head', 'heads',
      'FileHandle.sync', 'FileHandle.sync', 'batch',
      `fsyncSync ${path.join('ref', '.tmp-*')}`, 'FileHandle.sync',
    ]);
  });

  it('durability none flushes nothing: not the objects, the log, the batch nor the compaction', async () => {
    expect(await writeEverything({ durability: 'none' })).toEqual(['stored', 'writeSync ref/head 3 lines', 'heads', 'batch']);
  });

  it('journal: objects go to this process\'s journal, flushed with fdatasync under fsync and not at all under none', async () => {
    for (const durability of ['fsync', 'none']) {
      const { driver, dir } = await store({ durability, journal: true });
      const events = await recordFlushes(dir);
      await driver.storeObject(one, 'blob', blob('one'));
      expect(events.map((e) => e.replace(/(\.tmp-|vm-|\/)[^/]*\.journal$|\.tmp-[^/]*$/, '*'))).toEqual(
        durability === 'fsync' ? [`fdatasyncSync ${path.join('objects', 'journal', '*')}`, `fsyncSync ${path.join('objects', 'journal')}`, `fdatasync ${path.join('objects', 'journal', '*')}`] : [],
      );
      expect(driver.journal.holdsOwn(one)).toBe(true);
      expect(readdirSync(path.join(dir, 'objects')).sort()).toEqual(['journal']);
      expect(driver.journal.stats()).toMatchObject({ journals: 1, journalObjects: 1, journalSeals: 0 });
      undoPatches();
    }
  });

  it('journalSealAt: a journal reaching that many bytes is sealed into loose objects; below the default it is not', async () => {
    const data = randomBytes(6000);
    const hash = hashObject('blob', data);
    const small = await store({ journal: true });
    await small.driver.storeObject(hash, 'blob', data);
    expect(small.driver.journal.holdsOwn(hash)).toBe(true);
    expect(existsSync(path.join(small.dir, looseFile(hash)))).toBe(false);
    const sealing = await store({ journal: true, journalSealAt: 4096 });
    await sealing.driver.storeObject(hash, 'blob', data);
    await vi.waitFor(() => expect(existsSync(path.join(sealing.dir, looseFile(hash)))).toBe(true));
    await vi.waitFor(() => expect(sealing.driver.journal.stats()).toMatchObject({ journals: 0, journalSeals: 1 }));
    expect(sealing.driver.journal.holdsOwn(hash)).toBe(false);
  });

  it('journalSealAfter: the journal is sealed once that many ms have passed since it started', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    const { driver, dir } = await store({ journal: true, journalSealAfter: 1000 });
    await driver.storeObject(one, 'blob', blob('one'));
    vi.advanceTimersByTime(999);
    expect(driver.journal.holdsOwn(one)).toBe(true);
    vi.advanceTimersByTime(1);
    await vi.waitFor(() => expect(existsSync(path.join(dir, looseFile(one)))).toBe(true));
    await vi.waitFor(() => expect(driver.journal.stats()).toMatchObject({ journals: 0, journalSeals: 1 }));
  });

  it('lockStale and lockTimeout reach the head log\'s lock: a 3 s old foreign lock is taken over at lockStale 2000, not at the default', async () => {
    const { dir, remove } = await tempDir('gitty-files-options-');
    cleanups.push(remove);
    await (await openFiles(dir)).close();
    const lockPath = path.join(dir, 'ref', 'head.lock');
    const foreignLock = () => {
      mkdirSync(lockPath);
      writeFileSync(path.join(lockPath, 'owner'), JSON.stringify({ host: 'another-host', ns: '', pid: 1, token: 'theirs' }));
      const old = new Date(Date.now() - 3000);
      utimesSync(lockPath, old, old);
    };
    foreignLock();
    const patient = await openFiles(dir, { lockTimeout: 0 });
    cleanups.push(() => patient.close());
    await expect(patient.updateHead('a.pl', null, one)).rejects.toMatchObject({ code: 'LOCK_TIMEOUT', message: `Timed out waiting for the lock ${lockPath}` });
    const taking = await openFiles(dir, { lockStale: 2000, lockTimeout: 0 });
    cleanups.push(() => taking.close());
    await taking.updateHead('a.pl', null, one);
    expect(await taking.getHead('a.pl')).toBe(one);
  });

  it('FilesDriver.open without pollInterval throttles lookups to 1000 ms, and without watchLog watches the log folder', async () => {
    const { dir, remove } = await tempDir('gitty-files-options-');
    cleanups.push(remove);
    const writer = await openFiles(dir);
    cleanups.push(() => writer.close());
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const driver = await FilesDriver.open({ dir }, defaultDriverContext());
    cleanups.push(() => driver.close());
    expect(await driver.getHead('a.pl')).toBeUndefined();
    await writer.updateHead('a.pl', null, one);
    vi.setSystemTime(1_000_999);
    expect(await driver.getHead('a.pl')).toBeUndefined();
    vi.setSystemTime(1_001_000);
    expect(await driver.getHead('a.pl')).toBe(one);
    vi.useRealTimers();
    const seen: string[] = [];
    const unwatch = driver.watch((change) => seen.push(`${change.name} ${change.new}`));
    await writer.updateHead('b.pl', null, one);
    // Polling would wait 1000 ms; fs.watch reports at once.
    await vi.waitFor(() => expect(seen).toEqual([`b.pl ${one}`]), { timeout: 500, interval: 5 });
    unwatch();
  });

  it('an open that fails reading the log fails (a folder where the log should be), its journal closed', async () => {
    const { dir, remove } = await tempDir('gitty-files-options-');
    cleanups.push(remove);
    mkdirSync(path.join(dir, 'ref', 'head'), { recursive: true });
    await expect(FilesDriver.open({ dir, journal: true, durability: 'none' }, defaultDriverContext())).rejects.toMatchObject({ code: 'EISDIR' });
  });

  it('the context\'s maxObjectSize bounds plain stores, batches and the journal', async () => {
    for (const journal of [false, true]) {
      const { driver } = await store({ journal }, { maxObjectSize: 10 });
      const data = blob('eleven byte');
      const refused = { code: 'OBJECT_TOO_LARGE' };
      await expect(driver.storeObject(hashObject('blob', data), 'blob', data)).rejects.toMatchObject(refused);
      await driver.storeObject(hashOf('ten bytes!'), 'blob', blob('ten bytes!'));
      expect(await driver.loadObject(hashOf('ten bytes!'))).toEqual({ type: 'blob', data: blob('ten bytes!') });
    }
  });
});
