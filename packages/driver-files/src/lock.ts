import lockfile from 'proper-lockfile';
import { LockTimeoutError } from '@gitty/core';

/** Options of {@link CrossProcessLock}. */
export interface LockOptions {
  /** A lock older than this (ms) without a refresh is taken as left by a dead process. */
  staleMs?: number;
  /** Give up after about this long (ms) with LOCK_TIMEOUT. */
  timeoutMs?: number;
}

/**
 * A lock shared by every process (and machine, over NFS) using the same store: proper-lockfile's
 * `mkdir`-based lock beside `target`, refreshed while held and broken when stale. Callers in one
 * process queue on an in-memory chain first, so they never compete through the file system.
 */
export class CrossProcessLock {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly target: string,
    private readonly options: LockOptions = {},
  ) {}

  /** Run `fn` holding the lock; the lock is released even when `fn` throws. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.chain.then(() => this.runLocked(fn));
    this.chain = result.catch(() => undefined);
    return result;
  }

  private async runLocked<T>(fn: () => Promise<T>): Promise<T> {
    const staleMs = this.options.staleMs ?? 10_000;
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    let release: () => Promise<void>;
    try {
      release = await lockfile.lock(this.target, {
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 2)),
        // ~timeoutMs of retries with short waits: CAS sections are a few ms long.
        retries: { retries: Math.ceil(timeoutMs / 25), minTimeout: 1, maxTimeout: 25, factor: 1.5, randomize: true },
        onCompromised: () => {
          // The lock went stale under us (a stall longer than staleMs); the CAS inside re-reads
          // the log, so the worst case is a lost race reported as NOT_AT_HEAD by a later reader.
        },
      });
    } catch (err) {
      throw new LockTimeoutError(`${this.target}.lock`, { cause: err });
    }
    try {
      return await fn();
    } finally {
      await release().catch(() => undefined);
    }
  }
}
