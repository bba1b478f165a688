import { decodeCommit, isGittyError, type Commit, type Driver, type HeadEntry, type ProgressListener } from '@gitty/core';

/** What {@link rebuildHeads} needs: any driver's object enumeration and verified loads. */
export type CommitSource = Pick<Driver, 'objects' | 'loadObject'>;

/**
 * Rebuild heads by reading every object (SWISH's read_heads_from_objects): for each name the
 * commit with the newest `time`; on equal times, one that no other commit of that name names
 * as `previous`, then the greater hash, so every process rebuilding the same store agrees.
 * Corrupt objects and commits that do not decode are skipped (fsck reports them).
 * Reports progress as phase `rebuild-heads` (`done` objects read, `total` once known).
 * Used by the files driver when no head log exists, and by the packs and SQLite drivers.
 */
export async function rebuildHeads(source: CommitSource, onProgress?: ProgressListener): Promise<HeadEntry[]> {
  const best = new Map<string, Commit[]>();
  const hashes: string[] = [];
  for await (const hash of source.objects()) hashes.push(hash);
  const total = hashes.length;
  onProgress?.({ phase: 'rebuild-heads', done: 0, total });
  let done = 0;
  for (const hash of hashes) {
    done++;
    if (done % 500 === 0) onProgress?.({ phase: 'rebuild-heads', done, total });
    let commit: Commit;
    try {
      const object = await source.loadObject(hash);
      if (!object || object.type !== 'commit') continue;
      commit = decodeCommit(object.data, hash);
    } catch (err) {
      if (isGittyError(err, 'CORRUPT_OBJECT')) continue;
      throw err;
    }
    const candidates = best.get(commit.name);
    if (!candidates || commit.time > candidates[0]!.time) best.set(commit.name, [commit]);
    else if (commit.time === candidates[0]!.time) candidates.push(commit);
  }
  onProgress?.({ phase: 'rebuild-heads', done: total, total });
  const heads: HeadEntry[] = [];
  for (const [name, candidates] of best) heads.push({ name, head: pickNewest(candidates) });
  return heads.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

// Among commits with the same (newest) time: not anyone's previous, then the greatest hash.
function pickNewest(candidates: Commit[]): string {
  const previous = new Set(candidates.map((c) => c.previous));
  const tips = candidates.filter((c) => !previous.has(c.commit));
  const pool = tips.length > 0 ? tips : candidates;
  return pool.map((c) => c.commit).sort().at(-1)!;
}
