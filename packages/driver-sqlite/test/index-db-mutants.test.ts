// IndexDb where the exact tests left its outcome open: no connection left open on a file it
// found damaged and removed (read from the kernel's /proc/self/fd, not from the code's own
// bookkeeping), a file locked by another connection is not mistaken for damage, errors that are
// not "no room" are not turned into a copy in memory, and a copy in memory is never the file.
import { readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { openFilesUnder } from '@gitty/driver-test/harness';
import { IndexDb } from '../src/index-db.js';
import { bodyOf, freshIndex, hash } from './support/exact-index.js';

describe('IndexDb (mutants)', () => {
  let dir: string;
  let file: string;
  let cleanup: () => void;
  const opened: Array<{ close(): unknown }> = [];
  beforeEach(() => {
    const fresh = freshIndex();
    fresh.index.close();
    ({ dir, remove: cleanup } = fresh);
    file = join(dir, 'other.sqlite');
  });
  afterEach(() => {
    vi.restoreAllMocks();
    for (const db of opened.splice(0)) db.close();
    cleanup();
  });

  /** An index file holding one head with a 20,000-character text, checkpointed (no WAL left), closed. */
  function bigIndexFile(): void {
    const index = IndexDb.open(file);
    const c = { commit: hash('a'), name: 'a.pl', data: hash('d'), time: 1 };
    index.transaction(() => {
      index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 'z'.repeat(20_000) });
      index.setPosition({ epoch: 'E', offset: 3 });
    });
    index.close();
  }
  /** IndexDb.open failing as SQLite does on a full disk: the one part not made real here. */
  const diskFull = () => vi.spyOn(IndexDb, 'open').mockImplementation(() => {
    throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  });

  it('tells a file truncated before its first look', () => {
    bigIndexFile();
    const index = IndexDb.open(file);
    opened.push(index);
    truncateSync(file, statSync(file).size - 4096);
    expect(index.changedOnDisk()).toBe(true);
  });

  describe('openOrInMemory on a full disk', () => {
    it('seeds the copy from the file when no WAL is left', () => {
      bigIndexFile();
      rmSync(`${file}-wal`, { force: true });
      diskFull();
      const memory = IndexDb.openOrInMemory(file, { busyTimeout: 42 });
      opened.push(memory);
      expect([memory.state, memory.memory, memory.busyTimeout]).toEqual(['ready', true, 42]);
      expect(memory.getHead('a.pl')).toBe(hash('a'));
    });

    it('seeds the copy from the file when the WAL is empty', () => {
      bigIndexFile();
      writeFileSync(`${file}-wal`, '');
      diskFull();
      const memory = IndexDb.openOrInMemory(file);
      opened.push(memory);
      expect(memory.state).toBe('ready');
      expect(memory.position()).toEqual({ epoch: 'E', offset: 3 });
    });

    it('starts empty when the WAL holds pages the file lacks', () => {
      bigIndexFile();
      writeFileSync(`${file}-wal`, 'not yet checkpointed');
      diskFull();
      const memory = IndexDb.openOrInMemory(file);
      opened.push(memory);
      expect([memory.state, memory.memory, memory.headCount()]).toEqual(['missing', true, 0]);
    });

    it('starts empty when there is no file to read', () => {
      diskFull();
      const memory = IndexDb.openOrInMemory(file);
      opened.push(memory);
      expect([memory.state, memory.memory, memory.path]).toEqual(['missing', true, file]);
    });
  });

  it('a copy in memory of an empty seed (a file truncated to 0 bytes) starts empty as missing', () => {
    const memory = IndexDb.inMemory(file, undefined, Buffer.alloc(0));
    opened.push(memory);
    expect([memory.state, memory.memory, memory.headCount()]).toEqual(['missing', true, 0]);
  });

  it('a copy in memory passes on an error of the seed that is not damage', () => {
    const seedFile = join(dir, 'seed.sqlite');
    const seedDb = new Database(seedFile);
    // A view where the index keeps a table: dropping it as a table fails, which is no damage.
    seedDb.exec('CREATE VIEW heads AS SELECT 1 AS x');
    seedDb.close();
    expect(() => IndexDb.inMemory(file, undefined, readFileSync(seedFile))).toThrow(
      expect.objectContaining({ code: 'SQLITE_ERROR', message: 'use DROP VIEW to delete view heads' }),
    );
  });

  it('keeps no connection open on a file of garbage bytes it replaced', () => {
    writeFileSync(file, Buffer.alloc(8192, 7));
    const index = IndexDb.open(file);
    opened.push(index);
    expect(index.state).toBe('damaged');
    // The file it made in place of the garbage, not a copy in memory.
    expect(index.memory).toBe(false);
    expect(index.sameFileOnDisk()).toBe(true);
    rmSync(file);
    expect(index.changedOnDisk()).toBe(true);
    expect(openFilesUnder(dir)).toEqual([`${file} (deleted)`, `${file}-shm`, `${file}-wal`]);
    index.close();
    expect(openFilesUnder(dir)).toEqual([]);
  });

  it('keeps no connection open on a database whose meta table is damaged, which it replaced', () => {
    const db = new Database(file);
    db.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value); INSERT INTO meta VALUES ('schema', 1)");
    const { rootpage } = db.prepare<[], { rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'meta'").get()!;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    // The header (page 1) stays whole: the connection opens, the read of meta fails.
    const bytes = readFileSync(file);
    bytes.fill(0xff, (rootpage - 1) * pageSize, rootpage * pageSize);
    writeFileSync(file, bytes);
    const index = IndexDb.open(file);
    opened.push(index);
    expect(index.state).toBe('damaged');
    expect(index.headCount()).toBe(0);
    expect(openFilesUnder(dir)).toEqual([file, `${file}-shm`, `${file}-wal`]);
  });

  it('passes on SQLITE_BUSY from a file another connection holds locked, and leaves that file alone', () => {
    const other = new Database(file);
    opened.push(other);
    other.exec('CREATE TABLE kept (x); INSERT INTO kept VALUES (42)');
    other.exec('BEGIN EXCLUSIVE');
    expect(() => IndexDb.open(file, { busyTimeout: 1 })).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    other.exec('COMMIT');
    expect(other.prepare('SELECT x FROM kept').all()).toEqual([{ x: 42 }]);
    const again = new Database(file);
    opened.push(again);
    expect(again.prepare('SELECT x FROM kept').all()).toEqual([{ x: 42 }]);
  });

  it('openOrInMemory passes on an error that is not "no room" instead of going on in memory', () => {
    expect(() => IndexDb.openOrInMemory(join(dir, 'no', 'such', 'folder', 'x.sqlite'))).toThrow(
      new TypeError('Cannot open database because the directory does not exist'),
    );
  });

  it('a copy in memory of a file that does not exist is not that file', () => {
    const memory = IndexDb.inMemory(join(dir, 'never-made.sqlite'));
    opened.push(memory);
    expect(memory.sameFileOnDisk()).toBe(false);
    expect(memory.changedOnDisk()).toBe(false);
  });
});
