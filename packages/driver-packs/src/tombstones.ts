import { appendFile, open, readFile, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { isHash } from '@gitty/core';

/**
 * Deletions of packed objects. A pack cannot drop one entry, so `deleteObject` of a packed
 * object appends `-<hash>` to `objects/pack/deleted`; reads ignore packed copies of such hashes,
 * storing the object again appends `+<hash>`, and the next repack leaves deleted objects out of
 * the packs it merges and compacts the file. Lines are 42 bytes, appended with O_APPEND, so
 * appends from several processes never interleave.
 */
export class Tombstones {
  private deleted = new Set<string>();
  private readSize = -1;
  readonly file: string;

  constructor(folder: string) {
    this.file = path.join(folder, 'deleted');
  }

  /** Re-read the file when it changed size since the last load. */
  async refresh(): Promise<void> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      size = 0;
    }
    if (size === this.readSize) return;
    const text = size === 0 ? '' : await readFile(this.file, 'latin1').catch(() => '');
    const deleted = new Set<string>();
    for (const line of text.split('\n')) {
      const hash = line.slice(1);
      if (!isHash(hash)) continue;
      if (line[0] === '-') deleted.add(hash);
      else if (line[0] === '+') deleted.delete(hash);
    }
    this.deleted = deleted;
    this.readSize = size;
  }

  /** True when packed copies of `hash` are deleted. */
  has(hash: string): boolean {
    return this.deleted.has(hash);
  }

  /** Number of deleted hashes. */
  get size(): number {
    return this.deleted.size;
  }

  /** Mark packed copies of `hash` deleted (`true`) or live again (`false`). */
  async mark(hash: string, deleted: boolean): Promise<void> {
    await appendFile(this.file, `${deleted ? '-' : '+'}${hash}\n`, 'latin1');
    if (deleted) this.deleted.add(hash);
    else this.deleted.delete(hash);
    this.readSize = -1;
  }

  /** Rewrite the file keeping only hashes `keep` accepts (call under the repack lock). */
  async compact(keep: (hash: string) => boolean): Promise<void> {
    await this.refresh();
    const lines = [...this.deleted].filter(keep).map((h) => `-${h}\n`).join('');
    const temp = `${this.file}.tmp-${process.pid}`;
    const handle = await open(temp, 'w');
    await handle.writeFile(lines, 'latin1');
    await handle.sync();
    await handle.close();
    await rename(temp, this.file);
    this.readSize = -1;
    await this.refresh();
  }
}
