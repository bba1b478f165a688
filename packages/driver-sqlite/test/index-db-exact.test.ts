// IndexDb on real index files: which errors count as damage or no room, what opening finds
// (missing, ready, damaged, outdated), the rows each write leaves (heads, tags, contents, FTS,
// commits, waiting), positions, copies in memory, and the on-disk identity checks.
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import type { Commit } from '@gitty/core';
import { IndexDb, isDamage, isNoRoom, removeIndexFiles } from '../src/index-db.js';
import { SCHEMA_VERSION } from '../src/schema.js';
import { bodyOf, freshIndex, hash } from './support/exact-index.js';

const commit = (c: string, name: string, extra: Partial<Commit> = {}): Commit => ({ commit: hash(c), name, data: hash('d'), time: 4.5, ...extra });

describe('isDamage', () => {
  it.each([
    'SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT_VTAB', 'SQLITE_IOERR_SHORT_READ', 'SQLITE_IOERR_FSTAT',
    'SQLITE_IOERR_DELETE_NOENT', 'SQLITE_SCHEMA', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_SEQUENCE', 'SQLITE_NOTADB_OTHER',
  ])('%s is damage', (code) => {
    expect(isDamage({ code })).toBe(true);
  });

  it.each(['SQLITE_BUSY', 'SQLITE_IOERR', 'SQLITE_IOERR_WRITE', 'SQLITE_FULL', 'SQLITE_CONSTRAINT', 'X_SQLITE_CORRUPT', 'sqlite_corrupt'])('%s is not', (code) => {
    expect(isDamage({ code })).toBe(false);
  });

  it('counts SQLITE_ERROR only for a missing table or column', () => {
    expect(isDamage({ code: 'SQLITE_ERROR', message: 'no such table: heads' })).toBe(true);
    expect(isDamage({ code: 'SQLITE_ERROR', message: 'no such column: name_key' })).toBe(true);
    expect(isDamage({ code: 'SQLITE_ERROR', message: 'no such tablespace' })).toBe(false);
    expect(isDamage({ code: 'SQLITE_ERROR', message: 'near "x": no such table: heads' })).toBe(false);
    expect(isDamage({ code: 'SQLITE_ERROR', message: 'no such function: f' })).toBe(false);
    expect(isDamage({ code: 'SQLITE_ERROR' })).toBe(false);
    expect(isDamage({ code: 'SQLITE_ERROR', message: ['no such table: heads'] })).toBe(false);
  });

  it('is false for anything without a string code', () => {
    expect(isDamage(null)).toBe(false);
    expect(isDamage(undefined)).toBe(false);
    expect(isDamage({})).toBe(false);
    expect(isDamage({ code: 11 })).toBe(false);
    expect(isDamage(new Error('SQLITE_CORRUPT'))).toBe(false);
  });
});

describe('isNoRoom', () => {
  it.each(['SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR_SHMMAP', 'SQLITE_IOERR_TRUNCATE', 'SQLITE_IOERR_FSYNC'])('%s is no room', (code) => {
    expect(isNoRoom({ code })).toBe(true);
  });

  it('is false for other codes and for values without a code', () => {
    for (const err of [{ code: 'SQLITE_IOERR' }, { code: 'SQLITE_CORRUPT' }, { code: 'ENOSPC' }, { code: 13 }, {}, null, undefined]) expect(isNoRoom(err)).toBe(false);
  });
});

describe('removeIndexFiles', () => {
  it('removes the file and its -wal, -shm and -journal, nothing else, and minds none missing', () => {
    const { dir, remove } = freshIndex();
    try {
      const file = join(dir, 'x.sqlite');
      for (const suffix of ['', '-wal', '-shm', '-journal', '-other']) writeFileSync(file + suffix, 'x');
      removeIndexFiles(file);
      expect(['', '-wal', '-shm', '-journal', '-other'].map((s) => existsSync(file + s))).toEqual([false, false, false, false, true]);
      removeIndexFiles(file);
    } finally {
      remove();
    }
  });
});

describe('IndexDb.open', () => {
  let dir: string;
  let file: string;
  let cleanup: () => void;
  beforeEach(() => {
    const fresh = freshIndex();
    fresh.index.close();
    ({ dir, cleanup } = { dir: fresh.dir, cleanup: fresh.remove });
    file = join(dir, 'other.sqlite');
  });
  afterEach(() => cleanup());

  it('creates a missing file, in WAL mode with synchronous NORMAL and the busy timeout', () => {
    const index = IndexDb.open(file);
    try {
      expect([index.state, index.memory, index.path, index.busyTimeout]).toEqual(['missing', false, file, undefined]);
      expect(index.db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(index.db.pragma('synchronous', { simple: true })).toBe(1);
      expect(index.db.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      index.close();
    }
    const again = IndexDb.open(file, { busyTimeout: 1234 });
    try {
      expect(again.busyTimeout).toBe(1234);
      expect(again.db.pragma('busy_timeout', { simple: true })).toBe(1234);
      // Never given a position: the schema version is not recorded yet, so it is rebuilt.
      expect(again.state).toBe('outdated');
    } finally {
      again.close();
    }
  });

  it('opens a file of this schema as ready, with its rows', () => {
    const index = IndexDb.open(file);
    index.transaction(() => {
      index.setHead('a.pl', { commit: commit('a', 'a.pl'), body: bodyOf(commit('a', 'a.pl')), text: 'x' });
      index.setPosition({ epoch: 'E', offset: 9 });
    });
    index.close();
    const again = IndexDb.open(file);
    try {
      expect(again.state).toBe('ready');
      expect(again.position()).toEqual({ epoch: 'E', offset: 9 });
      expect(again.getHead('a.pl')).toBe(hash('a'));
    } finally {
      again.close();
    }
  });

  it('empties a file of another schema version, or one without the meta table, as outdated', () => {
    const old = new Database(file);
    old.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value); INSERT INTO meta VALUES ('schema', 1); CREATE TABLE heads (x); INSERT INTO heads VALUES (1)");
    old.close();
    const index = IndexDb.open(file);
    try {
      expect(index.state).toBe('outdated');
      expect(index.headCount()).toBe(0);
      expect(index.db.prepare('SELECT count(*) AS n FROM meta').get()).toEqual({ n: 0 });
    } finally {
      index.close();
    }
    const other = join(dir, 'plain.sqlite');
    const plain = new Database(other);
    plain.exec('CREATE TABLE unrelated (x)');
    plain.close();
    const opened = IndexDb.open(other);
    try {
      expect(opened.state).toBe('outdated');
    } finally {
      opened.close();
    }
    const textVersion = join(dir, 'text.sqlite');
    const t = new Database(textVersion);
    t.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value); INSERT INTO meta VALUES ('schema', '${SCHEMA_VERSION}')`);
    t.close();
    const opened2 = IndexDb.open(textVersion);
    try {
      expect(opened2.state).toBe('outdated');
    } finally {
      opened2.close();
    }
  });

  it('replaces a file of garbage bytes with an empty index, as damaged', () => {
    writeFileSync(file, Buffer.alloc(4096, 7));
    writeFileSync(`${file}-journal`, 'stale');
    const index = IndexDb.open(file);
    try {
      expect(index.state).toBe('damaged');
      expect(existsSync(`${file}-journal`)).toBe(false);
      expect(index.headCount()).toBe(0);
      expect(index.position()).toBeUndefined();
      expect(index.db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      index.close();
    }
  });

  it('rethrows an error that is not damage', () => {
    // better-sqlite3 refuses a missing folder with a TypeError: not damage, so nothing is removed or retried.
    expect(() => IndexDb.open(join(dir, 'no', 'such', 'folder', 'x.sqlite'))).toThrow(new TypeError('Cannot open database because the directory does not exist'));
  });
});

describe('IndexDb rows', () => {
  let index: IndexDb;
  let remove: () => void;
  let file: string;
  beforeEach(() => ({ index, remove, file } = freshIndex()));
  afterEach(() => remove());

  const rows = (sql: string) => index.db.prepare(sql).all();

  it('has no position until one is set, and reads it back with the schema version', () => {
    expect(index.position()).toBeUndefined();
    expect(index.headAndPosition('a')).toEqual({ head: undefined, position: undefined });
    index.transaction(() => index.setPosition({ epoch: 'E1', offset: 0 }));
    expect(index.position()).toEqual({ epoch: 'E1', offset: 0 });
    expect(rows('SELECT key, value FROM meta ORDER BY key')).toEqual([
      { key: 'epoch', value: 'E1' }, { key: 'log_offset', value: 0 }, { key: 'schema', value: SCHEMA_VERSION },
    ]);
    index.transaction(() => index.setPosition({ epoch: 'E2', offset: 77 }));
    expect(index.position()).toEqual({ epoch: 'E2', offset: 77 });
  });

  it('reads no position from a malformed epoch or offset', () => {
    index.transaction(() => index.setPosition({ epoch: 'E', offset: 3 }));
    index.db.prepare("UPDATE meta SET value = 5 WHERE key = 'epoch'").run();
    expect(index.position()).toBeUndefined();
    index.db.prepare("UPDATE meta SET value = 'E' WHERE key = 'epoch'").run();
    index.db.prepare("UPDATE meta SET value = '3' WHERE key = 'log_offset'").run();
    expect(index.position()).toBeUndefined();
  });

  it('writes a head\'s row, string tags, text and lower-cased FTS row', () => {
    const c = commit('a', 'dir/a.pl', { author: 'ann', tags: ['x', 3 as never, 'Y', 'x'] });
    index.transaction(() => index.setHead('dir/a.pl', { commit: c, body: bodyOf(c), text: 'Hello World' }));
    expect(rows('SELECT id, name, hex(name_key) AS k, ext, head, data, time, author, tags FROM heads')).toEqual([
      { id: 1, name: 'dir/a.pl', k: '006400690072002F0061002E0070006C', ext: 'pl', head: hash('a'), data: hash('d'), time: 4.5, author: 'ann', tags: '["x","Y","x"]' },
    ]);
    expect(rows('SELECT tag, head_id FROM head_tags ORDER BY tag')).toEqual([{ tag: 'Y', head_id: 1 }, { tag: 'x', head_id: 1 }]);
    expect(rows('SELECT id, data, text FROM contents')).toEqual([{ id: 1, data: hash('d'), text: 'Hello World' }]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"hello world\"'")).toEqual([{ rowid: 1 }]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"Hello\"'")).toEqual([]);
    expect(rows('SELECT hash, name, previous, data, time, meta FROM commits')).toEqual([
      { hash: hash('a'), name: 'dir/a.pl', previous: null, data: hash('d'), time: 4.5, meta: bodyOf(c) },
    ]);
    expect(index.getHead('dir/a.pl')).toBe(hash('a'));
    expect(index.headCount()).toBe(1);
    expect(index.indexedData('dir/a.pl')).toBe(hash('d'));
    expect(index.indexedData('nope')).toBeUndefined();
    expect(index.getCommit(hash('a'))).toEqual(c.tags && { ...c, tags: ['x', 3, 'Y', 'x'] });
    expect(index.hasCommit(hash('a'))).toBe(true);
    expect(index.hasCommit(hash('b'))).toBe(false);
    expect(index.getCommit(hash('b'))).toBeUndefined();
    expect(rows('SELECT * FROM waiting')).toEqual([]);
  });

  it('stores no author but a string one, and no tags but an array\'s strings', () => {
    const c = commit('a', 'a', { author: 42 as never, tags: 'x' as never });
    index.transaction(() => index.setHead('a', { commit: c, body: bodyOf(c), text: '' }));
    expect(rows('SELECT ext, author, tags FROM heads')).toEqual([{ ext: '', author: null, tags: '[]' }]);
    expect(rows('SELECT * FROM head_tags')).toEqual([]);
  });

  it('updates a head in place: new tags replace the old, text kept, replaced or dropped', () => {
    const one = commit('a', 'a.md', { tags: ['old'], author: 'ann' });
    index.transaction(() => index.setHead('a.md', { commit: one, body: bodyOf(one), text: 'First' }));
    const two = commit('b', 'a.md', { previous: one.commit, tags: ['new'], time: 9 });
    index.transaction(() => index.setHead('a.md', { commit: two, body: bodyOf(two) }));
    expect(rows('SELECT id, head, time, author, tags FROM heads')).toEqual([{ id: 1, head: hash('b'), time: 9, author: null, tags: '["new"]' }]);
    expect(rows('SELECT tag FROM head_tags')).toEqual([{ tag: 'new' }]);
    expect(rows('SELECT text FROM contents')).toEqual([{ text: 'First' }]);
    expect(rows('SELECT hash, previous FROM commits ORDER BY hash')).toEqual([{ hash: hash('a'), previous: null }, { hash: hash('b'), previous: hash('a') }]);
    const three = { ...two, commit: hash('c'), data: hash('e') };
    index.transaction(() => index.setHead('a.md', { commit: three, body: bodyOf(three), text: 'Second' }));
    expect(rows('SELECT id, data, text FROM contents')).toEqual([{ id: 1, data: hash('e'), text: 'Second' }]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"first\"'")).toEqual([]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"second\"'")).toEqual([{ rowid: 1 }]);
    index.transaction(() => index.setHead('a.md', { commit: three, body: bodyOf(three), text: null }));
    expect(rows('SELECT * FROM contents')).toEqual([]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"second\"'")).toEqual([]);
    expect(rows('SELECT hash, name FROM waiting')).toEqual([{ hash: hash('e'), name: 'a.md' }]);
  });

  it('records a head without its commit as waiting for the commit, with no commits row', () => {
    const c = commit('a', 'a.pl');
    index.transaction(() => index.setHead('a.pl', { commit: c, body: null, text: null }));
    expect(rows('SELECT hash, name FROM waiting')).toEqual([{ hash: hash('a'), name: 'a.pl' }]);
    expect(index.waitingFor(hash('a'))).toEqual(['a.pl']);
    expect(index.waitingFor(hash('d'))).toEqual([]);
    expect(index.waitedFor()).toEqual([hash('a')]);
    expect(rows('SELECT * FROM commits')).toEqual([]);
    // Indexed again with its objects: no longer waiting.
    index.transaction(() => index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 't' }));
    expect(index.waitedFor()).toEqual([]);
  });

  it('lists heads in name-key order, by extension, and deletes one with its tags, text and waiting', () => {
    for (const [c, name] of [['1', 'b.pl'], ['2', 'a.md'], ['3', '\u{1F600}.pl'], ['4', '\uff5a.pl']] as const) {
      const x = commit(c, name, { tags: ['t'] });
      index.transaction(() => index.setHead(name, { commit: x, body: bodyOf(x), text: 'text' }));
    }
    expect(index.heads()).toEqual([
      { name: 'a.md', head: hash('2') }, { name: 'b.pl', head: hash('1') }, { name: '\u{1F600}.pl', head: hash('3') }, { name: '\uff5a.pl', head: hash('4') },
    ]);
    expect(index.heads('pl').map((e) => e.name)).toEqual(['b.pl', '\u{1F600}.pl', '\uff5a.pl']);
    expect(index.heads('')).toEqual([]);
    index.db.prepare("INSERT INTO waiting (hash, name) VALUES (?, 'b.pl'), (?, 'gone.pl')").run(hash('9'), hash('9'));
    index.transaction(() => index.deleteHead('b.pl'));
    index.transaction(() => index.deleteHead('gone.pl'));
    expect(index.headCount()).toBe(3);
    expect(index.getHead('b.pl')).toBeUndefined();
    expect(rows('SELECT head_id FROM head_tags ORDER BY head_id')).toEqual([{ head_id: 2 }, { head_id: 3 }, { head_id: 4 }]);
    expect(rows('SELECT id FROM contents ORDER BY id')).toEqual([{ id: 2 }, { id: 3 }, { id: 4 }]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"text\"' ORDER BY rowid")).toEqual([{ rowid: 2 }, { rowid: 3 }, { rowid: 4 }]);
    expect(rows('SELECT * FROM waiting')).toEqual([]);
  });

  it('keeps the first body of a commit, trimmed at the end, and reads integers beyond 2^53 exactly', () => {
    const c = commit('a', 'a.pl');
    index.putCommit(c, '{"big":9007199254740993,"name":"a.pl"}\n  ');
    index.putCommit(c, '{"name":"other"}');
    expect(rows('SELECT meta FROM commits')).toEqual([{ meta: '{"big":9007199254740993,"name":"a.pl"}' }]);
    expect(index.getCommit(hash('a'))).toEqual({ big: 9007199254740993n, name: 'a.pl', commit: hash('a') });
  });

  it('clear empties every table and keeps the schema', () => {
    const c = commit('a', 'a.pl', { tags: ['t'] });
    index.transaction(() => {
      index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 'abc' });
      index.setHead('w.pl', { commit: commit('w', 'w.pl'), body: null, text: null });
      index.setPosition({ epoch: 'E', offset: 1 });
      index.clear();
    });
    for (const table of ['heads', 'head_tags', 'commits', 'contents', 'waiting', 'meta']) expect(rows(`SELECT * FROM ${table}`)).toEqual([]);
    expect(rows("SELECT rowid FROM contents_fts WHERE contents_fts MATCH '\"abc\"'")).toEqual([]);
    expect(index.position()).toBeUndefined();
  });

  it('runs a transaction all or nothing', () => {
    expect(() => index.transaction(() => {
      index.setPosition({ epoch: 'E', offset: 1 });
      throw new Error('rolled back');
    })).toThrow('rolled back');
    expect(index.position()).toBeUndefined();
    expect(index.transaction(() => 7)).toBe(7);
  });

  it('tells a file grown from one truncated, replaced or deleted under it', () => {
    expect(index.changedOnDisk()).toBe(false);
    expect(index.sameFileOnDisk()).toBe(true);
    index.db.pragma('wal_checkpoint(TRUNCATE)');
    const c = commit('a', 'a.pl');
    index.transaction(() => index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 'x'.repeat(20_000) }));
    index.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(index.changedOnDisk()).toBe(false);
    const size = readFileSync(file).length;
    truncateSync(file, size - 4096);
    expect(index.changedOnDisk()).toBe(true);
    expect(index.sameFileOnDisk()).toBe(true);
    truncateSync(file, size);
    expect(index.changedOnDisk()).toBe(false);
    copyFileSync(file, `${file}.copy`);
    renameSync(`${file}.copy`, file);
    expect(index.changedOnDisk()).toBe(true);
    expect(index.sameFileOnDisk()).toBe(false);
    rmSync(file);
    expect(index.changedOnDisk()).toBe(true);
    expect(index.sameFileOnDisk()).toBe(false);
  });

  it('remembers the largest size seen: a file back to its first size after growing counts as truncated', () => {
    index.db.pragma('wal_checkpoint(TRUNCATE)');
    const first = readFileSync(file).length;
    const c = commit('a', 'a.pl');
    index.transaction(() => index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 'y'.repeat(20_000) }));
    index.db.pragma('wal_checkpoint(TRUNCATE)');
    expect(readFileSync(file).length).toBeGreaterThan(first);
    expect(index.changedOnDisk()).toBe(false);
    truncateSync(file, first);
    expect(index.changedOnDisk()).toBe(true);
  });

  it('closes once', () => {
    index.close();
    expect(index.db.open).toBe(false);
    index.close();
  });
});

describe('IndexDb in memory', () => {
  let index: IndexDb;
  let remove: () => void;
  let file: string;
  beforeEach(() => ({ index, remove, file } = freshIndex()));
  afterEach(() => remove());

  it('starts empty without a seed, or with one shorter than a database header', () => {
    for (const seed of [undefined, Buffer.alloc(99, 1)]) {
      const memory = IndexDb.inMemory(file, 321, seed);
      try {
        expect([memory.state, memory.memory, memory.path, memory.busyTimeout]).toEqual(['missing', true, file, 321]);
        expect(memory.headCount()).toBe(0);
        expect(memory.changedOnDisk()).toBe(false);
        expect(memory.sameFileOnDisk()).toBe(false);
      } finally {
        memory.close();
      }
    }
  });

  it('drops a seed that is not a database', () => {
    const memory = IndexDb.inMemory(file, undefined, Buffer.alloc(8192, 9));
    try {
      expect(memory.state).toBe('missing');
      expect(memory.memory).toBe(true);
    } finally {
      memory.close();
    }
  });

  it('copies the index, ready, and leaves the file alone when the copy changes', () => {
    const c = commit('a', 'a.pl');
    index.transaction(() => {
      index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 'abc' });
      index.setPosition({ epoch: 'E', offset: 5 });
    });
    const copy = index.copyInMemory();
    try {
      expect([copy.state, copy.memory, copy.path, copy.busyTimeout]).toEqual(['ready', true, file, undefined]);
      expect(copy.position()).toEqual({ epoch: 'E', offset: 5 });
      expect(copy.heads()).toEqual([{ name: 'a.pl', head: hash('a') }]);
      copy.transaction(() => copy.deleteHead('a.pl'));
      expect(copy.headCount()).toBe(0);
      expect(index.headCount()).toBe(1);
    } finally {
      copy.close();
    }
  });

  it('seeds from the file\'s own bytes (a WAL-mode database) once checkpointed', () => {
    const c = commit('a', 'a.pl');
    index.transaction(() => {
      index.setHead('a.pl', { commit: c, body: bodyOf(c), text: 'abc' });
      index.setPosition({ epoch: 'E', offset: 5 });
    });
    index.db.pragma('wal_checkpoint(TRUNCATE)');
    const memory = IndexDb.inMemory(file, undefined, readFileSync(file));
    try {
      expect(memory.state).toBe('ready');
      expect(memory.getHead('a.pl')).toBe(hash('a'));
    } finally {
      memory.close();
    }
  });

  it('openOrInMemory opens the file when it can', () => {
    index.close();
    const opened = IndexDb.openOrInMemory(file, { busyTimeout: 77 });
    try {
      expect([opened.memory, opened.busyTimeout]).toEqual([false, 77]);
    } finally {
      opened.close();
    }
  });
});
