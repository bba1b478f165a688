import {
  ClosedError, CorruptObjectError, NotAtHeadError, StorageFullError, UnsupportedError, assertHash, assertName, decodeCommit,
  type Commit, type CommitFormat, type Driver, type DriverCapabilities, type FileEntry, type FileQuery, type FsckIssue, type GitObject,
  type HeadChange, type HeadEntry, type ProgressListener, type RepackOptions, type RepackReport, type SearchHit,
} from '@gitty/core';
import type { HeadLogCompaction } from '@gitty/driver-files';
import { IndexCatchUp, type RebuildResult } from './catch-up.js';
import { indexBody } from './index-body.js';
import type { HeadLogAccess, LogPosition } from './head-log-port.js';
import { HeadWatch } from './head-watch.js';
import { IndexDb, isDamage, isNoRoom, removeIndexFiles } from './index-db.js';
import { historyFrom, queryFiles } from './queries.js';
import { RecentObjects } from './recent-objects.js';
import { searchIndex } from './search.js';

/**
 * How often a CAS catches up again when the shared index is not at the log's end it just read.
 * Processes only move the index forwards, so a second look settles it; the bound turns a bug
 * into an error instead of a spin.
 */
const MAX_CAS_CATCH_UPS = 10;

function samePosition(a: LogPosition | undefined, b: LogPosition): boolean {
  return a !== undefined && a.epoch === b.epoch && a.offset === b.offset;
}

/** better-sqlite3's error for a statement on a closed connection (one a heal replaced). */
function staleConnection(err: unknown): boolean {
  return err instanceof TypeError && err.message === 'The database connection is not open';
}

/** What a {@link SqliteDriver} is built from. */
export interface SqliteDriverParts {
  /** The driver holding the objects (loose objects, or packs over them); its heads are not used. */
  inner: Driver;
  /** The head log this index follows and the CAS appends to (driver-files' `HeadLog`). */
  log: HeadLogAccess;
  /** The open index (see {@link IndexDb.open}); the driver owns and closes it. */
  index: IndexDb;
  /** Milliseconds between two looks at the log tail on reads (default 1000; 0: every read). */
  throttleMs?: number;
  /** Compaction of `log` (driver-files' `HeadLogCompaction`): by size after this driver's writes, and on prune (gc). */
  compaction?: HeadLogCompaction;
}

/**
 * The sqlite driver: objects go to the inner driver (loose objects, or packs over them); heads
 * are the head log's, changed by a CAS under the log's lock; heads, listings, history and
 * full-text search are answered from an SQLite index that follows the log. Reads look at the
 * log's tail at most every `throttleMs`; `rescan()` looks now; a write through this driver is
 * in the index when it returns.
 */
export class SqliteDriver implements Driver {
  readonly name = 'sqlite';
  readonly capabilities: DriverCapabilities;
  /** The inner store's commit format (SWISH commits over a SWISH store). */
  readonly commitFormat: CommitFormat | undefined;
  private readonly inner: Driver;
  /** Replaced when the file is found damaged, deleted or replaced under this process (see {@link heal}). */
  private index: IndexDb;
  private catchUpper: IndexCatchUp;
  private readonly recent = new RecentObjects();
  private readonly throttleMs: number;
  private readonly log: HeadLogAccess;
  private readonly compaction: HeadLogCompaction | undefined;
  private readonly headWatch: HeadWatch;
  private lastLook = 0;
  /** Reads that met a line holding NUL bytes and read it again under the lock (`stats().headLogNulRereads`). */
  private nulRereads = 0;
  /** Times the index was found damaged, deleted or replaced and rebuilt (`stats().indexHeals`). */
  private heals = 0;
  /** Times the index file could not be written and a copy in memory took its place (`stats().indexMemoryFallbacks`). */
  private memoryFallbacks = 0;
  /** Serializes index writes in this process (catch-ups and rebuilds). */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(parts: SqliteDriverParts) {
    this.inner = parts.inner;
    this.commitFormat = parts.inner.commitFormat;
    this.index = parts.index;
    this.throttleMs = parts.throttleMs ?? 1000;
    this.log = parts.log;
    this.compaction = parts.compaction;
    this.headWatch = new HeadWatch(parts.log, this.throttleMs || 1000);
    this.catchUpper = this.catchUpFor(parts.index);
    this.capabilities = { ...parts.inner.capabilities, sharedHeads: true, persistent: true, watch: true, query: true, search: true, reindex: true };
  }

  /**
   * Bring the index up to the log: apply the tail, or rebuild when the index is new, damaged or
   * of another epoch. Called once by the factory; afterwards reads call it when throttled.
   * When the index file cannot be written (a full disk), a copy in memory is brought up instead.
   */
  async open(onProgress?: ProgressListener): Promise<void> {
    try {
      if (this.index.state !== 'ready') await this.exclusive(() => this.catchUpper.rebuild(onProgress, true));
      await this.follow(onProgress);
    } catch (err) {
      if (!isNoRoom(err) || this.index.memory) throw this.typed(err);
      await this.toMemory(onProgress);
    }
  }

  /**
   * Store through the inner driver. A head indexed before this object existed (a replicated
   * head can arrive before its commit and blob) is indexed again now, so listings and search
   * include it from here on.
   */
  async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    this.check();
    if (type === 'commit' || type === 'blob') this.recent.remember(hash, type, data);
    const stored = await this.inner.storeObject(hash, type, data);
    if (type === 'commit' || type === 'blob') {
      await this.healing(async () => {
        if (this.index.waitingFor(hash).length > 0) await this.exclusive(() => this.catchUpper.indexWaiting([hash]));
      });
    }
    return stored;
  }

  loadObject(hash: string): Promise<GitObject | undefined> {
    this.check();
    return this.inner.loadObject(hash);
  }

  hasObject(hash: string): Promise<boolean> {
    this.check();
    return this.inner.hasObject(hash);
  }

  objects(): AsyncIterable<string> {
    this.check();
    return this.inner.objects();
  }

  async deleteObject(hash: string): Promise<boolean> {
    this.check();
    this.recent.forget(hash);
    await this.healing(async () => this.index.db.prepare('DELETE FROM commits WHERE hash = ?').run(hash));
    return this.inner.deleteObject(hash);
  }

  getHead(name: string): Promise<string | undefined> {
    return this.healing(async () => {
      await this.fresh();
      return this.index.getHead(name);
    });
  }

  async *heads(options: { ext?: string } = {}): AsyncIterable<HeadEntry> {
    yield* await this.healing(async () => {
      await this.fresh();
      return this.index.heads(options.ext);
    });
  }

  /**
   * The CAS, as driver-files does it: under the head log's cross-process lock, catch up with
   * the log, compare, append. The head compared is read together with the index's position in
   * one transaction and used only when that position is the log's end, as the catch-up found
   * it under the lock; otherwise (the shared index moved meanwhile) it catches up again. The
   * index then applies the log's tail (with this change) in one transaction before this
   * returns, so this process reads its own write at once.
   */
  async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.check();
    assertName(name);
    if (expected !== null) assertHash(expected);
    if (next !== null) assertHash(next);
    const done = { appended: false };
    await this.backToDisk();
    for (let attempt = 1; ; attempt++) {
      try {
        if (this.index.changedOnDisk()) await this.heal();
        await this.cas(name, expected, next, done);
        this.compaction?.afterWrite();
        return;
      } catch (err) {
        if (this.closed) throw err;
        if (isNoRoom(err) && !this.index.memory) {
          // The index file cannot take the change; the log can (or the append fails on its own
          // with STORAGE_FULL). Go on in memory: an appended change is acknowledged, as below.
          await this.toMemory();
          if (done.appended) return;
          continue;
        }
        if (!(isDamage(err) || staleConnection(err))) throw this.typed(err);
        if (done.appended) {
          // The head log holds the change, and the log is the truth: acknowledge it. Retrying
          // would append it twice; the rebuilt index reads it from the log.
          await this.heal().catch(() => undefined);
          return;
        }
        if (attempt >= 2) throw isDamage(err) ? this.persistentDamage(err) : err;
        if (isDamage(err) || !this.index.db.open) await this.heal();
      }
    }
  }

  /** One CAS attempt; sets `done.appended` once the head log holds the change. */
  private async cas(name: string, expected: string | null, next: string | null, done: { appended: boolean }): Promise<void> {
    await this.log.withLock(() =>
      this.exclusive(async () => {
        let end: LogPosition;
        let current: string | null;
        for (let attempt = 1; ; attempt++) {
          end = (await this.applyTail(undefined, true)).position;
          const seen = this.index.headAndPosition(name);
          current = seen.head ?? null;
          if (samePosition(seen.position, end)) break;
          if (attempt >= MAX_CAS_CATCH_UPS) {
            throw new Error(`The sqlite index of ${this.log.file} kept moving away from the head log's end during a CAS; retry`);
          }
        }
        if (current !== expected) throw new NotAtHeadError(name, current, expected);
        const change = { name, old: current, new: next };
        this.headWatch.noteOwn(change);
        await this.log.append(end, [change]);
        done.appended = true;
        await this.applyTail(undefined, true);
      }),
    );
  }

  /** Pick up other processes' changes now (and the inner driver's, e.g. new packs). */
  async rescan(): Promise<void> {
    this.check();
    await this.inner.rescan();
    await this.backToDisk();
    await this.healing(async () => {
      if (this.index.changedOnDisk()) await this.heal();
      await this.follow();
      await this.exclusive(() => this.indexArrived());
    });
    await this.headWatch.poll();
  }

  queryFiles(query: FileQuery): Promise<FileEntry[]> {
    return this.healing(async () => {
      await this.fresh();
      return queryFiles(this.index, query);
    });
  }

  queryHistory(start: string, limit: number): Promise<Commit[]> {
    return this.healing(() => this.history(start, limit));
  }

  private async history(start: string, limit: number): Promise<Commit[]> {
    await this.fresh();
    const commits: Commit[] = [];
    let from: string | undefined = start;
    while (from && commits.length < limit) {
      const found = historyFrom(this.index, from, limit - commits.length);
      commits.push(...found.commits);
      if (!found.missing) break;
      // A commit the index has not seen (e.g. history older than a rebuild): read it once, keep it.
      const object = await this.inner.loadObject(found.missing);
      if (!object || object.type !== 'commit') break;
      const commit = decodeCommit(object.data, found.missing);
      this.index.putCommit(commit, indexBody(object.data, commit));
      from = commit.commit;
    }
    return commits;
  }

  search(text: string, query: FileQuery = {}): Promise<SearchHit[]> {
    return this.healing(async () => {
      await this.fresh();
      return searchIndex(this.index, text, query);
    });
  }

  /** Rebuild the index from the head log and the objects. */
  async reindex(options: { onProgress?: ProgressListener } = {}): Promise<void> {
    this.check();
    await this.backToDisk();
    try {
      const rebuilt = await this.exclusive(() => this.catchUpper.rebuild(options.onProgress, true));
      if (!rebuilt.committed) await this.log.withLock(() => this.exclusive(() => this.catchUpper.rebuild(options.onProgress, false)));
      else if (rebuilt.stoppedAtNul) await this.rereadUnderLock(options.onProgress);
    } catch (err) {
      // A file damaged or replaced under the connection: healing is a rebuild from scratch,
      // which is what was asked for.
      if (!this.closed && (isDamage(err) || staleConnection(err))) {
        try {
          await this.heal();
          return;
        } catch (again) {
          throw isDamage(again) ? this.persistentDamage(again) : this.typed(again);
        }
      }
      // The rebuild's transaction rolled back: the index is as it was.
      throw this.typed(err);
    }
  }

  /** Head changes other processes append to the head log (fs.watch on its folder, and polling). */
  watch(listener: (change: HeadChange) => void): () => void {
    this.check();
    return this.headWatch.add(listener, this.index.position());
  }

  repack(options?: RepackOptions): Promise<RepackReport> {
    this.check();
    return this.required('repack')(options);
  }

  unpack(options?: { onProgress?: ProgressListener }): Promise<{ unpacked: number }> {
    this.check();
    return this.required('unpack')(options);
  }

  loadRaw(hash: string): Promise<Uint8Array | undefined> {
    this.check();
    return this.required('loadRaw')(hash);
  }

  storeRaw(hash: string, raw: Uint8Array): Promise<boolean> {
    this.check();
    return this.required('storeRaw')(hash, raw);
  }

  objectTime(hash: string): Promise<number | undefined> {
    this.check();
    return this.required('objectTime')(hash);
  }

  /** The inner driver's prune, then the head log's compaction (the index follows it as a tail). */
  async prune(): Promise<void> {
    this.check();
    await this.inner.prune?.();
    await this.compaction?.compact();
  }

  async fsck(options?: { onProgress?: ProgressListener }): Promise<FsckIssue[]> {
    this.check();
    return (await this.inner.fsck?.(options)) ?? [];
  }

  async stats(): Promise<Record<string, number>> {
    this.check();
    const inner = (await this.inner.stats?.()) ?? {};
    const indexedFiles = await this.healing(async () => this.index.headCount());
    return {
      ...inner, indexedFiles, headLogNulRereads: this.nulRereads, indexHeals: this.heals,
      indexInMemory: this.index.memory ? 1 : 0, indexMemoryFallbacks: this.memoryFallbacks,
    };
  }

  /** Close the index and the inner driver. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.compaction?.idle();
    this.headWatch.stop();
    await this.queue.catch(() => undefined);
    this.recent.clear();
    this.index.close();
    this.log.close?.();
    await this.inner.close();
  }

  /** Look at the log tail when the throttle interval has passed since the last look. */
  private async fresh(): Promise<void> {
    this.check();
    if (Date.now() - this.lastLook < this.throttleMs) return;
    await this.backToDisk();
    if (this.index.changedOnDisk()) await this.heal();
    await this.follow();
  }

  /**
   * Run an index read or write; when SQLite says the file is damaged (truncated, overwritten,
   * NOTADB, CORRUPT), rebuild the index and run it once more. The index is only a cache of the
   * head log and the objects, so rebuilding loses nothing. Damage that survives the rebuild
   * becomes a typed error. Call outside {@link exclusive} (the rebuild takes it).
   */
  private async healing<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (this.closed) throw err;
      // A concurrent call healed the index and closed the connection this one was using; or
      // a heal failed half-way (closed, not reopened) and must be done again.
      if (staleConnection(err) && this.index.db.open) return work();
      if (!isDamage(err) && !staleConnection(err) && !isNoRoom(err)) throw err;
      try {
        if (isNoRoom(err)) await this.toMemory();
        else await this.heal();
        return await work();
      } catch (again) {
        throw isDamage(again) ? this.persistentDamage(again) : this.typed(again);
      }
    }
  }

  /**
   * The index file cannot be written (a full disk, a quota, a file size limit): go on with a
   * copy of it in memory, brought up to the log there, so reads stay correct and current (the
   * index is only a cache of the log and the objects). A copy that cannot be made (the file
   * is unreadable too) is rebuilt in memory from the log and the objects. {@link backToDisk}
   * returns to the file once it can be written again.
   */
  private async toMemory(onProgress?: ProgressListener): Promise<void> {
    await this.exclusive(async () => {
      const old = this.index;
      if (old.memory) return;
      let copy: IndexDb;
      try {
        copy = old.db.open ? old.copyInMemory() : IndexDb.inMemory(old.path, old.busyTimeout);
      } catch {
        copy = IndexDb.inMemory(old.path, old.busyTimeout);
      }
      old.close();
      this.memoryFallbacks++;
      this.index = copy;
      this.catchUpper = this.catchUpFor(copy);
    });
    if (this.index.state !== 'ready') await this.exclusive(() => this.catchUpper.rebuild(onProgress, true));
    await this.follow(onProgress);
  }

  /**
   * While the index is held in memory: open the file again and bring it up to the log; when
   * that works (there is room again), it takes the copy's place. While there is no room this
   * is one failed open.
   */
  private async backToDisk(): Promise<void> {
    if (!this.index.memory) return;
    await this.exclusive(async () => {
      const copy = this.index;
      if (!copy.memory) return;
      let disk: IndexDb;
      try {
        disk = IndexDb.open(copy.path, { busyTimeout: copy.busyTimeout });
      } catch (err) {
        if (isNoRoom(err)) return;
        throw err;
      }
      const catchUpper = this.catchUpFor(disk);
      try {
        const caught = disk.state === 'ready' ? await catchUpper.catchUp(true) : { rebuild: 'missing' as const };
        if ('rebuild' in caught) await catchUpper.rebuild(undefined, true);
      } catch (err) {
        disk.close();
        if (isNoRoom(err)) return;
        throw err;
      }
      copy.close();
      this.index = disk;
      this.catchUpper = catchUpper;
    });
  }

  /** SQLite's no-room errors as STORAGE_FULL naming the index file; any other error as it is. */
  private typed(err: unknown): unknown {
    return isNoRoom(err) ? new StorageFullError(this.index.path, { cause: err }) : err;
  }

  /**
   * Close the index, reopen it and rebuild it from the head log and the objects, as opening a
   * store with a deleted or garbage index does (same queue, same rebuild and its race rules).
   * The file is removed first only while it is still the one this process opened (damaged in
   * place); a file another process already put in its place is opened as it is.
   */
  private async heal(): Promise<void> {
    this.heals++;
    await this.exclusive(async () => {
      const old = this.index;
      const damagedInPlace = old.sameFileOnDisk();
      old.close();
      if (damagedInPlace) removeIndexFiles(old.path);
      this.index = IndexDb.openOrInMemory(old.path, { busyTimeout: old.busyTimeout });
      if (this.index.memory) this.memoryFallbacks++;
      this.catchUpper = this.catchUpFor(this.index);
    });
    if (this.index.state !== 'ready') await this.exclusive(() => this.catchUpper.rebuild(undefined, true));
    await this.follow();
  }

  private persistentDamage(err: unknown): CorruptObjectError {
    const code = (err as { code?: unknown }).code;
    return new CorruptObjectError(undefined, this.index.path, `the SQLite index is still unreadable after rebuilding it (${String(code)})`, { cause: err });
  }

  private catchUpFor(index: IndexDb): IndexCatchUp {
    return new IndexCatchUp(index, this.log, (hash) => this.loadForIndex(hash));
  }

  /**
   * Apply the log tail now, rebuilding if the log's epoch changed. A line holding NUL bytes (NFS
   * can show a line's place before its bytes) is not skipped: it is read again under the lock,
   * where its writer has flushed it, as driver-files' `SharedHeads` does.
   */
  private async follow(onProgress?: ProgressListener): Promise<void> {
    const result = await this.exclusive(() => this.applyTail(onProgress, false));
    if (result.stoppedAtNul) await this.rereadUnderLock(onProgress);
  }

  // Lock first, then the queue: the order updateHead takes them in, so neither waits on the other.
  private async rereadUnderLock(onProgress?: ProgressListener): Promise<void> {
    this.nulRereads++;
    await this.log.withLock(() => this.exclusive(() => this.applyTail(onProgress, true)));
  }

  /**
   * The body of {@link follow}; call only inside {@link exclusive}, and with `locked` only while
   * holding the log's lock (then a line holding NUL bytes is garbage, skipped; without it the
   * read stops there). Returns the log position the index reached (the log's end as read).
   */
  private async applyTail(onProgress: ProgressListener | undefined, locked: boolean): Promise<RebuildResult> {
    this.lastLook = Date.now();
    const result = await this.catchUpper.catchUp(!locked);
    if ('rebuild' in result) return this.catchUpper.rebuild(onProgress, !locked);
    return { ...result, committed: true };
  }

  /** Index the waiting heads whose objects another process (or a repack) has stored meanwhile. */
  private async indexArrived(): Promise<void> {
    const arrived: string[] = [];
    for (const hash of this.index.waitedFor()) {
      if (await this.inner.hasObject(hash)) arrived.push(hash);
    }
    await this.catchUpper.indexWaiting(arrived);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async loadForIndex(hash: string): Promise<GitObject | undefined> {
    return this.recent.get(hash) ?? this.inner.loadObject(hash);
  }

  /** An optional inner method the capabilities promise (the Store checks them before calling). */
  private required<K extends 'repack' | 'unpack' | 'loadRaw' | 'storeRaw' | 'objectTime'>(key: K): NonNullable<Driver[K]> {
    const method = this.inner[key];
    if (!method) throw new UnsupportedError(key, this.inner.name);
    return method.bind(this.inner) as NonNullable<Driver[K]>;
  }

  private check(): void {
    if (this.closed) throw new ClosedError('sqlite driver');
  }
}
