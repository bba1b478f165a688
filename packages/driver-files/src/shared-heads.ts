import { watch as watchFolder, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { NotAtHeadError, isGittyError, type HeadChange, type HeadEntry } from '@gitty/core';
import { HeadLogMovedError, type HeadLog, type HeadLogLanded, type HeadLogPosition, type HeadLogScan } from './head-log.js';
import type { RebuildOptions } from './rebuild-heads.js';
import { Batcher, type BatchOutcome } from './group-commit.js';
import { decideCasBatch, type CasRequest } from './head-batch.js';

/**
 * What {@link SharedHeads} needs of a head log: the JSON {@link HeadLog} or SWISH's Prolog one.
 * `scan` (streaming reads) and `strict` (the replay rule: a line applies only when its `old` is
 * the head; logs without an epoch are not trusted) are the JSON log's; without them the log is
 * read with `readFrom` and its last line per name wins.
 */
export type HeadLogPort = Pick<HeadLog, 'file' | 'readFrom' | 'withLock' | 'create'> & Partial<Pick<HeadLog, 'scan' | 'strict' | 'appendEach'>> & {
  /** As {@link HeadLog.append}; without `alone: true` the log is read again after the append. */
  append(at: HeadLogPosition, changes: readonly HeadChange[], headAt?: (name: string) => string | null): Promise<HeadLogPosition & { alone?: boolean }>;
};

/** Options of {@link SharedHeads}. */
export interface SharedHeadsOptions {
  /** Read the log at most once per this many ms for plain lookups, and poll at this rate while watched. */
  pollInterval: number;
  /** Also watch the log's folder with fs.watch (instant on local file systems; NFS needs the polling). */
  watchFile: boolean;
  /**
   * Heads from the objects (e.g. {@link rebuildHeads}), for a log that vanished or lost its
   * epoch while open: a CAS then writes a new log from these, under the lock. Without it the
   * heads in memory are used, which may be stale.
   */
  rebuild?: (options?: RebuildOptions) => Promise<Iterable<HeadEntry>>;
  /**
   * Group commit: concurrent CAS calls are decided and appended together, under one lock
   * acquisition, in one write and one flush (JSON logs only; default false).
   */
  groupCommit?: boolean;
}

/** How often a CAS reads and decides again after finding the log moved under its lock. */
const MAX_CAS_ATTEMPTS = 5;

/**
 * The heads of a store, held in memory and shared with other processes through a
 * {@link HeadLog}. One instance per open driver.
 * - Lookups read the log's new lines at most once per `pollInterval` ({@link refresh});
 *   {@link refresh}(true) (rescan) and every CAS read it unconditionally.
 * - {@link compareAndSwap} takes the cross-process lock, catches up with the log, checks
 *   `expected` against that latest state and appends; the append verifies where its line
 *   landed, so two processes never both win, even when a stall cost one of them the lock.
 * - Replay follows the log's rule (a line applies only when its `old` is the head); a line in
 *   a tail that does not fit what this instance holds makes it read the whole log again.
 * - A line holding NUL bytes (NFS showing a line's place before its bytes) is read again
 *   under the lock instead of being skipped for good.
 * - {@link watch} listeners hear changes other processes (or other instances) made, fed by
 *   fs.watch on the log's folder and by polling; a rebuilt log (new epoch) is reported as the
 *   difference between the old and new heads. Changes made through this instance are not
 *   reported (the Store reports those itself).
 * All log access of one instance is serialized, so its heads and position stay consistent.
 */
export class SharedHeads {
  private readonly heads = new Map<string, string>();
  private position: HeadLogPosition | undefined;
  private lastRead = -Infinity;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pendingWake: NodeJS.Timeout | undefined;
  private closed = false;
  /** The changes this instance is appending: not reported to listeners when read back. */
  private own: HeadChange[] = [];
  /** Concurrent CAS calls waiting for one lock acquisition (group commit). */
  private readonly casBatcher: Batcher<CasRequest, void> | undefined;
  /** Complete log lines skipped as invalid since opening (torn lines after crashes, void changes). */
  skippedLines = 0;
  /** Reads that met a line of NUL bytes and read it again under the lock (NFS showing a line's place before its bytes). */
  nulRereads = 0;
  /** The last error of a background (watch/poll) read, for diagnostics. */
  lastBackgroundError: unknown;

  constructor(
    readonly log: HeadLogPort,
    private readonly options: SharedHeadsOptions,
  ) {
    if (options.groupCommit === true && this.batchable()) {
      this.casBatcher = new Batcher((requests) => this.compareAndSwapBatch(requests));
    }
  }

  /** Where this instance has read the log up to (undefined before the first read). */
  get logPosition(): HeadLogPosition | undefined {
    return this.position && { ...this.position };
  }

  /** The number of heads known. */
  get size(): number {
    return this.heads.size;
  }

  /** The head of `name` as last read (call {@link refresh} first). */
  get(name: string): string | undefined {
    return this.heads.get(name);
  }

  /** A snapshot of every head as last read. */
  entries(): HeadEntry[] {
    return [...this.heads].map(([name, head]) => ({ name, head }));
  }

  /** Read the log's new lines, unless it was read less than `pollInterval` ago and `force` is false. */
  async refresh(force = false): Promise<void> {
    if (!force && Date.now() - this.lastRead < this.options.pollInterval) return;
    await this.exclusive(() => this.catchUp());
  }

  /**
   * The CAS: under the log's lock, catch up, require the head of `name` to be `expected`
   * (null: absent) or throw NotAtHeadError naming the actual head, then append the change.
   * When the append finds the log moved (the lock was lost to a stall), it reads and decides
   * again; when another writer's line landed first, NotAtHeadError names its head.
   */
  async compareAndSwap(name: string, expected: string | null, next: string | null): Promise<void> {
    if (this.casBatcher) return this.casBatcher.submit({ name, expected, next });
    await this.exclusive(() =>
      this.log.withLock(async () => {
        for (let attempt = 1; ; attempt++) {
          // Should the log have to be rebuilt from the objects, our new commit is no head yet.
          await this.catchUp(true, [next]);
          const current = this.heads.get(name) ?? null;
          if (current !== expected) throw new NotAtHeadError(name, current, expected);
          if (current === next) return;
          const change: HeadChange = { name, old: current, new: next };
          let appended: HeadLogPosition & { alone?: boolean };
          try {
            appended = await this.log.append(this.position!, [change], (n) => this.heads.get(n) ?? null);
          } catch (err) {
            if (err instanceof HeadLogMovedError && attempt < MAX_CAS_ATTEMPTS) continue;
            // Take in the line that won (ours is void for every reader).
            if (isGittyError(err, 'NOT_AT_HEAD')) await this.catchUp(true).catch(() => undefined);
            throw err;
          }
          if (appended.alone === true) {
            this.apply(change);
            this.position = { epoch: appended.epoch, offset: appended.offset };
            return;
          }
          // Other writers' lines came in between (the lock was lost): read everything after
          // our last position, so heads and position stay what the log says.
          this.own = [change];
          try {
            await this.catchUp(true);
          } finally {
            this.own = [];
          }
          return;
        }
      }, { keep: true }),
    );
  }

  /**
   * Many CASes at once (`Driver.updateHeads`, bulk import): decided together under one lock
   * acquisition and appended in one write and flush, whether or not group commit is on. Logs
   * without streaming reads or the replay rule (SWISH's) take them one by one. Outcomes in order.
   */
  compareAndSwapAll(requests: readonly CasRequest[]): Promise<BatchOutcome<void>[]> {
    if (this.batchable()) return this.compareAndSwapBatch(requests);
    return Promise.all(requests.map((r) => this.compareAndSwap(r.name, r.expected, r.next).then(
      (): BatchOutcome<void> => ({ ok: true, value: undefined }),
      (error: unknown): BatchOutcome<void> => ({ ok: false, error }),
    )));
  }

  /**
   * Group commit's CAS: the requests of a batch are decided in order against the log read
   * under one lock acquisition (see {@link decideCasBatch}), and their lines appended in one
   * write and flush; every request learns its own outcome, and a failed append (STORAGE_FULL
   * …) fails them all. When other writers' lines landed around ours (a lost lock), each line's
   * outcome is what the replay rule makes of it.
   */
  private compareAndSwapBatch(requests: readonly CasRequest[]): Promise<BatchOutcome<void>[]> {
    return this.exclusive(() =>
      this.log.withLock(async () => {
        for (let attempt = 1; ; attempt++) {
          await this.catchUp(true, requests.map((r) => r.next));
          const { outcomes, changes, requestOf } = decideCasBatch(requests, (n) => this.heads.get(n) ?? null);
          const decided = (): BatchOutcome<void>[] => outcomes.map((o) => o ?? { ok: true, value: undefined });
          if (changes.length === 0) return decided();
          const at = this.position!;
          const headAt = (n: string) => this.heads.get(n) ?? null;
          let landed: HeadLogLanded;
          try {
            landed = await this.log.appendEach!(at, changes, headAt);
          } catch (err) {
            if (err instanceof HeadLogMovedError && attempt < MAX_CAS_ATTEMPTS) continue;
            throw err;
          }
          if (landed.alone) {
            for (const change of changes) this.apply(change);
            this.position = { epoch: landed.epoch, offset: landed.offset };
            return decided();
          }
          // Others' lines came in between (a lost lock): the log decided each of ours.
          this.own = changes.filter((_, i) => landed.applied[i]);
          try {
            await this.catchUp(true);
          } finally {
            this.own = [];
          }
          changes.forEach((change, i) => {
            outcomes[requestOf[i]!] = landed.applied[i]
              ? { ok: true, value: undefined }
              : { ok: false, error: new NotAtHeadError(change.name, landed.headsAt[i]!, change.old) };
          });
          return decided();
        }
      }, { keep: true }),
    );
  }

  // Several CASes in one append need gitty's own log: streaming reads, the replay rule, per-line outcomes.
  private batchable(): boolean {
    return this.log.scan !== undefined && this.log.strict === true && this.log.appendEach !== undefined;
  }

  /** Report changes made elsewhere; returns the unsubscribe function. */
  watch(listener: (change: HeadChange) => void): () => void {
    this.listeners.add(listener);
    this.startWatching();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopWatching();
    };
  }

  /** Stop watching and polling; waits for a read in progress. */
  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stopWatching();
    await this.queue.catch(() => undefined);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work);
    this.queue = result.catch(() => undefined);
    return result;
  }

  // Read on from the remembered position. Inside the lock (`locked`), a missing log or one
  // without an epoch is written anew (from the objects when a rebuild is configured), so
  // appends always follow an epoch line; outside it such a log leaves the heads as they are.
  private async catchUp(locked = false, inFlight: readonly (string | null)[] = []): Promise<void> {
    this.lastRead = Date.now();
    const strict = this.log.strict === true;
    const before = this.position;
    const changes: HeadChange[] = [];
    let full: Map<string, string> | undefined;
    let misfit = false;
    const apply = (event: HeadChange) => {
      if (full) {
        if (strict && (full.get(event.name) ?? null) !== event.old) {
          this.skippedLines++;
          return;
        }
        setHead(full, event);
        return;
      }
      changes.push(event);
    };
    const onStart = (reset: boolean) => {
      if (reset) full = new Map();
    };
    const read = await this.scanLog(before, apply, onStart, !locked);
    if (!read || (strict && read.epoch === '')) {
      if (locked) await this.rewrite(inFlight);
      return;
    }
    this.skippedLines += read.skipped;
    if (read.reset) {
      this.replaceAll(full ?? new Map());
    } else {
      // A tail: apply in order; a line that does not fit our heads means we (or the log) went
      // wrong somewhere — read it all again.
      for (const event of changes) {
        const current = this.heads.get(event.name) ?? null;
        if (strict && current !== event.old) {
          misfit = true;
          break;
        }
        this.apply(event, true);
      }
    }
    this.position = { epoch: read.epoch, offset: read.offset };
    if (misfit) {
      this.position = undefined;
      const heads = new Map<string, string>();
      const all = await this.scanLog(undefined, (event) => {
        if ((heads.get(event.name) ?? null) === event.old) setHead(heads, event);
        else this.skippedLines++;
      }, () => undefined, false);
      if (!all) return;
      this.replaceAll(heads, true);
      this.position = { epoch: all.epoch, offset: all.offset };
      return;
    }
    // A line that may not have arrived yet (NFS): read it again under the lock, where it is final.
    if (read.stoppedAtNul && !locked) {
      this.nulRereads++;
      await this.log.withLock(() => this.catchUp(true));
    }
  }

  // scan when the log streams, else readFrom (SWISH's log).
  private async scanLog(
    from: HeadLogPosition | undefined,
    visit: (event: HeadChange) => void,
    onStart: (reset: boolean) => void,
    stopAtNul: boolean,
  ): Promise<HeadLogScan | undefined> {
    if (this.log.scan) return this.log.scan(from, visit, { stopAtNul, onStart });
    const read = await this.log.readFrom(from);
    if (!read) return undefined;
    onStart(read.reset);
    for (const event of read.events) visit(event);
    return { epoch: read.epoch, offset: read.offset, reset: read.reset, skipped: read.skipped, stoppedAtNul: false };
  }

  // The log is missing or has no epoch: write a new one (we hold the lock).
  private async rewrite(inFlight: readonly (string | null)[]): Promise<void> {
    const ignore = new Set(inFlight.filter((hash): hash is string => hash !== null));
    const heads = this.options.rebuild ? [...(await this.options.rebuild({ ignore }))] : this.entries();
    const replace = (this.log as Partial<Pick<HeadLog, 'replace'>>).replace;
    this.position = replace ? await replace.call(this.log, async () => heads) : await this.log.create(heads);
    const next = new Map<string, string>();
    for (const { name, head } of heads) next.set(name, head);
    this.replaceAll(next);
  }

  private apply(change: HeadChange, report = false): void {
    setHead(this.heads, change);
    const own = this.own.findIndex((c) => c.name === change.name && c.old === change.old && c.new === change.new);
    if (own >= 0) {
      this.own.splice(own, 1);
      return;
    }
    if (report) this.emit(change);
  }

  // A new epoch, a first read or a full re-read: report only what differs from what we knew.
  private replaceAll(next: Map<string, string>, report = this.position !== undefined): void {
    const before = new Map(this.heads);
    this.heads.clear();
    for (const [name, head] of next) this.heads.set(name, head);
    if (!report) return;
    for (const [name, head] of next) if (before.get(name) !== head) this.emitUnlessOwn({ name, old: before.get(name) ?? null, new: head });
    for (const [name, head] of before) if (!next.has(name)) this.emitUnlessOwn({ name, old: head, new: null });
  }

  private emitUnlessOwn(change: HeadChange): void {
    if (this.own.some((c) => c.name === change.name && c.new === change.new)) return;
    this.emit(change);
  }

  private emit(change: HeadChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A listener's failure must not corrupt our view of the heads.
      }
    }
  }

  private startWatching(): void {
    if (this.closed || this.timer) return;
    this.timer = setInterval(() => this.wake(), Math.max(10, this.options.pollInterval));
    this.timer.unref();
    if (!this.options.watchFile) return;
    const base = path.basename(this.log.file);
    try {
      this.watcher = watchFolder(path.dirname(this.log.file), { persistent: false }, (_event, file) => {
        if (file === null || file === base) this.scheduleWake();
      });
      this.watcher.on('error', (err) => {
        this.lastBackgroundError = err;
        this.watcher?.close();
        this.watcher = undefined;
      });
    } catch (err) {
      // No fs.watch here (inotify limits, some network file systems): polling remains.
      this.lastBackgroundError = err;
    }
  }

  private stopWatching(): void {
    clearInterval(this.timer);
    clearTimeout(this.pendingWake);
    this.timer = undefined;
    this.pendingWake = undefined;
    this.watcher?.close();
    this.watcher = undefined;
  }

  // Coalesce the bursts of events one append causes into one read.
  private scheduleWake(): void {
    if (this.pendingWake || this.closed) return;
    this.pendingWake = setTimeout(() => {
      this.pendingWake = undefined;
      this.wake();
    }, 2);
  }

  private wake(): void {
    if (this.closed) return;
    this.exclusive(() => this.catchUp()).catch((err: unknown) => {
      this.lastBackgroundError = err;
    });
  }
}

function setHead(heads: Map<string, string>, change: HeadChange): void {
  if (change.new === null) heads.delete(change.name);
  else heads.set(change.name, change.new);
}
