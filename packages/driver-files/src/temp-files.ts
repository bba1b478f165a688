import { randomBytes } from 'node:crypto';
import { readdir, rm, stat, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Temp files are written next to their final place and then linked or renamed into it, so a
 * reader never sees half an object. Their names start with `.tmp-` (never a hash, so every
 * enumeration ignores them) and carry the writer's host and pid, so `prune` can tell a file
 * whose writer died (same host, pid gone) from one still being written.
 */
export const TEMP_PREFIX = '.tmp-';

/** How old a temp file of another host (or of a reused pid) must be before prune removes it. */
export const STALE_TEMP_MS = 60 * 60 * 1000;

const host = os.hostname().replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 64) || 'host';

/** A fresh tag naming this process and host: `<host>-<pid>-<random>` (see {@link writerGone}). */
export function writerTag(): string {
  return `${host}-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** A fresh temp file name for this process: `.tmp-<host>-<pid>-<random>`. */
export function tempName(): string {
  return `${TEMP_PREFIX}${writerTag()}`;
}

/** True when `name` is a temp file name (of any writer). */
export function isTempName(name: string): boolean {
  return name.startsWith(TEMP_PREFIX);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when a temp file may be removed: its writer on this host is gone, or it is older than
 * `staleMs` (writers on other hosts, whose pids we cannot check, never take that long).
 */
export function isStaleTemp(name: string, mtimeMs: number, now = Date.now(), staleMs = STALE_TEMP_MS): boolean {
  if (now - mtimeMs > staleMs) return true;
  return writerGone(name.slice(TEMP_PREFIX.length));
}

/**
 * True when the writer named by `tag` (a {@link writerTag}) is known to be gone: it ran on this
 * host, is not this process, and its pid no longer exists. Writers on other hosts are never
 * known to be gone.
 */
export function writerGone(tag: string): boolean {
  const match = /^(.*)-(\d+)-[0-9a-f]+$/.exec(tag);
  if (!match || match[1] !== host) return false;
  const pid = Number(match[2]);
  return pid !== process.pid && !processAlive(pid);
}

/** True when `tag` (a {@link writerTag}) names this very process. */
export function isOwnTag(tag: string): boolean {
  const match = /^(.*)-(\d+)-[0-9a-f]+$/.exec(tag);
  return match !== null && match[1] === host && Number(match[2]) === process.pid;
}

/**
 * Remove the stale temp files directly in `folder` (see {@link isStaleTemp}) — and temp-named
 * folders: lock folders a crash left after moving them aside; resolves how many.
 */
export async function removeStaleTemps(folder: string): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  let removed = 0;
  const now = Date.now();
  for (const name of names) {
    if (!isTempName(name)) continue;
    const file = path.join(folder, name);
    const s = await stat(file).catch(() => undefined);
    if (!s || !isStaleTemp(name, s.mtimeMs, now)) continue;
    const gone = s.isDirectory() ? rm(file, { recursive: true }) : unlink(file);
    if (await gone.then(() => true, () => false)) removed++;
  }
  return removed;
}
