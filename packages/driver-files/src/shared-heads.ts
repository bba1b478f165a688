import { watch as watchFolder, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { NotAtHeadError, type HeadChange, type HeadEntry } from '@gitty/core';
import type { HeadLog, HeadLogPosition, HeadLogRead } from './head-log.js';

/** What {@link SharedHeads} needs of a head log: the JSON {@link HeadLog} or SWISH's Prolog one. */
export type HeadLogPort = Pick<HeadLog, 'file' | 'readFrom' | 'withLock' | 'append' | 'create'>;

/** Options of {@link SharedHeads}. */
export interface SharedHeadsOptions {
  /** Read the log at most once per this many ms for plain lookups, and poll at this rate while watched. */
  pollInterval: number;
  /** Also watch the log's folder with fs.watch (instant on local file systems; NFS needs the polling). */
  watchFile: boolean;
}

/**
 * The heads of a store, held in memory and shared with other processes through a
 * {@link HeadLog}. One instance per open driver.
 * - Lookups read the log's new lines at most once per `pollInterval` ({@link refresh});
 *   {@link refresh}(true) (rescan) and every CAS read it unconditionally.
 * - {@link compareAndSwap} takes the cross-process lock, catches up with the log, checks
 *   `expected` against that latest state and appends: two processes can never both win.
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
  /** Complete log lines skipped as invalid since opening (torn lines after crashes). */
  skippedLines = 0;
  /** The last error of a background (watch/poll) read, for diagnostics. */
  lastBackgroundError: unknown;

  constructor(
    readonly log: HeadLogPort,
    private readonly options: SharedHeadsOptions,
  ) {}

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
   */
  async compareAndSwap(name: string, expected: string | null, next: string | null): Promise<void> {
    await this.exclusive(() =>
      this.log.withLock(async () => {
        await this.catchUp(true);
        const current = this.heads.get(name) ?? null;
        if (current !== expected) throw new NotAtHeadError(name, current, expected);
        if (current === next) return;
        this.position = await this.log.append(this.position!, [{ name, old: current, new: next }]);
        this.apply({ name, old: current, new: next });
      }),
    );
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

  // Read from the remembered position. Inside the lock (`locked`), a missing log is written
  // anew from the heads we know, so appends always follow an epoch line.
  private async catchUp(locked = false): Promise<void> {
    this.lastRead = Date.now();
    const read: HeadLogRead | undefined = await this.log.readFrom(this.position);
    if (!read) {
      if (!locked) return;
      this.position = await this.log.create(this.entries());
      return;
    }
    this.skippedLines += read.skipped;
    if (read.reset) this.replaceAll(read.events);
    else for (const event of read.events) this.apply(event, true);
    this.position = { epoch: read.epoch, offset: read.offset };
  }

  private apply(change: HeadChange, report = false): void {
    if (change.new === null) this.heads.delete(change.name);
    else this.heads.set(change.name, change.new);
    if (report) this.emit(change);
  }

  // A new epoch (or a first read): report only what differs from what we knew.
  private replaceAll(events: readonly HeadChange[]): void {
    const next = new Map<string, string>();
    for (const e of events) {
      if (e.new === null) next.delete(e.name);
      else next.set(e.name, e.new);
    }
    const first = this.position === undefined;
    const before = new Map(this.heads);
    this.heads.clear();
    for (const [name, head] of next) this.heads.set(name, head);
    if (first) return;
    for (const [name, head] of next) if (before.get(name) !== head) this.emit({ name, old: before.get(name) ?? null, new: head });
    for (const [name, head] of before) if (!next.has(name)) this.emit({ name, old: head, new: null });
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
