import { mkdirSync, renameSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { isMissing } from './fs-sync.js';

/**
 * A compaction's last step renames a new log over the old one. A writer that took the lock
 * over from a stalled compactor (or that stalled itself and appends late) can append to the
 * old log after the compactor copied its tail, find its line there, acknowledge it — and the
 * rename then drops it. So the switch is announced and can be vetoed:
 *
 * - the compactor stages its new log in `<log>.compacting/` (created with an exclusive mkdir)
 *   *before* it copies the old log's tail, and renames it over the log from there;
 * - every append, after writing and before believing what it wrote, looks for that folder and,
 *   when it finds one, moves it away (a veto) — the staged file's path is then gone, so the
 *   compactor's rename fails and it gives up, leaving the old log with the appended line.
 *
 * An append that found no folder wrote before the compactor announced itself (so the copied
 * tail holds its line), or after the switch (so it reads the new log and sees it moved). Only a
 * writer that believes it holds the lock can meet the folder: a compactor holds the lock for
 * the whole switch, so the folder is seen only by a writer that took the lock over, or after a
 * compactor died (the veto clears what it left).
 */
export function stagingFolder(logFile: string): string {
  return `${logFile}.compacting`;
}

/** Where vetoed staging folders go before they are removed: `<log>.vetoed-<hex>`. */
const VETOED_INFIX = '.vetoed-';

/**
 * Announce a switch: move `temp` (the new log, in the log's folder) into a fresh staging
 * folder, vetoing a folder a dead or stalled compactor left. Returns the staged file's path,
 * or undefined when a writer vetoed the switch at once (`temp` then stays where it was).
 */
export function stageNewLog(logFile: string, temp: string): string | undefined {
  const folder = stagingFolder(logFile);
  try {
    mkdirSync(folder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // We hold the lock, so whoever made it is no longer switching.
    vetoPendingCompaction(logFile);
    try {
      mkdirSync(folder);
    } catch (again) {
      // Another compactor that took the lock over staged meanwhile: leave the switch to it.
      if ((again as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
      throw again;
    }
  }
  const staged = path.join(folder, path.basename(temp));
  try {
    renameSync(temp, staged);
  } catch (err) {
    if (isMissing(err) && statSync(temp, { throwIfNoEntry: false })) return undefined;
    throw err;
  }
  return staged;
}

/** Give a staged switch up (inside the lock): remove the staged file and its folder, if a veto did not already. */
export function unstage(staged: string): void {
  rmSync(staged, { force: true });
  try {
    rmdirSync(path.dirname(staged));
  } catch {
    // vetoed and gone
  }
}

/**
 * The switch: rename the staged log over `logFile`. False when the switch was vetoed meanwhile
 * (the staged file is gone; the old log stays, the compaction is abandoned).
 */
export function switchToStagedLog(logFile: string, staged: string): boolean {
  try {
    renameSync(staged, logFile);
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
  try {
    rmdirSync(path.dirname(staged));
  } catch {
    // vetoed right after the switch (harmless), or another compactor's folder by now
  }
  return true;
}

/**
 * After an append: veto a switch announced meanwhile. Returns true when there was one (the
 * append must then read the log back rather than trust its quick check). One `stat` when
 * there is none.
 */
export function vetoPendingCompaction(logFile: string): boolean {
  const folder = stagingFolder(logFile);
  if (!statSync(folder, { throwIfNoEntry: false })) return false;
  const aside = `${logFile}${VETOED_INFIX}${randomBytes(6).toString('hex')}`;
  try {
    renameSync(folder, aside);
  } catch (err) {
    // Switched and cleared by its compactor, or vetoed by another writer, just now.
    if (isMissing(err)) return true;
    throw err;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}

/** True for a vetoed staging folder's name that a crash left behind (see {@link removeRetiredLogs}). */
export function isVetoedFolderName(logFile: string, name: string): boolean {
  return name.startsWith(`${path.basename(logFile)}${VETOED_INFIX}`);
}
