import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readlinkSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { LockTimeoutError } from '@gitty/core';
import { asStorageError } from './write-fully.js';
import { tempName } from './temp-files.js';

/** Options of {@link FileLock}. */
export interface FileLockOptions {
  /**
   * A lock whose holder stopped refreshing it for this long is taken over (default 10 s,
   * at least 2 s): how long others wait after a holder on another host crashed, or a holder
   * stalled (a holder on this host that died is taken over at once).
   */
  staleMs?: number;
  /** Give up with LOCK_TIMEOUT after waiting this long (default 30 s). */
  timeoutMs?: number;
  /**
   * Keep the lock after a successful `withLock` until this process's event loop turns (a
   * `setImmediate`), or at most {@link BURST_HOLD_MS} from taking it, so a burst of writes
   * that never yields (a sequential writer without fsync) takes and releases it once instead
   * of once per write: the lock's ten or so file-system calls were a third of such a write's.
   * A waiter leaves a sign (`<file>.lock-waiting`); a holder that sees it, or that had to wait
   * itself, lets go after every step for the next 2 s, as without this option. Default false.
   */
  holdAcrossBurst?: boolean;
}

/** The longest a {@link FileLockOptions.holdAcrossBurst} lock is kept held across writes before it is released anyway. */
export const BURST_HOLD_MS = 25;

/** How long after another process was seen waiting for the lock it is no longer kept across bursts. */
const SHARED_LOCK_MS = 2000;

/** Who holds a lock: written to `<lock>/owner` right after the `mkdir`. */
interface LockOwner {
  host: string;
  /** The pid namespace (Linux), so containers sharing a host name never judge each other's pids. */
  ns: string;
  pid: number;
  /** Unique per acquisition: tells this holder's lock from a successor's. */
  token: string;
}

const HOST = os.hostname();
const PID_NAMESPACE = (() => {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return '';
  }
})();

const OWNER_FILE = 'owner';

// An owner file is one short JSON line: one read of this many bytes takes it whole (readFileSync
// would read again to see the end, on every release).
const OWNER_READ_BYTES = 1024;

function readOwnerText(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(OWNER_READ_BYTES);
    const length = readSync(fd, buffer, 0, OWNER_READ_BYTES, 0);
    // Longer than any owner we write: read it whole anyway (the JSON decides what it is).
    if (length === OWNER_READ_BYTES) return readFileSync(file, 'utf8');
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function readOwner(lockFolder: string): LockOwner | undefined {
  try {
    const value = JSON.parse(readOwnerText(path.join(lockFolder, OWNER_FILE))) as Partial<LockOwner>;
    if (typeof value.host !== 'string' || typeof value.pid !== 'number' || typeof value.token !== 'string') return undefined;
    return { host: value.host, ns: typeof value.ns === 'string' ? value.ns : '', pid: value.pid, token: value.token };
  } catch {
    return undefined; // not written yet, or being written: judged by its age alone
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, but is someone else's
  }
}

/** True when `owner` ran on this host (and pid namespace) and its process is gone. */
function holderDied(owner: LockOwner | undefined): boolean {
  return owner !== undefined && owner.host === HOST && owner.ns === PID_NAMESPACE && owner.pid !== process.pid && !processAlive(owner.pid);
}

/**
 * A cross-process, cross-machine mutual exclusion on one file: the lock is a `<file>.lock`
 * folder created with `mkdir` (atomic, NFS too) holding an `owner` file (host, pid namespace,
 * pid, a token per acquisition). The holder refreshes the folder's mtime while it holds it.
 * A waiter takes the lock over when its holder died on this host (pid gone: at once) or
 * stopped refreshing it for `staleMs` (a crash elsewhere, or a stall: GC pause, SIGSTOP, VM
 * pause). Take-over and release move the folder aside (rename) and look at whose it was, so a
 * holder never removes a successor's lock and a waiter that raced another waiter's take-over
 * puts the fresh lock back.
 *
 * **A lock can still be lost**: a holder that stalls longer than `staleMs` loses it without
 * knowing. Mutual exclusion is therefore only what makes writers efficient; correctness of
 * the head log never depends on it (see `HeadLog.append`, which verifies where its line
 * landed).
 */
export class FileLock {
  private readonly staleMs: number;
  private readonly timeoutMs: number;
  private readonly holdAcrossBurst: boolean;
  /** A lock kept after a `withLock` (holdAcrossBurst) for the next one, until released. */
  private kept: { token: string; since: number; refresh: NodeJS.Timeout } | undefined;
  private releaseQueued = false;
  /** Until then (ms) the lock is released after each step: another process was seen waiting for it. */
  private sharedUntil = 0;

  constructor(
    /** The file the lock protects (it need not exist). */
    readonly file: string,
    options: FileLockOptions = {},
  ) {
    this.staleMs = Math.max(2000, options.staleMs ?? 10_000);
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.holdAcrossBurst = options.holdAcrossBurst ?? false;
  }

  /** The lock folder's path. */
  get lockPath(): string {
    return `${this.file}.lock`;
  }

  /** Callers in this process queue here, so only one of them at a time polls the lock folder. */
  private queue: Promise<unknown> = Promise.resolve();

  /**
   * Run `work` while holding the lock; the lock is released even when `work` throws. With
   * `holdAcrossBurst`, `keep: false` releases it right after this work anyway.
   */
  withLock<T>(work: () => Promise<T>, options: { keep?: boolean } = {}): Promise<T> {
    // Without this queue, many writers in one process would all poll the mkdir lock with
    // random back-off, and a long tail of them would wait up to 50 ms per round.
    const result = this.queue.then(() => this.holdWhile(work, options.keep ?? true));
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Release a lock kept across a burst (see {@link FileLockOptions.holdAcrossBurst}) now; call on close. */
  releaseKept(): void {
    const kept = this.kept;
    if (!kept) return;
    this.kept = undefined;
    clearInterval(kept.refresh);
    this.release(kept.token);
  }

  private async holdWhile<T>(work: () => Promise<T>, mayKeep: boolean): Promise<T> {
    const kept = this.kept;
    this.kept = undefined;
    const token = kept?.token ?? (await this.acquire());
    const since = kept?.since ?? Date.now();
    const refresh = kept?.refresh ?? this.refreshWhileHeld(token);
    let succeeded = false;
    try {
      const result = await work();
      succeeded = true;
      return result;
    } finally {
      // After a failure (maybe a lost lock) or a long hold, let go now.
      if (succeeded && mayKeep && this.holdAcrossBurst && Date.now() - since < BURST_HOLD_MS && !this.othersAround()) {
        this.kept = { token, since, refresh };
        this.queueRelease();
      } else {
        clearInterval(refresh);
        this.release(token);
      }
    }
  }

  /**
   * `<file>.lock-waiting`: a waiter's sign to a holder that keeps the lock across bursts to let
   * go after its current step. A file next to the lock, not in it: anything made inside the
   * lock folder would refresh its mtime and hide a dead holder. Removed by the next holder.
   */
  get waitingPath(): string {
    return `${this.lockPath}-waiting`;
  }

  private signalWaiting(): boolean {
    try {
      closeSync(openSync(this.waitingPath, 'a'));
      return true;
    } catch {
      return false; // no sign, no harm: the holder lets go after BURST_HOLD_MS anyway
    }
  }

  private clearWaiting(): void {
    try {
      unlinkSync(this.waitingPath);
    } catch {
      // gone already
    }
  }

  private queueRelease(): void {
    if (this.releaseQueued) return;
    this.releaseQueued = true;
    setImmediate(() => {
      this.releaseQueued = false;
      this.releaseKept();
    });
  }

  // Another process waits for the lock (see waitingPath), or did lately, or we waited for one:
  // let go after each step as without holdAcrossBurst (a holder that only let go between steps
  // would take the lock again before the waiter's next look, for as long as it writes).
  private othersAround(): boolean {
    if (Date.now() < this.sharedUntil) return true;
    if (!existsSync(this.waitingPath)) return false;
    this.clearWaiting();
    this.sharedUntil = Date.now() + SHARED_LOCK_MS;
    return true;
  }

  // Refresh the mtime so waiters know we are alive; stop once the lock is no longer ours.
  private refreshWhileHeld(token: string): NodeJS.Timeout {
    const refresh = setInterval(() => {
      if (readOwner(this.lockPath)?.token !== token) {
        clearInterval(refresh);
        return;
      }
      const now = new Date();
      try {
        utimesSync(this.lockPath, now, now);
      } catch {
        // taken over meanwhile; the next tick notices
      }
    }, Math.max(250, this.staleMs / 4));
    refresh.unref();
    return refresh;
  }

  /** Take the lock; resolves this acquisition's token. */
  private async acquire(): Promise<string> {
    const deadline = Date.now() + this.timeoutMs;
    let delay = 1;
    let madeFolder = false;
    let signalled = false;
    for (;;) {
      try {
        mkdirSync(this.lockPath);
        const token = this.writeOwner();
        if (token !== undefined) {
          if (signalled) {
            this.clearWaiting();
            this.sharedUntil = Date.now() + SHARED_LOCK_MS;
          }
          return token;
        }
        continue;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' && !madeFolder) {
          madeFolder = true;
          // The folder the lock lives in does not exist yet (a new store): create it and retry.
          mkdirSync(path.dirname(this.file), { recursive: true });
          continue;
        }
        if (code !== 'EEXIST') throw asStorageError(err, this.lockPath);
      }
      if (this.takeOverIfAbandoned()) continue;
      signalled = this.signalWaiting() || signalled;
      if (Date.now() > deadline) {
        if (signalled) this.clearWaiting();
        throw new LockTimeoutError(this.lockPath);
      }
      await new Promise((resolve) => setTimeout(resolve, delay * (0.5 + Math.random())));
      delay = Math.min(delay * 2, 50);
    }
  }

  // undefined: the folder we made was moved meanwhile (a take-over that judged it by age).
  private writeOwner(): string | undefined {
    const token = randomBytes(12).toString('hex');
    const owner: LockOwner = { host: HOST, ns: PID_NAMESPACE, pid: process.pid, token };
    try {
      writeFileSync(path.join(this.lockPath, OWNER_FILE), JSON.stringify(owner), { flag: 'wx' });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' || code === 'ENOENT') return undefined;
      // No room for the owner file: do not leave an ownerless lock behind for others to age out
      // — but only ours: one that holds an owner by now is another holder's, and goes back.
      const aside = this.moveAside();
      if (aside && !(readOwner(aside) && this.putBack(aside))) rmSync(aside, { recursive: true, force: true });
      throw asStorageError(err, this.lockPath);
    }
    return token;
  }

  /** When the lock's holder died here or went stale, move the lock aside; true when it did. */
  private takeOverIfAbandoned(): boolean {
    const seen = statSync(this.lockPath, { throwIfNoEntry: false });
    if (!seen) return true; // released meanwhile: try again at once
    const owner = readOwner(this.lockPath);
    const abandoned = holderDied(owner) || Date.now() - seen.mtimeMs > this.staleMs;
    if (!abandoned) return false;
    const aside = this.moveAside();
    if (!aside) return true; // another waiter moved it first
    const moved = readOwner(aside);
    const same = owner ? moved?.token === owner.token : !moved && statSync(aside, { throwIfNoEntry: false })?.mtimeMs === seen.mtimeMs;
    // We raced another waiter's take-over and moved its fresh lock: put it back.
    if (!same && this.putBack(aside)) return false;
    rmSync(aside, { recursive: true, force: true });
    return true;
  }

  /** Release: move the lock aside, and remove it only if it is still ours (else put it back). */
  private release(token: string): void {
    const aside = this.moveAside();
    if (!aside) return;
    // Taken over while we held it (a stall): the folder we moved is a successor's — put it back.
    if (readOwner(aside)?.token !== token && this.putBack(aside)) return;
    try {
      unlinkSync(path.join(aside, OWNER_FILE));
      rmdirSync(aside);
    } catch {
      rmSync(aside, { recursive: true, force: true });
    }
  }

  // A temp name next to the lock (prune removes one a crash left behind).
  private moveAside(): string | undefined {
    const aside = path.join(path.dirname(this.lockPath), tempName());
    try {
      renameSync(this.lockPath, aside);
      return aside;
    } catch {
      return undefined;
    }
  }

  private putBack(aside: string): boolean {
    try {
      // Fails when a new lock folder holding an owner exists by now; its holder keeps it.
      renameSync(aside, this.lockPath);
      return true;
    } catch {
      return false;
    }
  }
}
