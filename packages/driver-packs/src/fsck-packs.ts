import { isGittyError, type FsckIssue, type ProgressListener } from '@gitty/core';
import type { PackFile } from './pack-reader.js';
import type { PackStore } from './pack-store.js';

/**
 * Check every pack: packs that cannot be attached (bad idx, bad header), the trailer checksum,
 * each entry's CRC32 against the idx, and each object's hash after resolving its deltas.
 * Issues carry code CORRUPT_OBJECT and name the pack.
 */
export async function fsckPacks(store: PackStore, onProgress?: ProgressListener): Promise<FsckIssue[]> {
  await store.packs.scan();
  const issues: FsckIssue[] = store.packs.broken.map((b) => ({ code: 'CORRUPT_OBJECT', name: b.path, message: `${b.path}: ${b.error.message}` }));
  let done = 0;
  for (const pack of store.packs.all) {
    try {
      issues.push(...(await checkPack(pack)));
    } catch (err) {
      // Closed under the check: another process merged this pack away, a rescan here retired it
      // and its grace ran out. Its objects are in the pack that replaced it; nothing to report.
      if ((err as NodeJS.ErrnoException).code !== 'EBADF' || store.packs.all.includes(pack)) throw err;
    }
    done++;
    onProgress?.({ phase: 'packs', done, total: store.packs.all.length });
  }
  return issues;
}

/** All issues of one pack. */
export async function checkPack(pack: PackFile): Promise<FsckIssue[]> {
  const issues: FsckIssue[] = [];
  const issue = (message: string, hash?: string) => issues.push({ code: 'CORRUPT_OBJECT', name: pack.path, hash, message: `${pack.path}: ${message}` });
  if (!(await pack.checksumMatches())) issue('pack checksum does not match its trailer');
  const { index } = pack;
  // Entries in pack order, so each entry's end is the next one's start.
  const order = Array.from({ length: index.count }, (_, i) => i).map((i) => ({ i, offset: index.offsetAt(i) }));
  order.sort((a, b) => a.offset - b.offset);
  for (let k = 0; k < order.length; k++) {
    const { i, offset } = order[k]!;
    const end = k + 1 < order.length ? order[k + 1]!.offset : pack.size - 20;
    const hash = index.hashAt(i);
    try {
      if (end <= offset || end > pack.size - 20) {
        issue(`entry of ${hash} at offset ${offset} has no extent`, hash);
        continue;
      }
      if ((await pack.crcOf(offset, end)) !== index.crcAt(i)) issue(`CRC mismatch for ${hash} at offset ${offset}`, hash);
      await pack.readAt(offset, hash);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EBADF') throw err; // the pack was closed: see fsckPacks
      issue(isGittyError(err) ? err.message : `cannot read ${hash}: ${String(err)}`, hash);
    }
  }
  return issues;
}
