// IndexDb where the exact tests left its outcome open: no connection left open on a file it
// found damaged and removed (read from the kernel's /proc/self/fd, not from the code's own
// bookkeeping), a file locked by another connection is not mistaken for damage, errors that are
// not "no room" are not turned into a copy in memory, and a copy in memory is never the file.
import { readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { IndexDb } from '../src/index-db.js';
import { freshIndex } from './support/exact-index.js';

/** The files under `folder` this process holds open (deleted ones end with " (deleted)"), sorted. */
function openFilesUnder(folder: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target = '';
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      // closed since the listing
    }
    if (target.startsWith(`${folder}${sep}`)) open.push(target);
  }
  return open.sort();
}

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
    for (const db of opened.splice(0)) db.close();
    cleanup();
  });

  it('keeps no connection open on a file of garbage bytes it replaced', () => {
    writeFileSync(file, Buffer.alloc(8192, 7));
    const index = IndexDb.open(file);
    opened.push(index);
    expect(index.state).toBe('damaged');
    expect(openFilesUnder(dir)).toEqual([file, `${file}-shm`, `${file}-wal`]);
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
