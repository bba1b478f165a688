import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LockTimeoutError } from '@gitty/core';

/** Options of {@link FileLock}. */
export interface FileLockOptions {
  /**
   * A lock whose holder stopped refreshing it for this long is taken over (default 10 s,
   * at least 2 s): how long others wait after a holder crashed.
   */
  staleMs?: number;
  /** Give up with LOCK_TIMEOUT after waiting this long (default 30 s). */
  timeoutMs?: number;
}

/**
 * A cross-process, cross-machine mutual exclusion on one file, built on proper-lockfile: the
 * lock is a `<file>.lock` folder created with `mkdir` (atomic on NFS too) whose mtime the
 * holder refreshes; a holder that crashed is detected by a stale mtime. Waiting retries with
 * jittered, growing delays, because proper-lockfile itself does not queue.
 */
export class FileLock {
  private readonly staleMs: number;
  private readonly timeoutMs: number;

  constructor(
    /** The file the lock protects (it need not exist). */
    readonly file: string,
    options: FileLockOptions = {},
  ) {
    this.staleMs = Math.max(2000, options.staleMs ?? 10_000);
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The lock folder's path. */
  get lockPath(): string {
    return `${this.file}.lock`;
  }

  /** Callers in this process queue here, so only one of them at a time polls the lock folder. */
  private queue: Promise<unknown> = Promise.resolve();

  /** Run `work` while holding the lock; the lock is released even when `work` throws. */
  withLock<T>(work: () => Promise<T>): Promise<T> {
    // Without this queue, many writers in one process would all poll the mkdir lock with
    // random back-off, and a long tail of them would wait up to 50 ms per round.
    const result = this.queue.then(() => this.holdWhile(work));
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async holdWhile<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      // A release can fail only if the lock was compromised (taken over as stale); the work
      // is done by then and nothing better can be done than to carry on.
      await release().catch(() => undefined);
    }
  }

  private async acquire(): Promise<() => Promise<void>> {
    const deadline = Date.now() + this.timeoutMs;
    let delay = 1;
    let madeFolder = false;
    for (;;) {
      try {
        // lockSync: mkdir (and a stat when contended) without two thread-pool round trips;
        // waiting between attempts stays asynchronous below.
        const release = lockfile.lockSync(this.file, {
          realpath: false,
          stale: this.staleMs,
          // Called when our lock was taken over; the holder's work is a few ms long, so this
          // means the process stalled for longer than staleMs. Never throw from a timer.
          onCompromised: () => undefined,
        });
        return async () => release();
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && !madeFolder) {
          madeFolder = true;
          // The folder the lock lives in does not exist yet (a new store): create it and retry.
          await mkdir(path.dirname(this.file), { recursive: true });
          continue;
        }
        if (code !== 'ELOCKED') throw err;
        if (Date.now() > deadline) throw new LockTimeoutError(this.lockPath, { cause: err });
        await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
        delay = Math.min(delay * 2, 50);
      }
    }
  }
}
