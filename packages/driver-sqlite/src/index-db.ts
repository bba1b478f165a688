import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { extensionOf, parseExactJson, type Commit, type HeadEntry } from '@gitty/core';
import type { LogPosition } from './head-log-port.js';
import { SCHEMA_SQL, SCHEMA_VERSION, TABLES, nameKey } from './schema.js';


/** A head as the index stores it: the commit and, when its data changed, the new text. */
export interface IndexedHead {
  commit: Commit;
  /**
   * The commit's canonical JSON body, as stored in the commit object; null when the object is
   * missing or not a commit: the head is kept (the log says so) but listed nowhere.
   */
  body: string | null;
  /**
   * The head's data decoded as UTF-8; undefined keeps the indexed text (same data hash); null
   * drops it (the data object is missing, so the scan fallback would skip the file too).
   */
  text?: string | null;
}

/** Why an index file could not be used as it is. */
export type IndexState = 'ready' | 'missing' | 'damaged' | 'outdated';

// SHORT_READ: the file ends before a page SQLite knows of (truncated under an open connection);
// FSTAT, DELETE_NOENT: the file or its WAL vanished under it.
const SQLITE_DAMAGE = new Set([
  'SQLITE_NOTADB', 'SQLITE_CORRUPT', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT_VTAB',
  'SQLITE_IOERR_SHORT_READ', 'SQLITE_IOERR_FSTAT', 'SQLITE_IOERR_DELETE_NOENT',
]);

/**
 * True for the errors that mean "this file is not a usable index" (garbage bytes, torn pages),
 * or no longer the one this connection knew: another process replaced it under us (its schema
 * changed, SQLITE_SCHEMA, or our tables are gone from it).
 */
export function isDamage(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code !== 'string') return false;
  if (code === 'SQLITE_ERROR') return typeof message === 'string' && /^no such (table|column)\b/.test(message);
  return SQLITE_DAMAGE.has(code) || code === 'SQLITE_SCHEMA' || code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB');
}

// SQLite's codes for a write that found no room: SQLITE_FULL (ENOSPC on the database or its
// WAL), and the I/O errors of a write, a growth or the WAL index's allocation, which are what
// EFBIG (RLIMIT_FSIZE) and ENOSPC on the `-shm` file come back as.
const SQLITE_NO_ROOM = new Set([
  'SQLITE_FULL', 'SQLITE_IOERR_WRITE', 'SQLITE_IOERR_SHMSIZE', 'SQLITE_IOERR_SHMMAP', 'SQLITE_IOERR_TRUNCATE', 'SQLITE_IOERR_FSYNC',
]);

/** True for SQLite's errors that mean "the index file cannot be written" (a full disk, a quota, a file size limit). */
export function isNoRoom(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && SQLITE_NO_ROOM.has(code);
}

/** Remove an index file and its WAL companions. */
export function removeIndexFiles(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

/**
 * The SQLite file behind the driver: schema, pragmas, and the row-level reads and writes of
 * heads, commits and contents. Callers group writes with {@link IndexDb.transaction}; this
 * class never decides what the heads are (the head log does).
 */
export class IndexDb {
  /** The open connection (queries.ts and search.ts prepare their own statements on it). */
  readonly db: Database.Database;
  /** What opening found: 'ready' when the file held a usable index of this schema. */
  readonly state: IndexState;
  /**
   * True for a copy held in memory because the file could not be written (see
   * {@link IndexDb.inMemory}); `path` still names the file it stands in for.
   */
  readonly memory: boolean;
  /** The index file's path and the busy timeout it was opened with (to reopen it the same way). */
  readonly path: string;
  readonly busyTimeout: number | undefined;
  /** The file's inode when opened, and the largest size seen since (see {@link changedOnDisk}). */
  private readonly inode: number | undefined;
  private largestSize: number;
  private readonly statements;

  private constructor(db: Database.Database, state: IndexState, path: string, busyTimeout: number | undefined, memory = false) {
    this.db = db;
    this.state = state;
    this.path = path;
    this.busyTimeout = busyTimeout;
    this.memory = memory;
    const stat = memory ? undefined : statSync(path, { throwIfNoEntry: false });
    this.inode = stat?.ino;
    this.largestSize = stat?.size ?? 0;
    this.statements = {
      getMeta: db.prepare<[string], { value: unknown }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      getHead: db.prepare<[string], { head: string }>('SELECT head FROM heads WHERE name = ?'),
      getHeadRow: db.prepare<[string], { id: number; data: string }>('SELECT id, data FROM heads WHERE name = ?'),
      allHeads: db.prepare<[], HeadEntry>('SELECT name, head FROM heads ORDER BY name_key'),
      extHeads: db.prepare<[string], HeadEntry>('SELECT name, head FROM heads WHERE ext = ? ORDER BY name_key'),
      countHeads: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM heads'),
      insertHead: db.prepare(
        'INSERT INTO heads (name, name_key, ext, head, data, time, author, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      updateHead: db.prepare('UPDATE heads SET head = ?, data = ?, time = ?, author = ?, tags = ? WHERE id = ?'),
      deleteHead: db.prepare('DELETE FROM heads WHERE id = ?'),
      deleteTags: db.prepare('DELETE FROM head_tags WHERE head_id = ?'),
      insertTag: db.prepare('INSERT OR IGNORE INTO head_tags (tag, head_id) VALUES (?, ?)'),
      getContent: db.prepare<[number], { data: string }>('SELECT data FROM contents WHERE id = ?'),
      putContent: db.prepare('INSERT OR REPLACE INTO contents (id, data, text) VALUES (?, ?, ?)'),
      deleteContent: db.prepare('DELETE FROM contents WHERE id = ?'),
      deleteFts: db.prepare('DELETE FROM contents_fts WHERE rowid = ?'),
      insertFts: db.prepare('INSERT INTO contents_fts (rowid, lower) VALUES (?, ?)'),
      getCommit: db.prepare<[string], { meta: string }>('SELECT meta FROM commits WHERE hash = ?'),
      hasCommit: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM commits WHERE hash = ?'),
      putCommit: db.prepare('INSERT OR IGNORE INTO commits (hash, name, previous, data, time, meta) VALUES (?, ?, ?, ?, ?, ?)'),
      waitingFor: db.prepare<[string], { name: string }>('SELECT name FROM waiting WHERE hash = ?'),
      anyWaiting: db.prepare<[], { hash: string }>('SELECT DISTINCT hash FROM waiting'),
      addWaiting: db.prepare('INSERT OR IGNORE INTO waiting (hash, name) VALUES (?, ?)'),
      clearWaiting: db.prepare('DELETE FROM waiting WHERE name = ?'),
    };
  }

  /**
   * Open (or create) the index at `path`. A file that is not a database, is damaged or has
   * another schema version is removed and recreated empty; `state` tells the caller that the
   * index must be rebuilt. WAL lets readers in other processes proceed during a write; the
   * busy timeout makes concurrent writers wait instead of failing.
   */
  static open(path: string, options: { busyTimeout?: number } = {}): IndexDb {
    const existed = existsSync(path);
    try {
      const db = connect(path, options.busyTimeout);
      try {
        return IndexDb.prepared(db, existed, path, options.busyTimeout, false);
      } catch (err) {
        db.close();
        throw err;
      }
    } catch (err) {
      if (!isDamage(err)) throw err;
      removeIndexFiles(path);
      const db = connect(path, options.busyTimeout);
      try {
        db.exec(SCHEMA_SQL);
      } catch (again) {
        db.close();
        throw again;
      }
      return new IndexDb(db, 'damaged', path, options.busyTimeout);
    }
  }

  /**
   * {@link IndexDb.open}, or when the file cannot be opened for want of room (SQLite needs to
   * write its `-shm` and `-wal` even to read), {@link IndexDb.inMemory} seeded with the file's
   * bytes when they are a whole database by themselves (no WAL holds newer pages).
   */
  static openOrInMemory(path: string, options: { busyTimeout?: number } = {}): IndexDb {
    try {
      return IndexDb.open(path, options);
    } catch (err) {
      if (!isNoRoom(err)) throw err;
      const wal = statSync(`${path}-wal`, { throwIfNoEntry: false });
      let seed: Buffer | undefined;
      try {
        seed = wal === undefined || wal.size === 0 ? readFileSync(path) : undefined;
      } catch {
        seed = undefined;
      }
      return IndexDb.inMemory(path, options.busyTimeout, seed);
    }
  }

  /**
   * An index held in memory in place of the file at `path`, which cannot be written (a full
   * disk): reads and catch-ups work on it as on the file; it is lost on close (the file is
   * brought up to the log again once it can be written). `seed`, a database's bytes (the file,
   * or a connection's `serialize()`), starts it as a copy; a seed that is not a usable index of
   * this schema is dropped, and the state says it must be rebuilt.
   */
  static inMemory(path: string, busyTimeout?: number, seed?: Buffer): IndexDb {
    if (seed && seed.length >= 100) {
      // A deserialized database cannot be in WAL mode: mark it a rollback-journal database.
      seed[18] = 1;
      seed[19] = 1;
      let db: Database.Database | undefined;
      try {
        db = new Database(seed);
        return IndexDb.prepared(db, true, path, busyTimeout, true);
      } catch (err) {
        db?.close();
        if (!isDamage(err)) throw err;
      }
    }
    const db = new Database(':memory:');
    db.exec(SCHEMA_SQL);
    return new IndexDb(db, 'missing', path, busyTimeout, true);
  }

  /** A copy in memory of this index as it is now (see {@link IndexDb.inMemory}). */
  copyInMemory(): IndexDb {
    return IndexDb.inMemory(this.path, this.busyTimeout, this.db.serialize());
  }

  // An opened database as an index: kept when it holds this schema version, else emptied.
  private static prepared(db: Database.Database, existed: boolean, path: string, busyTimeout: number | undefined, memory: boolean): IndexDb {
    const version = existed ? schemaVersionOf(db) : undefined;
    if (existed && version === SCHEMA_VERSION) return new IndexDb(db, 'ready', path, busyTimeout, memory);
    if (existed) {
      for (const table of TABLES) db.exec(`DROP TABLE IF EXISTS ${table}`);
    }
    db.exec(SCHEMA_SQL);
    return new IndexDb(db, existed ? 'outdated' : 'missing', path, busyTimeout, memory);
  }

  /** Run `fn` in one write transaction (all of it or none of it lands). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The head log position applied, or undefined for a fresh index. */
  position(): LogPosition | undefined {
    const epoch = this.statements.getMeta.get('epoch')?.value;
    const offset = this.statements.getMeta.get('log_offset')?.value;
    if (typeof epoch !== 'string' || typeof offset !== 'number') return undefined;
    return { epoch, offset };
  }

  /**
   * `name`'s head and the log position it reflects, read in one transaction (one snapshot), so
   * a CAS can tell that the head it compares against is the one at the log's end.
   */
  headAndPosition(name: string): { head: string | undefined; position: LogPosition | undefined } {
    return this.db.transaction(() => ({ head: this.getHead(name), position: this.position() })).deferred();
  }

  /** Record the head log position applied (call inside the transaction that applied it). */
  setPosition(position: LogPosition): void {
    this.statements.setMeta.run('schema', SCHEMA_VERSION);
    this.statements.setMeta.run('epoch', position.epoch);
    this.statements.setMeta.run('log_offset', position.offset);
  }

  /** Empty every table, keeping the schema (the start of a rebuild). */
  clear(): void {
    for (const table of TABLES) this.db.exec(`DELETE FROM ${table}`);
  }

  getHead(name: string): string | undefined {
    return this.statements.getHead.get(name)?.head;
  }

  /** Every head in name order, optionally only those with extension `ext`. */
  heads(ext?: string): HeadEntry[] {
    return ext === undefined ? this.statements.allHeads.all() : this.statements.extHeads.all(ext);
  }

  /** How many files have a head. */
  headCount(): number {
    return this.statements.countHeads.get()?.n ?? 0;
  }

  /** The data hash whose text is indexed for `name`, when it has a head. */
  indexedData(name: string): string | undefined {
    const row = this.statements.getHeadRow.get(name);
    return row && this.statements.getContent.get(row.id)?.data;
  }

  /** A commit from the commits table, or undefined when it was never seen. */
  getCommit(hash: string): Commit | undefined {
    const row = this.statements.getCommit.get(hash);
    // Exact: a SWISH store's metadata may hold integers beyond 2^53.
    return row && ({ ...(parseExactJson(row.meta) as object), commit: hash } as Commit);
  }

  hasCommit(hash: string): boolean {
    return this.statements.hasCommit.get(hash) !== undefined;
  }

  /** Remember a commit's metadata (idempotent). */
  putCommit(commit: Commit, body: string): void {
    this.statements.putCommit.run(commit.commit, commit.name, commit.previous ?? null, commit.data, commit.time, body.trimEnd());
  }

  /** The files whose head waits for object `hash` (see the `waiting` table). */
  waitingFor(hash: string): string[] {
    return this.statements.waitingFor.all(hash).map((row) => row.name);
  }

  /** Every object some head waits for. */
  waitedFor(): string[] {
    return this.statements.anyWaiting.all().map((row) => row.hash);
  }

  /**
   * Point `name` at a new head commit, refreshing its text when given. A head whose commit
   * (body null) or data (text null) is missing is recorded as waiting for that object.
   */
  setHead(name: string, head: IndexedHead): void {
    const { commit } = head;
    this.statements.clearWaiting.run(name);
    if (head.body === null) this.statements.addWaiting.run(commit.commit, name);
    else if (head.text === null) this.statements.addWaiting.run(commit.data, name);
    if (head.body !== null) this.putCommit(commit, head.body);
    const author = typeof commit.author === 'string' ? commit.author : null;
    const tags = Array.isArray(commit.tags) ? commit.tags.filter((tag): tag is string => typeof tag === 'string') : [];
    const row = this.statements.getHeadRow.get(name);
    let id: number;
    if (row) {
      id = row.id;
      this.statements.updateHead.run(commit.commit, commit.data, commit.time, author, JSON.stringify(tags), id);
      this.statements.deleteTags.run(id);
    } else {
      const info = this.statements.insertHead.run(
        name, nameKey(name), extensionOf(name), commit.commit, commit.data, commit.time, author, JSON.stringify(tags),
      );
      id = Number(info.lastInsertRowid);
    }
    for (const tag of tags) this.statements.insertTag.run(tag, id);
    if (head.text !== undefined) {
      this.statements.deleteFts.run(id);
      this.statements.deleteContent.run(id);
      if (head.text !== null) {
        this.statements.putContent.run(id, commit.data, head.text);
        this.statements.insertFts.run(id, head.text.toLowerCase());
      }
    }
  }

  /** Remove `name`'s head, tags and text. */
  deleteHead(name: string): void {
    this.statements.clearWaiting.run(name);
    const row = this.statements.getHeadRow.get(name);
    if (!row) return;
    this.statements.deleteTags.run(row.id);
    this.statements.deleteFts.run(row.id);
    this.statements.deleteContent.run(row.id);
    this.statements.deleteHead.run(row.id);
  }

  /**
   * True when the file at {@link path} is no longer the one this connection reads: deleted,
   * replaced (another inode), or shrunk (SQLite never shrinks it without VACUUM, which gitty
   * does not run: a smaller file was truncated under us). One `stat`, cheap enough per look.
   * Never for a copy in memory.
   */
  changedOnDisk(): boolean {
    if (this.memory) return false;
    const stat = statSync(this.path, { throwIfNoEntry: false });
    if (!stat || stat.ino !== this.inode || stat.size < this.largestSize) return true;
    this.largestSize = stat.size;
    return false;
  }

  /** True while the file at {@link path} is still the one this connection opened (never for a copy in memory). */
  sameFileOnDisk(): boolean {
    if (this.memory) return false;
    return statSync(this.path, { throwIfNoEntry: false })?.ino === this.inode;
  }

  /** Close the connection (checkpointing the WAL). Idempotent. */
  close(): void {
    if (this.db.open) this.db.close();
  }
}

function connect(path: string, busyTimeout = 5000): Database.Database {
  const db = new Database(path, { timeout: busyTimeout });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function schemaVersionOf(db: Database.Database): number | undefined {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!table) return undefined;
  const row = db.prepare<[], { value: unknown }>("SELECT value FROM meta WHERE key = 'schema'").get();
  return typeof row?.value === 'number' ? row.value : undefined;
}
