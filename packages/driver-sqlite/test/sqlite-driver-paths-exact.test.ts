// SqliteDriver in the test process over a real head log and real index files: the default
// throttle on a stepped clock, the watch's poll interval, where a rebuild (open, heal, a new
// epoch, reindex) and the return from memory to the file stop at a line holding NUL bytes and
// read it under the lock, the busy timeout kept on the way back to the file, two reads meeting a
// full index file at once, and close with a log that has no close of its own.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryDriver, Store, defaultDriverContext, type Progress } from '@gitty/core';
import { HeadLog, storeLayout } from '@gitty/driver-files';
import { IndexDb, removeIndexFiles } from '../src/index-db.js';
import type { HeadLogAccess } from '../src/head-log-port.js';
import { SqliteDriver } from '../src/sqlite-driver.js';

type Internals = { index: IndexDb };
const indexOf = (driver: SqliteDriver) => (driver as unknown as Internals).index;
const NUL_LINE = Buffer.concat([Buffer.alloc(12, 0), Buffer.from('\n')]);

let dir: string;
let opened: SqliteDriver[];

function headLog(): HeadLog {
  return new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
}

async function openDriver(options: { file?: string; throttleMs?: number; busyTimeout?: number; inner?: MemoryDriver; log?: HeadLogAccess } = {}): Promise<SqliteDriver> {
  const index = IndexDb.open(join(dir, options.file ?? 'index.sqlite'), options.busyTimeout === undefined ? {} : { busyTimeout: options.busyTimeout });
  const parts = { inner: options.inner ?? new MemoryDriver(), log: options.log ?? headLog(), index };
  const driver = new SqliteDriver(options.throttleMs === undefined ? parts : { ...parts, throttleMs: options.throttleMs });
  opened.push(driver);
  await driver.open();
  return driver;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-paths-'));
  opened = [];
  const log = headLog();
  mkdirSync(dirname(log.file), { recursive: true });
  await log.initialize(async () => []);
});
afterEach(async () => {
  vi.restoreAllMocks();
  for (const driver of opened) await driver.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteDriver throttle', () => {
  it('without throttleMs looks at the log again once 1000 ms passed, not at 999', async () => {
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    // Its own index file: a shared file would show the writer's change without a look.
    const reader = await openDriver({ file: 'reader.sqlite' });
    const writer = await openDriver({ throttleMs: 0 });
    const head = 'a'.repeat(40);
    await writer.updateHead('a.pl', null, head);
    now += 999;
    expect(await reader.getHead('a.pl')).toBeUndefined();
    now += 1;
    expect(await reader.getHead('a.pl')).toBe(head);
  });

  it('polls for watch every throttleMs, or every second when reads look every time', async () => {
    const delays = () => spy.mock.calls.map((call) => call[1]);
    const spy = vi.spyOn(globalThis, 'setInterval');
    const every = await openDriver({ throttleMs: 0 });
    spy.mockClear();
    every.watch(() => undefined);
    expect(delays()).toEqual([1000]);
    const throttled = await openDriver({ file: 'throttled.sqlite', throttleMs: 200 });
    spy.mockClear();
    throttled.watch(() => undefined);
    expect(delays()).toEqual([200]);
  });
});

describe('SqliteDriver rebuilds that meet a line holding NUL bytes', () => {
  it('open: a missing index is rebuilt up to the line, which is then read under the lock', async () => {
    const writer = await openDriver({ throttleMs: 0 });
    await writer.updateHead('a.pl', null, 'a'.repeat(40));
    appendFileSync(storeLayout(dir).headLog, NUL_LINE);
    const fresh = await openDriver({ file: 'fresh.sqlite', throttleMs: 0 });
    expect(await fresh.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 1, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 0 });
    expect(await fresh.getHead('a.pl')).toBe('a'.repeat(40));
    expect(await fresh.stats()).toMatchObject({ headLogNulRereads: 1 });
  });

  it('heal: an index deleted under the driver is rebuilt up to the line, which is then read under the lock', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    await driver.updateHead('a.pl', null, 'a'.repeat(40));
    removeIndexFiles(join(dir, 'index.sqlite'));
    appendFileSync(storeLayout(dir).headLog, NUL_LINE);
    expect(await driver.getHead('a.pl')).toBe('a'.repeat(40));
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 1, indexHeals: 1, indexInMemory: 0, indexMemoryFallbacks: 0 });
  });

  it('a new epoch: the rebuild of a read stops at the line, which is then read under the lock', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    await driver.updateHead('a.pl', null, 'a'.repeat(40));
    const log = headLog();
    await log.withLock(() => log.create([{ name: 'b.pl', head: 'b'.repeat(40) }]));
    appendFileSync(log.file, NUL_LINE);
    expect(await driver.getHead('b.pl')).toBe('b'.repeat(40));
    expect(await driver.getHead('a.pl')).toBeUndefined();
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 1, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 0 });
  });

  it('reindex: an index ahead of the line (read past it under the lock) is rebuilt again under the lock', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const store = new Store(driver, defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    appendFileSync(storeLayout(dir).headLog, NUL_LINE);
    await driver.rescan();
    const b1 = await store.create('b.pl', 'two');
    const progress: Progress[] = [];
    indexOf(driver).db.prepare('DELETE FROM commits').run();
    await driver.reindex({ onProgress: (p) => progress.push(p) });
    // Without the lock the rebuild reads a.pl only and stops at the line; the index is past it,
    // so nothing is committed; under the lock the line is garbage, passed, and both are indexed.
    expect(progress).toEqual([
      { phase: 'sqlite-reindex', done: 0, total: 1 },
      { phase: 'sqlite-reindex', done: 0, total: 2 },
      { phase: 'sqlite-reindex', done: 2, total: 2 },
    ]);
    expect(indexOf(driver).db.prepare('SELECT count(*) AS n FROM commits').get()).toEqual({ n: 2 });
    expect(await driver.queryHistory(b1.commit, 5)).toEqual([b1]);
    expect(await driver.queryHistory(a1.commit, 5)).toEqual([a1]);
    expect(await driver.stats()).toMatchObject({ headLogNulRereads: 1, indexHeals: 0 });
  });
});

describe('SqliteDriver back from memory to the index file', () => {
  it('keeps the busy timeout, and reads on up to a line holding NUL bytes, then under the lock', async () => {
    const driver = await openDriver({ throttleMs: 0, busyTimeout: 321 });
    const store = new Store(driver, defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    const db = indexOf(driver).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = await store.update('a.pl', 'x'.repeat(200_000), { previous: a1.commit });
    expect(indexOf(driver).memory).toBe(true);
    appendFileSync(storeLayout(dir).headLog, NUL_LINE);
    expect(await driver.getHead('a.pl')).toBe(big.commit);
    expect(indexOf(driver).memory).toBe(false);
    expect(indexOf(driver).busyTimeout).toBe(321);
    expect(indexOf(driver).db.pragma('busy_timeout', { simple: true })).toBe(321);
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 1, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 1 });
  });

  it('two reads that meet a full index file at once make one copy in memory', async () => {
    const inner = new MemoryDriver();
    const driver = await openDriver({ throttleMs: 0, inner });
    const store = new Store(driver, defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    const db = indexOf(driver).db;
    // Another writer's big change, which this driver's file cannot take.
    const shared = Object.assign(Object.create(inner) as MemoryDriver, { close: async () => undefined });
    const other = new SqliteDriver({ inner: shared, log: headLog(), index: IndexDb.inMemory(join(dir, 'elsewhere.sqlite')), throttleMs: 0 });
    await other.open();
    const big = await new Store(other, defaultDriverContext()).update('a.pl', 'y'.repeat(200_000), { previous: a1.commit });
    await other.close();
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    // The file stays full for both: the next look back at it must fail too.
    vi.spyOn(IndexDb, 'open').mockImplementation(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    const [first, second] = await Promise.all([driver.queryFiles({}), driver.queryFiles({})]);
    expect(first.map((f) => f.head)).toEqual([big.commit]);
    expect(second.map((f) => f.head)).toEqual([big.commit]);
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 0, indexHeals: 0, indexInMemory: 1, indexMemoryFallbacks: 1 });
  });
});

describe('SqliteDriver close', () => {
  it('closes its inner driver once over two closes, with a log that has no close', async () => {
    const inner = new MemoryDriver();
    let closes = 0;
    inner.close = async () => {
      closes++;
    };
    const full = headLog();
    const log: HeadLogAccess = {
      file: full.file, strict: full.strict,
      readFrom: (from) => full.readFrom(from),
      scan: (from, visit, options) => full.scan(from, visit, options),
      append: (at, changes) => full.append(at, changes),
      withLock: (work) => full.withLock(work),
    };
    const driver = await openDriver({ throttleMs: 0, inner, log });
    await driver.updateHead('a.pl', null, 'a'.repeat(40));
    await driver.close();
    await driver.close();
    expect(closes).toBe(1);
    await expect(driver.getHead('a.pl')).rejects.toMatchObject({ code: 'CLOSED', message: 'The sqlite driver is closed' });
  });
});

const damage = () => Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
const commitsIn = (file: string) => readFileSync(file, 'utf8').split('\n').filter((line) => line.includes('"c.pl"')).length;

/** The head log, with the number of times its lock was taken. */
function countedLog(): { log: HeadLogAccess; locks: () => number } {
  const full = headLog();
  let locks = 0;
  const log: HeadLogAccess = {
    file: full.file, strict: full.strict,
    readFrom: (from) => full.readFrom(from),
    scan: (from, visit, options) => full.scan(from, visit, options),
    append: (at, changes) => full.append(at, changes),
    withLock: (work) => {
      locks++;
      return full.withLock(work);
    },
    close: () => full.close(),
  };
  return { log, locks: () => locks };
}

describe('SqliteDriver CAS when the shared index is not where the log ends', () => {
  const head = 'c'.repeat(40);
  const moved = async (position: (real: { epoch: string; offset: number }) => { epoch: string; offset: number } | undefined) => {
    const driver = await openDriver({ throttleMs: 0 });
    const real = IndexDb.prototype.headAndPosition;
    const spy = vi.spyOn(IndexDb.prototype, 'headAndPosition').mockImplementation(function (this: IndexDb, name: string) {
      const seen = real.call(this, name);
      return { ...seen, position: position(seen.position!) };
    });
    await expect(driver.updateHead('c.pl', null, head)).rejects.toMatchObject({
      message: `The sqlite index of ${storeLayout(dir).headLog} kept moving away from the head log's end during a CAS; retry`,
    });
    expect(spy).toHaveBeenCalledTimes(10);
    spy.mockRestore();
    expect(commitsIn(storeLayout(dir).headLog)).toBe(0);
    expect(await driver.getHead('c.pl')).toBeUndefined();
  };

  it('an index at another offset of the same epoch: ten looks, then an error, nothing appended', async () => {
    await moved((real) => ({ epoch: real.epoch, offset: real.offset + 1 }));
  });

  it('an index at the same offset of another epoch: ten looks, then an error', async () => {
    await moved((real) => ({ epoch: `${real.epoch}x`, offset: real.offset }));
  });

  it('an index without a position: ten looks, then an error', async () => {
    await moved(() => undefined);
  });
});

describe('SqliteDriver CAS on a damaged or reconnected index', () => {
  const head = 'c'.repeat(40);

  it('damage again after the heal: CORRUPT_OBJECT naming the file, after exactly one heal, nothing appended', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const spy = vi.spyOn(IndexDb.prototype, 'headAndPosition').mockImplementation(() => {
      throw damage();
    });
    const err = await driver.updateHead('c.pl', null, head).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({
      code: 'CORRUPT_OBJECT',
      message: `Corrupt object in ${join(dir, 'index.sqlite')}: the SQLite index is still unreadable after rebuilding it (SQLITE_CORRUPT)`,
    });
    expect((err as Error).cause).toMatchObject({ code: 'SQLITE_CORRUPT', message: 'database disk image is malformed' });
    expect(spy).toHaveBeenCalledTimes(2);
    spy.mockRestore();
    expect(await driver.stats()).toMatchObject({ indexHeals: 1 });
    expect(commitsIn(storeLayout(dir).headLog)).toBe(0);
  });

  it('a connection closed under it (open again): tried again without a heal', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const real = IndexDb.prototype.headAndPosition;
    let calls = 0;
    vi.spyOn(IndexDb.prototype, 'headAndPosition').mockImplementation(function (this: IndexDb, name: string) {
      if (calls++ === 0) throw new TypeError('The database connection is not open');
      return real.call(this, name);
    });
    await driver.updateHead('c.pl', null, head);
    expect(calls).toBe(2);
    expect(await driver.getHead('c.pl')).toBe(head);
    expect(await driver.stats()).toMatchObject({ indexHeals: 0 });
  });

  it('another TypeError is passed on at once', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const real = IndexDb.prototype.headAndPosition;
    let calls = 0;
    vi.spyOn(IndexDb.prototype, 'headAndPosition').mockImplementation(function (this: IndexDb, name: string) {
      if (calls++ === 0) throw new TypeError('not a connection error');
      return real.call(this, name);
    });
    await expect(driver.updateHead('c.pl', null, head)).rejects.toThrow(new TypeError('not a connection error'));
    expect(calls).toBe(1);
    expect(await driver.getHead('c.pl')).toBeUndefined();
  });

  it('NOT_AT_HEAD takes the log\'s lock once', async () => {
    const { log, locks } = countedLog();
    const driver = await openDriver({ throttleMs: 0, log });
    await expect(driver.updateHead('c.pl', head, null)).rejects.toMatchObject({ code: 'NOT_AT_HEAD', message: `File "c.pl" has no head (expected ${head})` });
    expect(locks()).toBe(1);
  });

  it('damage after the append: acknowledged once, the index healed', async () => {
    const inner = new MemoryDriver();
    const driver = await openDriver({ throttleMs: 0, inner });
    let failing = true;
    const load = inner.loadObject.bind(inner);
    inner.loadObject = async (hash: string) => {
      if (hash === head && failing) {
        failing = false;
        throw damage();
      }
      return load(hash);
    };
    await driver.updateHead('c.pl', null, head);
    expect(failing).toBe(false);
    expect(commitsIn(storeLayout(dir).headLog)).toBe(1);
    expect(await driver.getHead('c.pl')).toBe(head);
    expect(await driver.stats()).toMatchObject({ indexHeals: 1 });
  });

  it('a full index file before the append: goes on in memory and appends the change', async () => {
    const inner = new MemoryDriver();
    const driver = await openDriver({ throttleMs: 0, inner });
    const a1 = await new Store(driver, defaultDriverContext()).create('a.pl', 'one');
    const shared = Object.assign(Object.create(inner) as MemoryDriver, { close: async () => undefined });
    const other = new SqliteDriver({ inner: shared, log: headLog(), index: IndexDb.inMemory(join(dir, 'elsewhere.sqlite')), throttleMs: 0 });
    await other.open();
    await new Store(other, defaultDriverContext()).update('a.pl', 'z'.repeat(200_000), { previous: a1.commit });
    await other.close();
    const db = indexOf(driver).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    await driver.updateHead('c.pl', null, head);
    expect(commitsIn(storeLayout(dir).headLog)).toBe(1);
    expect(indexOf(driver).getHead('c.pl')).toBe(head);
    expect(await driver.stats()).toMatchObject({ indexMemoryFallbacks: 1 });
  });
});

describe('SqliteDriver when rebuilding does not help, or the file cannot be opened', () => {
  it('reindex and a read whose rebuild meets damage again: CORRUPT_OBJECT', async () => {
    const inner = new MemoryDriver();
    const driver = await openDriver({ throttleMs: 0, inner });
    const writer = await openDriver({ file: 'writer.sqlite', throttleMs: 0 });
    await writer.updateHead('a.pl', null, 'a'.repeat(40));
    expect(await driver.getHead('a.pl')).toBe('a'.repeat(40));
    inner.loadObject = async () => {
      throw damage();
    };
    const message = `Corrupt object in ${join(dir, 'index.sqlite')}: the SQLite index is still unreadable after rebuilding it (SQLITE_CORRUPT)`;
    await expect(driver.reindex()).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message });
    await writer.updateHead('b.pl', null, 'b'.repeat(40));
    await expect(driver.getHead('b.pl')).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message });
  });

  it('a heal of the file it opened (connection closed under it) removes it and rebuilds it from the log', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const a1 = await new Store(driver, defaultDriverContext()).create('a.pl', 'one');
    indexOf(driver).db.prepare('DELETE FROM commits').run();
    indexOf(driver).db.close();
    expect(await driver.getHead('a.pl')).toBe(a1.commit);
    expect(indexOf(driver).db.prepare('SELECT hash FROM commits').all()).toEqual([{ hash: a1.commit }]);
    expect(await driver.stats()).toMatchObject({ indexHeals: 1 });
  });

  it('a heal that cannot open the file for want of room goes on in memory, and back to the file later', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    await driver.updateHead('a.pl', null, 'a'.repeat(40));
    removeIndexFiles(join(dir, 'index.sqlite'));
    const spy = vi.spyOn(IndexDb, 'open').mockImplementation(() => {
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    });
    expect(await driver.getHead('a.pl')).toBe('a'.repeat(40));
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 0, indexHeals: 1, indexInMemory: 1, indexMemoryFallbacks: 1 });
    spy.mockRestore();
    expect(await driver.getHead('a.pl')).toBe('a'.repeat(40));
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 0, indexHeals: 1, indexInMemory: 0, indexMemoryFallbacks: 1 });
  });

  it('a full file whose copy in memory cannot be made is rebuilt in memory from the log', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const store = new Store(driver, defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    vi.spyOn(IndexDb.prototype, 'copyInMemory').mockImplementation(() => {
      throw Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' });
    });
    const db = indexOf(driver).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = await store.update('a.pl', 'x'.repeat(200_000), { previous: a1.commit });
    expect(indexOf(driver).memory).toBe(true);
    expect(indexOf(driver).getHead('a.pl')).toBe(big.commit);
    expect(await driver.stats()).toMatchObject({ indexMemoryFallbacks: 1, indexInMemory: 1 });
  });

  it('a copy in memory rebuilt from the log stops at a line holding NUL bytes, which is then read under the lock', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    const store = new Store(driver, defaultDriverContext());
    const a1 = await store.create('a.pl', 'one');
    appendFileSync(storeLayout(dir).headLog, NUL_LINE);
    vi.spyOn(IndexDb.prototype, 'copyInMemory').mockImplementation(() => {
      throw Object.assign(new Error('unable to open database file'), { code: 'SQLITE_CANTOPEN' });
    });
    const db = indexOf(driver).db;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    // The CAS reads past the line under the lock; the rebuild in memory, outside it, stops there.
    const big = await store.update('a.pl', 'x'.repeat(200_000), { previous: a1.commit });
    expect(indexOf(driver).memory).toBe(true);
    expect(indexOf(driver).getHead('a.pl')).toBe(big.commit);
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 1, indexHeals: 0, indexInMemory: 1, indexMemoryFallbacks: 1 });
  });
});

const wrapped = (inner: MemoryDriver) => Object.assign(Object.create(inner) as MemoryDriver, { close: async () => undefined });

/** A driver whose index file is full, after another writer appended a big change it has not read. */
async function fullBehindBigChange() {
  const inner = new MemoryDriver();
  const driver = await openDriver({ throttleMs: 0, inner: wrapped(inner) });
  const a1 = await new Store(driver, defaultDriverContext()).create('a.pl', 'one');
  const other = new SqliteDriver({ inner: wrapped(inner), log: headLog(), index: IndexDb.inMemory(join(dir, 'elsewhere.sqlite')), throttleMs: 0 });
  await other.open();
  const big = await new Store(other, defaultDriverContext()).update('a.pl', 'w'.repeat(200_000), { previous: a1.commit });
  await other.close();
  const db = indexOf(driver).db;
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  return { driver, inner, big };
}

/** A driver that went on in memory after its own big change did not fit in the file. */
async function inMemory() {
  const inner = new MemoryDriver();
  const driver = await openDriver({ throttleMs: 0, inner });
  const store = new Store(driver, defaultDriverContext());
  const a1 = await store.create('a.pl', 'one');
  const db = indexOf(driver).db;
  db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
  const big = await store.update('a.pl', 'w'.repeat(200_000), { previous: a1.commit });
  expect(indexOf(driver).memory).toBe(true);
  return { driver, inner, big };
}

describe('SqliteDriver reads, reindex and open on a full index file', () => {
  it('a read whose connection was replaced meanwhile (open again) is run again without a heal', async () => {
    const driver = await openDriver({ throttleMs: 0 });
    await driver.updateHead('a.pl', null, 'a'.repeat(40));
    const real = IndexDb.prototype.getHead;
    let calls = 0;
    vi.spyOn(IndexDb.prototype, 'getHead').mockImplementation(function (this: IndexDb, name: string) {
      if (calls++ === 0) throw new TypeError('The database connection is not open');
      return real.call(this, name);
    });
    expect(await driver.getHead('a.pl')).toBe('a'.repeat(40));
    expect(calls).toBe(2);
    expect(await driver.stats()).toMatchObject({ indexHeals: 0 });
  });

  it('reindex on a full file: STORAGE_FULL naming the file and SQLite\'s code', async () => {
    const { driver } = await fullBehindBigChange();
    const err = await driver.reindex().then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORAGE_FULL', message: `No room to write ${join(dir, 'index.sqlite')} (SQLITE_FULL)` });
    expect((err as Error).cause).toMatchObject({ code: 'SQLITE_FULL' });
  });

  it('open on a full file goes on with a copy in memory, reporting no rebuild', async () => {
    const { driver: first, inner, big } = await fullBehindBigChange();
    await first.close();
    const index = IndexDb.open(join(dir, 'index.sqlite'));
    index.db.pragma(`max_page_count = ${index.db.pragma('page_count', { simple: true }) as number}`);
    const driver = new SqliteDriver({ inner: wrapped(inner), log: headLog(), index, throttleMs: 0 });
    opened.push(driver);
    const progress: Progress[] = [];
    await driver.open((p) => progress.push(p));
    expect(progress).toEqual([]);
    expect(indexOf(driver).memory).toBe(true);
    expect(indexOf(driver).getHead('a.pl')).toBe(big.commit);
  });

  it('back to a file that cannot be opened for another reason: the read fails with that error', async () => {
    const { driver, big } = await inMemory();
    expect(indexOf(driver).memory).toBe(true);
    const spy = vi.spyOn(IndexDb, 'open').mockImplementation(() => {
      throw Object.assign(new Error('attempt to write a readonly database'), { code: 'SQLITE_READONLY' });
    });
    await expect(driver.getHead('a.pl')).rejects.toMatchObject({ code: 'SQLITE_READONLY', message: 'attempt to write a readonly database' });
    spy.mockRestore();
    expect(await driver.getHead('a.pl')).toBe(big.commit);
    expect(indexOf(driver).memory).toBe(false);
  });

  it('back to the file, whose catch-up fails to load an object: the read fails with that error', async () => {
    const { driver, inner } = await inMemory();
    const writer = await openDriver({ file: 'writer.sqlite', throttleMs: 0 });
    await writer.updateHead('e.pl', null, 'e'.repeat(40));
    let failing = true;
    const load = inner.loadObject.bind(inner);
    inner.loadObject = async (hash: string) => {
      if (hash === 'e'.repeat(40) && failing) {
        failing = false;
        throw Object.assign(new Error('EIO: i/o error, read'), { code: 'EIO' });
      }
      return load(hash);
    };
    await expect(driver.getHead('e.pl')).rejects.toMatchObject({ code: 'EIO', message: 'EIO: i/o error, read' });
    expect(indexOf(driver).memory).toBe(true);
    expect(await driver.getHead('e.pl')).toBe('e'.repeat(40));
    expect(indexOf(driver).memory).toBe(false);
  });

  it('back to an index file deleted meanwhile: rebuilt up to a line holding NUL bytes, then read under the lock', async () => {
    const { driver, big } = await inMemory();
    expect(indexOf(driver).memory).toBe(true);
    removeIndexFiles(join(dir, 'index.sqlite'));
    appendFileSync(storeLayout(dir).headLog, NUL_LINE);
    expect(await driver.getHead('a.pl')).toBe(big.commit);
    expect(indexOf(driver).memory).toBe(false);
    expect(await driver.stats()).toEqual({ indexedFiles: 1, headLogNulRereads: 1, indexHeals: 0, indexInMemory: 0, indexMemoryFallbacks: 1 });
  });
});
