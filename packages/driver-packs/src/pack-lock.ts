import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { LockTimeoutError } from '@gitty/core';

/**
 * The cross-process lock of a store's pack folder (`objects/pack/pack.lock`, a directory lock
 * that works on NFS). Held by repack and unpack for their whole run and by the short appends
 * and the compaction of the deleted-objects list, so only one process rewrites packs at a time.
 */
export async function withPackLock<T>(folder: string, work: () => Promise<T>, waitMs = 60_000): Promise<T> {
  await mkdir(folder, { recursive: true });
  const lockPath = path.join(folder, 'pack.lock');
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(folder, {
      lockfilePath: lockPath,
      realpath: false,
      stale: 20_000,
      update: 5_000,
      retries: { retries: Math.ceil(waitMs / 250), minTimeout: 10, maxTimeout: 250, factor: 1.5 },
    });
  } catch (err) {
    throw new LockTimeoutError(lockPath, { cause: err });
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
