import { watch as watchFs, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { HeadChange } from '@gitty/core';
import type { HeadLogAccess, LogPosition } from './head-log-port.js';
import { readLog } from './log-read.js';

const keyOf = (change: HeadChange) => `${change.name}\0${change.old}\0${change.new}`;
const fromKey = (name: string, head: string | null) => `${name}\0${head}`;

/** How many (name, old head) pairs the void-line filter remembers; forgetting only makes it report more. */
const SPENT_LIMIT = 10_000;

/**
 * `watch` for the sqlite driver: reports head changes other processes append to the head log.
 * It tails the log from its own offset (the index's position is shared by every process on
 * the store, so it cannot tell this process what is new to it), woken by fs.watch on the log's
 * folder and by a poll timer (for NFS, where no events arrive). Changes this process made are
 * left out: the Store reports those itself.
 *
 * It does not know every head at its position (that would mean reading the whole log), so it
 * applies the log's replay rule as far as what it has read shows: a change from a head that a
 * change it read already moved away from (and no later change it read moved back to) is void —
 * the line of a writer that lost the lock to a stall — and is not reported. A line holding NUL
 * bytes (NFS) ends a read without the lock; it is read again under the lock.
 */
export class HeadWatch {
  private readonly listeners = new Set<(change: HeadChange) => void>();
  private readonly own = new Map<string, number>();
  private position: LogPosition | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;
  /** `name\0old` of the changes read whose `old` is no longer the head (see the class comment). */
  private readonly spent = new Set<string>();

  constructor(
    private readonly log: Pick<HeadLogAccess, 'readFrom' | 'scan' | 'strict' | 'withLock' | 'file'>,
    private readonly pollMs: number,
  ) {}

  /** Subscribe, reporting changes appended after `from` (the index's position now). */
  add(listener: (change: HeadChange) => void, from: LogPosition | undefined): () => void {
    if (this.listeners.size === 0) {
      this.position = from;
      this.start();
    }
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stop();
    };
  }

  /** A change this process is appending: not to be reported. */
  noteOwn(change: HeadChange): void {
    if (this.listeners.size === 0) return;
    this.own.set(keyOf(change), (this.own.get(keyOf(change)) ?? 0) + 1);
  }

  /** Read the log's tail now and report what others appended (coalesces concurrent calls). */
  poll(): Promise<void> {
    if (this.listeners.size === 0) return Promise.resolve();
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = this.read().finally(() => {
      this.reading = undefined;
      if (this.again) {
        this.again = false;
        void this.poll().catch(() => undefined);
      }
    });
    return this.reading;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watcher?.close();
    this.watcher = undefined;
    this.listeners.clear();
    this.own.clear();
    this.spent.clear();
  }

  private async read(): Promise<void> {
    let tail = await readLog(this.log, this.position, true);
    // A line that may not have arrived yet (NFS): read again under the lock, where it is final.
    if (tail?.stoppedAtNul) tail = await this.log.withLock(() => readLog(this.log, this.position, false));
    if (!tail) return;
    this.position = { epoch: tail.epoch, offset: tail.offset };
    // A rewritten log restates heads rather than changing them: carry on from its end.
    if (tail.reset) {
      this.spent.clear();
      return;
    }
    for (const change of tail.events) {
      if (this.isVoid(change)) continue;
      const key = keyOf(change);
      const mine = this.own.get(key);
      if (mine) {
        if (mine === 1) this.own.delete(key);
        else this.own.set(key, mine - 1);
        continue;
      }
      for (const listener of this.listeners) {
        try {
          listener(change);
        } catch {
          // A listener's failure must not stop the others or the tailing.
        }
      }
    }
  }

  // The replay rule as far as this watch has read (gitty's own log only; SWISH's last line wins).
  private isVoid(change: HeadChange): boolean {
    if (this.log.strict !== true) return false;
    if (this.spent.has(fromKey(change.name, change.old))) return true;
    this.spent.delete(fromKey(change.name, change.new));
    this.spent.add(fromKey(change.name, change.old));
    if (this.spent.size > SPENT_LIMIT) this.spent.delete(this.spent.values().next().value!);
    return false;
  }

  private start(): void {
    this.timer = setInterval(() => void this.poll().catch(() => undefined), Math.max(50, this.pollMs));
    this.timer.unref();
    try {
      // The folder, not the file: a rewritten log is a new file renamed into place.
      this.watcher = watchFs(path.dirname(this.log.file), { persistent: false }, (_event, name) => {
        if (name === null || name === path.basename(this.log.file)) void this.poll().catch(() => undefined);
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // No fs.watch here (some network file systems): the timer covers it.
    }
  }
}
