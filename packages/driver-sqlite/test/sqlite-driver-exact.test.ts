// SqliteDriver in the test process over a real head log and index file (objects in a
// MemoryDriver, or the files on disk through createDriver for two drivers on one store): what
// it says about itself, exact answers of each read, exact errors of each refused call, its
// counters, the throttle, watch, the history fallback to objects, heal and reindex.
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryDriver, Store, defaultDriverContext, encodeCommit, hashObject, type Driver, type HeadChange, type Progress } from '@gitty/core';
import { HeadLog, storeLayout } from '@gitty/driver-files';
import { createDriver } from '../src/factory.js';
import { IndexDb, removeIndexFiles } from '../src/index-db.js';
import { SqliteDriver } from '../src/sqlite-driver.js';

const CLOSED = { code: 'CLOSED', message: 'The sqlite driver is closed' };
type Internals = { index: IndexDb };
const indexOf = (driver: Driver) => (driver as unknown as Internals).index;

describe('SqliteDriver over objects in memory', () => {
  let dir: string;
  let inner: MemoryDriver;
  let driver: SqliteDriver;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-driver-'));
    inner = new MemoryDriver();
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    mkdirSync(dirname(log.file), { recursive: true });
    await log.initialize(async () => []);
    driver = new SqliteDriver({ inner, log, index: IndexDb.open(join(dir, 'index.sqlite')), throttleMs: 0 });
    await driver.open();
    store = new Store(driver, defaultDriverContext());
  });
  afterEach(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the sqlite driver with the inner driver\'s capabilities and its own', () => {
    expect(driver.name).toBe('sqlite');
    expect(driver.commitFormat).toBeUndefined();
    expect(driver.capabilities).toEqual({
      rawObjects: true, watch: true, sharedHeads: true, objectTimes: true, persistent: true, query: true, search: true, reindex: true,
    });
  });

  it('answers heads, listings, search and history from the index', async () => {
    const a1 = await store.create('a.pl', 'alpha one', { author: 'ann' });
    const a2 = await store.update('a.pl', 'alpha two', { previous: a1.commit });
    const b1 = await store.create('b.md', 'beta');
    expect(await driver.getHead('a.pl')).toBe(a2.commit);
    expect(await driver.getHead('none')).toBeUndefined();
    const heads = [];
    for await (const entry of driver.heads()) heads.push(entry);
    expect(heads).toEqual([{ name: 'a.pl', head: a2.commit }, { name: 'b.md', head: b1.commit }]);
    const pl = [];
    for await (const entry of driver.heads({ ext: 'pl' })) pl.push(entry);
    expect(pl).toEqual([{ name: 'a.pl', head: a2.commit }]);
    expect(await driver.queryFiles({ ext: 'md' })).toEqual([{ name: 'b.md', head: b1.commit, commit: b1 }]);
    expect(await driver.search('ALPHA')).toEqual([{ name: 'a.pl', head: a2.commit, snippet: 'alpha two' }]);
    expect(await driver.search('e', { ext: 'md' })).toEqual([{ name: 'b.md', head: b1.commit, snippet: 'beta' }]);
    expect(await driver.queryHistory(a2.commit, 10)).toEqual([a2, a1]);
    expect(await driver.queryHistory(a2.commit, 1)).toEqual([a2]);
    expect(await driver.stats()).toEqual({ indexedFiles: 2, headLogNulRereads: 0, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 0 });
  });

  it('reads history the index has not seen from the objects, once', async () => {
    const a1 = await store.create('a.pl', 'one');
    const a2 = await store.update('a.pl', 'two', { previous: a1.commit });
    const a3 = await store.update('a.pl', 'three', { previous: a2.commit });
    const db = indexOf(driver).db;
    db.prepare('DELETE FROM commits WHERE hash IN (?, ?)').run(a1.commit, a2.commit);
    expect(await driver.queryHistory(a3.commit, 10)).toEqual([a3, a2, a1]);
    expect(db.prepare('SELECT count(*) AS n FROM commits').get()).toEqual({ n: 3 });
    expect(await driver.queryHistory(a3.commit, 2)).toEqual([a3, a2]);
    // A commit gone from the objects too ends the history there.
    await driver.deleteObject(a2.commit);
    expect(db.prepare('SELECT hash FROM commits WHERE hash = ?').get(a2.commit)).toBeUndefined();
    expect(await driver.queryHistory(a3.commit, 10)).toEqual([a3]);
    // A history that reaches an object that is not a commit ends there as well.
    expect(await driver.queryHistory(a3.data, 10)).toEqual([]);
    expect(await driver.queryHistory(a1.commit, 0)).toEqual([]);
  });

  it('passes object calls to the inner driver', async () => {
    const data = new TextEncoder().encode('raw');
    const blob = hashObject('blob', data);
    expect(await driver.hasObject(blob)).toBe(false);
    expect(await driver.storeObject(blob, 'blob', data)).toBe(true);
    expect(await driver.storeObject(blob, 'blob', data)).toBe(false);
    expect(await driver.loadObject(blob)).toEqual({ type: 'blob', data });
    expect(await driver.hasObject(blob)).toBe(true);
    const listed = [];
    for await (const h of driver.objects()) listed.push(h);
    expect(listed).toEqual([blob]);
    expect(await driver.loadRaw(blob)).toEqual(await inner.loadRaw(blob));
    expect(await driver.objectTime(blob)).toBe(await inner.objectTime(blob));
    const raw = (await inner.loadRaw(blob))!;
    expect(await driver.deleteObject(blob)).toBe(true);
    expect(await driver.storeRaw(blob, raw)).toBe(true);
    expect(await inner.hasObject(blob)).toBe(true);
    expect(await driver.fsck()).toEqual([]);
    await driver.prune();
  });

  it('refuses what the inner driver cannot do with UNSUPPORTED', async () => {
    expect(() => driver.repack()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: 'The memory driver does not support repack' }));
    expect(() => driver.unpack()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', message: 'The memory driver does not support unpack' }));
  });

  it('checks names and hashes of a CAS, and refuses one from the wrong head with NOT_AT_HEAD', async () => {
    const a1 = await store.create('a.pl', 'one');
    await expect(driver.updateHead('', null, a1.commit)).rejects.toMatchObject({ code: 'INVALID_NAME' });
    await expect(driver.updateHead('a.pl', 'x', a1.commit)).rejects.toMatchObject({ code: 'INVALID_HASH' });
    await expect(driver.updateHead('a.pl', a1.commit, 'y')).rejects.toMatchObject({ code: 'INVALID_HASH' });
    await expect(driver.updateHead('a.pl', null, a1.commit)).rejects.toMatchObject({
      code: 'NOT_AT_HEAD', head: a1.commit, expected: null, message: `File "a.pl" is at ${a1.commit}, not at nothing`,
    });
    await expect(driver.updateHead('b.pl', a1.commit, a1.commit)).rejects.toMatchObject({
      code: 'NOT_AT_HEAD', head: null, message: `File "b.pl" has no head (expected ${a1.commit})`,
    });
    await driver.updateHead('a.pl', a1.commit, null);
    expect(await driver.getHead('a.pl')).toBeUndefined();
    expect(await driver.stats()).toMatchObject({ indexedFiles: 0 });
  });

  it('lists a head set before its objects once they are stored through it', async () => {
    const data = new TextEncoder().encode('late text');
    const blob = hashObject('blob', data);
    const body = encodeCommit({ name: 'late.pl', data: blob, time: 5 });
    const commit = hashObject('commit', body);
    await driver.updateHead('late.pl', null, commit);
    expect(await driver.queryFiles({})).toEqual([]);
    expect(await driver.getHead('late.pl')).toBe(commit);
    await driver.storeObject(commit, 'commit', body);
    expect((await driver.queryFiles({})).map((e) => e.name)).toEqual(['late.pl']);
    expect(await driver.search('late')).toEqual([]);
    await driver.storeObject(blob, 'blob', data);
    expect(await driver.search('late')).toEqual([{ name: 'late.pl', head: commit, snippet: 'late text' }]);
  });

  it('reindexes with progress and identical answers', async () => {
    const a1 = await store.create('a.pl', 'one');
    await store.create('b.pl', 'two');
    const progress: Progress[] = [];
    await driver.reindex({ onProgress: (p) => progress.push(p) });
    expect(progress).toEqual([{ phase: 'sqlite-reindex', done: 0, total: 2 }, { phase: 'sqlite-reindex', done: 2, total: 2 }]);
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
    expect(await driver.queryHistory(a1.commit, 5)).toEqual([a1]);
    await driver.reindex();
    expect(await driver.stats()).toMatchObject({ indexedFiles: 2, indexHeals: 0, headLogNulRereads: 0 });
  });

  it('rebuilds an index deleted under it, and counts the heal', async () => {
    const a1 = await store.create('a.pl', 'one');
    removeIndexFiles(join(dir, 'index.sqlite'));
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 0, indexHeals: 1, indexInMemory: 0, indexMemoryFallbacks: 0 });
    removeIndexFiles(join(dir, 'index.sqlite'));
    const a2 = await store.update('a.pl', 'two', { previous: a1.commit });
    expect(await driver.getHead('a.pl')).toBe(a2.commit);
    expect(await driver.stats()).toMatchObject({ indexHeals: 2 });
  });

  it('reads a line holding NUL bytes again under the lock, and counts it', async () => {
    const a1 = await store.create('a.pl', 'one');
    appendFileSync(storeLayout(dir).headLog, Buffer.alloc(12, 0));
    appendFileSync(storeLayout(dir).headLog, '\n');
    await driver.rescan();
    expect(await driver.stats()).toMatchObject({ headLogNulRereads: 1 });
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
    const a2 = await store.update('a.pl', 'two', { previous: a1.commit });
    expect(await driver.getHead('a.pl')).toBe(a2.commit);
    expect(await driver.stats()).toMatchObject({ headLogNulRereads: 1 });
  });

  it('a reindex that stops at a line holding NUL bytes reads on under the lock, and counts it', async () => {
    const a1 = await store.create('a.pl', 'one');
    appendFileSync(storeLayout(dir).headLog, Buffer.concat([Buffer.alloc(12, 0), Buffer.from('\n')]));
    await driver.reindex();
    expect(await driver.stats()).toMatchObject({ headLogNulRereads: 1, indexHeals: 0, indexedFiles: 1 });
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
  });

  it('open rebuilds a missing index with progress, and only reads the tail of a ready one', async () => {
    await store.create('a.pl', 'one');
    await store.create('b.pl', 'two');
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    const progress: Progress[] = [];
    const ready = new SqliteDriver({ inner: new MemoryDriver(), log, index: IndexDb.open(join(dir, 'index.sqlite')), throttleMs: 0 });
    try {
      await ready.open((p) => progress.push(p));
      expect(progress).toEqual([]);
      expect(await ready.getHead('a.pl')).toBe(await driver.getHead('a.pl'));
    } finally {
      await ready.close();
    }
    const other = join(dir, 'other.sqlite');
    const missing = new SqliteDriver({ inner: new MemoryDriver(), log, index: IndexDb.open(other), throttleMs: 0 });
    try {
      await missing.open((p) => progress.push(p));
      expect(progress).toEqual([{ phase: 'sqlite-reindex', done: 0, total: 2 }, { phase: 'sqlite-reindex', done: 2, total: 2 }]);
      expect(await missing.getHead('b.pl')).toBe(await driver.getHead('b.pl'));
    } finally {
      await missing.close();
    }
  });

  it('reads on from the objects with the limit left, when the index misses a commit in the middle', async () => {
    const a1 = await store.create('a.pl', 'one');
    const a2 = await store.update('a.pl', 'two', { previous: a1.commit });
    const a3 = await store.update('a.pl', 'three', { previous: a2.commit });
    indexOf(driver).db.prepare('DELETE FROM commits WHERE hash = ?').run(a2.commit);
    expect(await driver.queryHistory(a3.commit, 2)).toEqual([a3, a2]);
  });

  it('heals an index whose tables another connection dropped, in a read, a CAS and a reindex', async () => {
    const a1 = await store.create('a.pl', 'one');
    const drop = () => {
      const other = new Database(join(dir, 'index.sqlite'));
      other.exec('DROP TABLE heads');
      other.close();
    };
    drop();
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
    expect(await driver.stats()).toMatchObject({ indexHeals: 1 });
    drop();
    await driver.updateHead('b.pl', null, a1.commit);
    expect(await driver.getHead('b.pl')).toBe(a1.commit);
    expect(await driver.stats()).toMatchObject({ indexHeals: 2 });
    const lines = readFileSync(storeLayout(dir).headLog, 'utf8').split('\n').filter((line) => line.includes('"b.pl"'));
    expect(lines).toHaveLength(1);
    drop();
    await driver.reindex();
    expect(await driver.stats()).toMatchObject({ indexHeals: 3, indexedFiles: 2 });
  });

  it('keeps the busy timeout when it reopens a healed index', async () => {
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    const timed = new SqliteDriver({ inner: new MemoryDriver(), log, index: IndexDb.open(join(dir, 'timed.sqlite'), { busyTimeout: 321 }), throttleMs: 0 });
    try {
      await timed.open();
      removeIndexFiles(join(dir, 'timed.sqlite'));
      await timed.rescan();
      expect(await timed.stats()).toMatchObject({ indexHeals: 1 });
      expect(indexOf(timed).busyTimeout).toBe(321);
      expect(indexOf(timed).db.pragma('busy_timeout', { simple: true })).toBe(321);
    } finally {
      await timed.close();
    }
  });

  it('follows a head log rewritten under it (a new epoch) by rebuilding', async () => {
    const a1 = await store.create('a.pl', 'one');
    const b1 = await store.create('b.pl', 'two');
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    await log.withLock(() => log.create([{ name: 'b.pl', head: b1.commit }]));
    expect(await driver.getHead('a.pl')).toBeUndefined();
    expect(await driver.getHead('b.pl')).toBe(b1.commit);
    await driver.updateHead('a.pl', null, a1.commit);
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
  });

  it('a CAS right after a line holding NUL bytes appends at the log\'s end', async () => {
    const a1 = await store.create('a.pl', 'one');
    appendFileSync(storeLayout(dir).headLog, Buffer.concat([Buffer.alloc(12, 0), Buffer.from('\n')]));
    await driver.updateHead('b.pl', null, a1.commit);
    await driver.updateHead('b.pl', a1.commit, null);
    await driver.updateHead('b.pl', null, a1.commit);
    expect(await driver.getHead('b.pl')).toBe(a1.commit);
    const fresh = await createDriver({ dir, durability: 'none', throttleMs: 0 }, defaultDriverContext());
    try {
      expect(await fresh.getHead('b.pl')).toBe(a1.commit);
      expect(await fresh.getHead('a.pl')).toBe(a1.commit);
    } finally {
      await fresh.close();
    }
  });

  it('goes on in memory when the index file cannot grow (SQLITE_FULL), and back to the file at the next look', async () => {
    const a1 = await store.create('a.pl', 'one');
    const db = indexOf(driver).db;
    // This connection may not grow the file: the next write that needs a page fails with SQLITE_FULL.
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = await store.update('a.pl', 'x'.repeat(200_000), { previous: a1.commit });
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 0, indexHeals: 0, indexInMemory: 1, indexMemoryFallbacks: 1 });
    expect(indexOf(driver).memory).toBe(true);
    expect(indexOf(driver).getHead('a.pl')).toBe(big.commit);
    // The next read opens the file again (a new connection, no limit) and brings it up to the log.
    expect(await driver.getHead('a.pl')).toBe(big.commit);
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 0, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 1 });
    expect(indexOf(driver).memory).toBe(false);
    expect(indexOf(driver).getHead('a.pl')).toBe(big.commit);
    expect((await driver.search('xxx')).map((hit) => hit.name)).toEqual(['a.pl']);
    const lines = readFileSync(storeLayout(dir).headLog, 'utf8').split('\n').filter((line) => line.includes(big.commit));
    expect(lines).toHaveLength(1);
  });

  it('a read that meets SQLITE_FULL answers from a copy in memory', async () => {
    const a1 = await store.create('a.pl', 'one');
    const db = indexOf(driver).db;
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    // Another writer appends a big change; this driver's catch-up on the next read cannot write it.
    const shared = Object.assign(Object.create(inner) as MemoryDriver, { close: async () => undefined });
    const other = new SqliteDriver({ inner: shared, log, index: IndexDb.inMemory(join(dir, 'elsewhere.sqlite')), throttleMs: 0 });
    await other.open();
    const otherStore = new Store(other, defaultDriverContext());
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = await otherStore.update('a.pl', 'y'.repeat(200_000), { previous: a1.commit });
    await other.close();
    const files = await driver.queryFiles({});
    expect(files.map((f) => f.head)).toEqual([big.commit]);
    expect(await driver.stats()).toMatchObject({ indexMemoryFallbacks: 1 });
  });

  it('reopens an index whose connection was closed under it (a heal elsewhere), in a read, a CAS and a reindex', async () => {
    const a1 = await store.create('a.pl', 'one');
    indexOf(driver).db.close();
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
    expect(await driver.stats()).toMatchObject({ indexHeals: 1 });
    indexOf(driver).db.close();
    await driver.updateHead('b.pl', null, a1.commit);
    expect(await driver.getHead('b.pl')).toBe(a1.commit);
    expect(await driver.stats()).toMatchObject({ indexHeals: 2 });
    indexOf(driver).db.close();
    await driver.reindex();
    expect(await driver.stats()).toMatchObject({ indexHeals: 3, indexedFiles: 2 });
  });

  it('refuses every call after close with CLOSED, and closes once', async () => {
    await driver.close();
    await driver.close();
    const h = 'a'.repeat(40);
    for (const call of [
      () => driver.storeObject(h, 'blob', new Uint8Array()), () => driver.loadObject(h), () => driver.hasObject(h), () => driver.objects(),
      () => driver.deleteObject(h), () => driver.getHead('a'), () => driver.updateHead('a', null, h), () => driver.rescan(),
      () => driver.queryFiles({}), () => driver.queryHistory(h, 1), () => driver.search('x'), () => driver.reindex(), () => driver.watch(() => undefined),
      () => driver.repack(), () => driver.unpack(), () => driver.loadRaw(h), () => driver.storeRaw(h, new Uint8Array()), () => driver.objectTime(h),
      () => driver.prune(), () => driver.fsck(), () => driver.stats(),
    ]) {
      await expect((async () => call())()).rejects.toMatchObject(CLOSED);
    }
    const iterate = async () => {
      for await (const _ of driver.heads()) return;
    };
    await expect(iterate()).rejects.toMatchObject(CLOSED);
  });
});

describe('SqliteDriver and its inner driver', () => {
  let dir: string;
  let calls: string[];
  let inner: MemoryDriver;
  let driver: SqliteDriver;
  let store: Store;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-inner-'));
    calls = [];
    inner = new MemoryDriver();
    // Every call the sqlite driver makes on its inner driver, by method name.
    const spy = new Proxy(inner, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof value !== 'function' || typeof key !== 'string') return value;
        return (...args: unknown[]) => {
          calls.push(key);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    mkdirSync(dirname(log.file), { recursive: true });
    await log.initialize(async () => []);
    driver = new SqliteDriver({ inner: Object.assign(spy, { fsck: async () => [{ kind: 'stand-in' }], prune: async () => { calls.push('prune'); } }) as never, log, index: IndexDb.open(join(dir, 'index.sqlite')), throttleMs: 0 });
    await driver.open();
    store = new Store(driver, defaultDriverContext());
  });
  afterEach(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('indexes its own writes from the objects it just stored, reading none back', async () => {
    await store.create('a.pl', 'one');
    expect(calls.filter((c) => c === 'loadObject')).toEqual([]);
    expect(calls).toContain('storeObject');
  });

  it('a deleted object is forgotten: a head later set to it is listed nowhere', async () => {
    const data = new TextEncoder().encode('text');
    const blob = hashObject('blob', data);
    const body = encodeCommit({ name: 'a.pl', data: blob, time: 1 });
    const commit = hashObject('commit', body);
    await driver.storeObject(blob, 'blob', data);
    await driver.storeObject(commit, 'commit', body);
    await driver.deleteObject(commit);
    await driver.updateHead('a.pl', null, commit);
    expect(await driver.getHead('a.pl')).toBe(commit);
    expect(await driver.queryFiles({})).toEqual([]);
  });

  it('rescan asks the inner driver, and indexes waiting heads whose objects arrived there', async () => {
    const data = new TextEncoder().encode('arrived');
    const blob = hashObject('blob', data);
    const body = encodeCommit({ name: 'w.pl', data: blob, time: 1 });
    const commit = hashObject('commit', body);
    await driver.updateHead('w.pl', null, commit);
    // Stored by someone else (another process, a repack): not through this driver.
    await inner.storeObject(blob, 'blob', data);
    await inner.storeObject(commit, 'commit', body);
    expect(await driver.queryFiles({})).toEqual([]);
    calls.length = 0;
    await driver.rescan();
    expect(calls[0]).toBe('rescan');
    expect((await driver.queryFiles({})).map((e) => e.name)).toEqual(['w.pl']);
    expect(await driver.search('arrived')).toEqual([{ name: 'w.pl', head: commit, snippet: 'arrived' }]);
  });

  it('opens as it is an index file another process put in place, and rebuilds one deleted, reading the objects', async () => {
    const data = new TextEncoder().encode('kept');
    const blob = hashObject('blob', data);
    const body = encodeCommit({ name: 'k.pl', data: blob, time: 1 });
    const commit = hashObject('commit', body);
    // Stored below the driver: not among the objects it remembers writing.
    await inner.storeObject(blob, 'blob', data);
    await inner.storeObject(commit, 'commit', body);
    await driver.updateHead('k.pl', null, commit);
    const file = join(dir, 'index.sqlite');
    indexOf(driver).db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(file, `${file}.new`);
    renameSync(`${file}.new`, file);
    calls.length = 0;
    await driver.rescan();
    expect(await driver.stats()).toMatchObject({ indexHeals: 1 });
    expect(calls.filter((c) => c === 'loadObject')).toEqual([]);
    expect(await driver.search('kept')).toEqual([{ name: 'k.pl', head: commit, snippet: 'kept' }]);
    removeIndexFiles(file);
    await driver.rescan();
    expect(await driver.stats()).toMatchObject({ indexHeals: 2 });
    expect(calls.filter((c) => c === 'loadObject')).toEqual(['loadObject', 'loadObject']);
  });

  it('passes fsck\'s issues and prune to the inner driver, and closes it', async () => {
    expect(await driver.fsck()).toEqual([{ kind: 'stand-in' }]);
    await driver.prune();
    expect(calls).toContain('prune');
    await driver.close();
    expect(calls).toContain('close');
    await expect(inner.hasObject('a'.repeat(40))).rejects.toMatchObject({ code: 'CLOSED' });
  });
});

describe('two sqlite drivers on one store folder', () => {
  let dir: string;
  let drivers: Driver[];
  const open = async (throttleMs: number) => {
    const driver = await createDriver({ dir, durability: 'none', throttleMs }, defaultDriverContext());
    drivers.push(driver);
    return driver;
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-two-'));
    drivers = [];
  });
  afterEach(async () => {
    for (const driver of drivers) await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('share the index file: a reader, throttled or not, answers another driver\'s write at once', async () => {
    const slow = await open(1e9);
    const fast = await open(0);
    const writer = await open(0);
    const store = new Store(writer, defaultDriverContext());
    expect(await slow.getHead('a.pl')).toBeUndefined();
    const a1 = await store.create('a.pl', 'one');
    expect(await fast.getHead('a.pl')).toBe(a1.commit);
    expect(await slow.getHead('a.pl')).toBe(a1.commit);
  });

  it('watch reports the other\'s changes after its position, not its own, until unsubscribed', async () => {
    const watcher = await open(0);
    const other = await open(0);
    // No Store over the watcher: a Store subscribes itself, and the watch would then start earlier.
    const theirs = new Store(other, defaultDriverContext());
    await theirs.create('early.pl', 'e');
    const seen: HeadChange[] = [];
    const off = watcher.watch!((change) => seen.push(change));
    await watcher.updateHead('mine.pl', null, 'a'.repeat(40));
    const t1 = await theirs.create('theirs.pl', 't');
    await watcher.rescan();
    expect(seen).toEqual([{ name: 'theirs.pl', old: null, new: t1.commit }]);
    off();
    await theirs.update('theirs.pl', 'u', { previous: t1.commit });
    await watcher.rescan();
    expect(seen).toHaveLength(1);
  });

  it('a throttled driver looks at the disk only when the interval passed or on rescan', async () => {
    const slow = await open(1e9);
    const store = new Store(await open(0), defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    removeIndexFiles(join(dir, 'index.sqlite'));
    // Still reading the file it opened (deleted, not yet noticed).
    expect(await slow.getHead('a.pl')).toBe(a1.commit);
    expect(await slow.stats!()).toMatchObject({ indexHeals: 0 });
    await slow.rescan();
    expect(await slow.stats!()).toMatchObject({ indexHeals: 1 });
    expect(await slow.getHead('a.pl')).toBe(a1.commit);
  });

  it('a throttled driver heals at once when a CAS finds its index file gone', async () => {
    const slow = await open(1e9);
    removeIndexFiles(join(dir, 'index.sqlite'));
    await slow.updateHead('a.pl', null, 'a'.repeat(40));
    expect(await slow.stats!()).toMatchObject({ indexHeals: 1 });
    expect(await slow.getHead('a.pl')).toBe('a'.repeat(40));
  });

  it('prune compacts the head log, and stats add the inner driver\'s', async () => {
    const driver = await open(0);
    const store = new Store(driver, defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    await store.update('a.pl', 'two', { previous: a1.commit });
    await driver.prune!();
    const stats = await driver.stats!();
    expect(stats).toMatchObject({ looseObjects: 4, indexedFiles: 1, headLogNulRereads: 0, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 0 });
    expect(await driver.fsck!()).toEqual([]);
  });
});

describe('SqliteDriver over objects that fail to load', () => {
  it('passes the error on, without healing the index, from open, reindex and history', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-eio-'));
    const good = new Store(await createDriver({ dir, durability: 'none' }, defaultDriverContext()), defaultDriverContext());
    const a1 = await good.create('a.pl', 'one');
    const a2 = await good.update('a.pl', 'two', { previous: a1.commit });
    await good.close();
    const files = new MemoryDriver();
    const failing = Object.assign(files, { loadObject: async () => { throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }); } });
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    const opening = new SqliteDriver({ inner: failing, log, index: IndexDb.open(join(dir, 'missing.sqlite')), throttleMs: 0 });
    try {
      await expect(opening.open()).rejects.toMatchObject({ code: 'EIO', message: 'EIO: i/o error' });
      expect(await opening.stats()).toMatchObject({ indexInMemory: 0, indexMemoryFallbacks: 0, indexHeals: 0 });
    } finally {
      await opening.close();
    }
    const ready = new SqliteDriver({ inner: new MemoryDriver(), log, index: IndexDb.open(join(dir, 'index.sqlite')), throttleMs: 0 });
    const loadFails = { failing: false };
    const inner = (ready as unknown as { inner: MemoryDriver }).inner;
    inner.loadObject = async (hash: string) => {
      if (loadFails.failing) throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      return MemoryDriver.prototype.loadObject.call(inner, hash);
    };
    try {
      await ready.open();
      loadFails.failing = true;
      await expect(ready.reindex()).rejects.toMatchObject({ code: 'EIO' });
      expect(await ready.getHead('a.pl')).toBe(a2.commit);
      indexOf(ready).db.prepare('DELETE FROM commits WHERE hash = ?').run(a1.commit);
      await expect(ready.queryHistory(a2.commit, 5)).rejects.toMatchObject({ code: 'EIO' });
      expect(await ready.stats()).toMatchObject({ indexHeals: 0, indexInMemory: 0 });
    } finally {
      await ready.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
