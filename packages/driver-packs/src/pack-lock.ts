import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GittyError, LockTimeoutError } from '@gitty/core';
import { asStorageError } from './pack-io.js';

/** A lock that nobody touched for this long, as this process observes it, is stale. */
const STALE_MS = 30_000;
/** A break guard left by a breaker that died is removed after this long unchanged. */
const GUARD_STALE_MS = 10_000;

/** What a lock's `owner` file says. */
interface Owner {
  host: string;
  pid: number;
  /** The kernel's boot id: a pid means nothing after a reboot. */
  boot?: string;
  /** The pid namespace: hosts running containers share a host name but not their pids. */
  pidNs?: string;
  /** Unique per acquisition: tells this holder's lock from a successor's. */
  token: string;
}

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read().trim();
  } catch {
    return undefined; // no /proc (not Linux)
  }
}

const here = {
  host: os.hostname(),
  boot: readOrUndefined(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8')),
  pidNs: readOrUndefined(() => readlinkSync('/proc/self/ns/pid')),
};

/** Test hooks for forcing interleavings; production code sets none. */
export const packLockHooks: { afterJudgedStale?: () => Promise<void> } = {};

/**
 * True when `owner` is a process of this very pid space (same host, boot and pid namespace)
 * that no longer runs. A pid from anywhere else says nothing, so such a lock only goes stale.
 */
function ownerIsDead(owner: Owner | undefined): boolean {
  if (!owner || owner.host !== here.host || owner.boot !== here.boot || owner.pidNs !== here.pidNs) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** A lock folder's identity and its owner, or undefined when there is none. */
interface Seen {
  /** Changes whenever the lock is replaced (inode, owner token) or touched (mtime). */
  key: string;
  owner?: Owner;
}

async function inspect(dir: string, withOwner: boolean): Promise<Seen | undefined> {
  let owner: Owner | undefined;
  if (withOwner) {
    try {
      owner = JSON.parse(await readFile(path.join(dir, 'owner'), 'utf8')) as Owner;
    } catch {
      owner = undefined; // being created, or written by an older version: judged by its age only
    }
  }
  try {
    const s = await stat(dir);
    return { key: `${s.ino}:${s.mtimeMs}:${owner?.token ?? ''}`, owner };
  } catch {
    return undefined;
  }
}

/**
 * Staleness as this process sees it: a folder is stale once it stayed unchanged for `staleMs`
 * of this process's own (monotonic) time. Comparing an mtime with the local clock would break a
 * live lock whenever clocks disagree (NFS servers, other hosts); watching for change does not.
 */
class StaleWatch {
  private key?: string;
  private since = 0;

  constructor(private readonly staleMs: number) {}

  stale(seen: Seen): boolean {
    const now = performance.now();
    if (seen.key !== this.key) {
      this.key = seen.key;
      this.since = now;
    }
    return now - this.since >= this.staleMs;
  }
}

/** Remove `dir` by renaming it to a unique name first, then deleting that. */
async function discard(dir: string): Promise<void> {
  const grave = `${dir}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(dir, grave);
  } catch {
    return; // gone already
  }
  await rm(grave, { recursive: true, force: true });
}

/**
 * Break the lock judged stale as `judged`. Breakers take turns through the guard folder
 * `pack.lock.break` (an atomic mkdir), and each re-reads the lock under the guard: a waiter that
 * judged the old lock stale can never remove the fresh lock another breaker took meanwhile.
 */
async function breakLock(lockPath: string, judged: Seen, guardWatch: StaleWatch): Promise<void> {
  const guard = `${lockPath}.break`;
  try {
    await mkdir(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // Another breaker is at work; a guard left by one that died goes after a while unchanged.
    const seen = await inspect(guard, false);
    if (seen && guardWatch.stale(seen)) await discard(guard);
    return;
  }
  try {
    const now = await inspect(lockPath, true);
    if (now && now.key === judged.key) await discard(lockPath);
  } finally {
    await rm(guard, { recursive: true, force: true });
  }
}

/** The lock as held by this process: work can check that it still holds it before destroying anything. */
export interface HeldPackLock {
  /** Throws LOCK_TIMEOUT when another process took the lock over (this one stalled past the stale time). */
  assertHeld(): Promise<void>;
}

/** Options of {@link withPackLock}. */
export interface PackLockOptions {
  /** Give up with LOCK_TIMEOUT after this long (default 120 s). */
  waitMs?: number;
  /** A lock unchanged for this long (as this process observes it) is broken (default 30 s). */
  staleMs?: number;
}

/**
 * The cross-process lock of a store's pack folder: the directory `objects/pack/pack.lock`
 * (mkdir is atomic, also on NFS) holding its owner's host, boot id, pid namespace, pid and a
 * token unique to this acquisition. Held by repack and unpack for their whole run and by the
 * short updates of the deleted-objects list, so only one process rewrites packs at a time.
 *
 * The holder touches the folder every few seconds. A waiter breaks the lock at once when its
 * owner is a dead process of the same pid space (same host, boot and pid namespace), and
 * otherwise only after seeing it unchanged for `staleMs` by its own clock, so skewed clocks never
 * break a live lock. Breaking is serialised and re-checked (see {@link breakLock}); release removes
 * the lock only while it is still this holder's (checked by token), never a successor's.
 * Throws LOCK_TIMEOUT after `waitMs`.
 */
export async function withPackLock<T>(folder: string, work: (held: HeldPackLock) => Promise<T>, options: PackLockOptions = {}): Promise<T> {
  const waitMs = options.waitMs ?? 120_000;
  const staleMs = options.staleMs ?? STALE_MS;
  await mkdir(folder, { recursive: true });
  const lockPath = path.join(folder, 'pack.lock');
  const started = performance.now();
  const lockWatch = new StaleWatch(staleMs);
  const guardWatch = new StaleWatch(GUARD_STALE_MS);
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      await mkdir(lockPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw asStorageError(err, lockPath);
    }
    const seen = await inspect(lockPath, true);
    if (!seen) continue; // released meanwhile
    if (ownerIsDead(seen.owner) || lockWatch.stale(seen)) {
      await packLockHooks.afterJudgedStale?.();
      await breakLock(lockPath, seen, guardWatch);
      continue;
    }
    if (performance.now() - started > waitMs) throw new LockTimeoutError(lockPath);
    await new Promise((r) => setTimeout(r, delay));
  }

  const owner: Owner = { host: here.host, boot: here.boot, pidNs: here.pidNs, pid: process.pid, token: randomBytes(12).toString('hex') };
  const ours = async (): Promise<boolean> => (await inspect(lockPath, true))?.owner?.token === owner.token;
  try {
    await writeFile(path.join(lockPath, 'owner'), JSON.stringify(owner));
  } catch (err) {
    await rm(lockPath, { recursive: true, force: true });
    throw asStorageError(err, lockPath);
  }
  const refresh = setInterval(() => {
    void ours().then((yes) => {
      if (!yes) return; // taken over: touching it would keep a successor's lock alive for it
      const now = new Date();
      return utimes(lockPath, now, now);
    }).catch(() => undefined);
  }, Math.max(50, Math.min(5_000, Math.floor(staleMs / 4))));
  refresh.unref();
  const held: HeldPackLock = {
    assertHeld: async () => {
      if (!(await ours())) throw new GittyError('LOCK_TIMEOUT', `Lost the lock ${lockPath}: another process took it over while this one stalled`);
    },
  };
  try {
    return await work(held);
  } finally {
    clearInterval(refresh);
    // Only our own lock: after a takeover, the folder is the successor's.
    if (await ours()) await discard(lockPath);
  }
}
