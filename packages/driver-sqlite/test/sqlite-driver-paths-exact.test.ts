// SqliteDriver in the test process over a real head log and real index files: the default
// throttle on a stepped clock, the watch's poll interval, where a rebuild (open, heal, a new
// epoch, reindex) and the return from memory to the file stop at a line holding NUL bytes and
// read it under the lock, the busy timeout kept on the way back to the file, two reads meeting a
// full index file at once, and close with a log that has no close of its own.
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
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
