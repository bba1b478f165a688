import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isHash } from '@gitty/core';
import { asStorageError, syncFolder, writeFully } from './pack-io.js';

/** What identifies one version of the list file: a compaction renames a new file (another inode) over it. */
interface FileVersion {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
}

const ABSENT: FileVersion = { size: 0, mtimeMs: 0, ctimeMs: 0, ino: 0 };

function sameVersion(a: FileVersion | undefined, b: FileVersion): boolean {
  return a !== undefined && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino;
}

/**
 * Deletions of packed objects. A pack cannot drop one entry, so `deleteObject` of a packed
 * object appends `-<hash>` to `objects/pack/deleted`; reads ignore packed copies of such hashes,
 * and the next repack leaves deleted objects out of the packs it merges and compacts the file.
 * An object stored again after its packed copy was deleted is written loose; a repack that packs
 * such a loose object appends `+<hash>` (live again) before removing the loose copy. Lines are 42
 * bytes, appended with O_APPEND and fsynced, so appends from several processes never interleave
 * and survive a crash.
 */
export class Tombstones {
  private deleted = new Set<string>();
  private loaded?: FileVersion;
  readonly file: string;

  constructor(folder: string) {
    this.file = path.join(folder, 'deleted');
  }

  /**
   * Re-read the file when it changed since the last load: size, times and inode are compared,
   * so a compaction (a new file renamed into place) of the very same size is noticed too.
   */
  async refresh(): Promise<void> {
    let version: FileVersion;
    try {
      const s = await stat(this.file);
      version = { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
    } catch {
      version = ABSENT;
    }
    if (sameVersion(this.loaded, version)) return;
    const text = version.size === 0 ? '' : await readFile(this.file, 'latin1').catch(() => '');
    const deleted = new Set<string>();
    for (const line of text.split('\n')) {
      const hash = line.slice(1);
      if (!isHash(hash)) continue;
      if (line[0] === '-') deleted.add(hash);
      else if (line[0] === '+') deleted.delete(hash);
    }
    this.deleted = deleted;
    this.loaded = version;
  }

  /** True when packed copies of `hash` are deleted (as of the last {@link refresh}). */
  has(hash: string): boolean {
    return this.deleted.has(hash);
  }

  /** Number of deleted hashes. */
  get size(): number {
    return this.deleted.size;
  }

  /** Mark packed copies of `hash` deleted (`true`) or live again (`false`); call under the pack lock. */
  async mark(hash: string, deleted: boolean): Promise<void> {
    await this.markAll([hash], deleted);
  }

  /** Mark packed copies of every hash in `hashes` deleted or live again, in one fsynced append. */
  async markAll(hashes: readonly string[], deleted: boolean): Promise<void> {
    if (hashes.length === 0) return;
    const lines = Buffer.from(hashes.map((h) => `${deleted ? '-' : '+'}${h}\n`).join(''), 'latin1');
    try {
      const handle = await open(this.file, 'a');
      let created: boolean;
      try {
        created = (await handle.stat()).size === 0;
        await writeFully(handle, lines, null, this.file);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (created) await syncFolder(path.dirname(this.file));
    } catch (err) {
      throw asStorageError(err, this.file);
    }
    for (const hash of hashes) {
      if (deleted) this.deleted.add(hash);
      else this.deleted.delete(hash);
    }
    this.loaded = undefined;
  }

  /** Rewrite the file keeping only hashes `keep` accepts (call under the repack lock). */
  async compact(keep: (hash: string) => boolean): Promise<void> {
    this.loaded = undefined;
    await this.refresh();
    const lines = Buffer.from([...this.deleted].filter(keep).map((h) => `-${h}\n`).join(''), 'latin1');
    const temp = `${this.file}.tmp-${process.pid}`;
    try {
      const handle = await open(temp, 'w');
      try {
        await writeFully(handle, lines, 0, temp);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (err) {
      await rm(temp, { force: true });
      throw asStorageError(err, temp);
    }
    await syncFolder(path.dirname(this.file));
    this.loaded = undefined;
    await this.refresh();
  }
}
