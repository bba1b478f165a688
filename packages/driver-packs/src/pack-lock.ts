import { mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LockTimeoutError } from '@gitty/core';

/** A lock whose folder was not touched for this long is stale (its owner died on another host). */
const STALE_MS = 30_000;
/** The owner touches the lock this often while it works. */
const REFRESH_MS = 5_000;

interface Owner {
  host: string;
  pid: number;
}

/** True when `owner` is a process on this host that no longer runs. */
function ownerIsDead(owner: Owner): boolean {
  if (owner.host !== os.hostname()) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Remove a stale lock by renaming it away first, so two breakers cannot both remove a fresh one. */
async function breakStaleLock(lockPath: string): Promise<boolean> {
  let owner: Owner | undefined;
  try {
    owner = JSON.parse(await readFile(path.join(lockPath, 'owner'), 'utf8')) as Owner;
  } catch {
    owner = undefined; // being created, or written by an older version: judge by age only
  }
  let age: number;
  try {
    age = Date.now() - (await stat(lockPath)).mtimeMs;
  } catch {
    return true; // released meanwhile
  }
  if (!(owner && ownerIsDead(owner)) && age < STALE_MS) return false;
  const grave = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockPath, grave);
  } catch {
    return true; // another process broke or released it first
  }
  await rm(grave, { recursive: true, force: true });
  return true;
}

/**
 * The cross-process lock of a store's pack folder: the directory `objects/pack/pack.lock`
 * (mkdir is atomic, also on NFS) holding its owner's host and pid. Held by repack and unpack
 * for their whole run and by the short updates of the deleted-objects list, so only one process
 * rewrites packs at a time. A lock whose owner died on this host is broken at once (a process
 * killed mid-repack does not block the next one); one from another host when it has not been
 * touched for 30 s. Throws LOCK_TIMEOUT after `waitMs`.
 */
export async function withPackLock<T>(folder: string, work: () => Promise<T>, waitMs = 120_000): Promise<T> {
  await mkdir(folder, { recursive: true });
  const lockPath = path.join(folder, 'pack.lock');
  const deadline = Date.now() + waitMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
    try {
      await mkdir(lockPath);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (await breakStaleLock(lockPath)) continue;
    if (Date.now() > deadline) throw new LockTimeoutError(lockPath);
    await new Promise((r) => setTimeout(r, delay));
  }
  await writeFile(path.join(lockPath, 'owner'), JSON.stringify({ host: os.hostname(), pid: process.pid }));
  const refresh = setInterval(() => {
    const now = new Date();
    utimes(lockPath, now, now).catch(() => undefined);
  }, REFRESH_MS);
  refresh.unref();
  try {
    return await work();
  } finally {
    clearInterval(refresh);
    await rm(lockPath, { recursive: true, force: true });
  }
}
