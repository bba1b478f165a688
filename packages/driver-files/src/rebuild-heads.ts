import { decodeCommit, isGittyError, type Driver, type HeadEntry, type ProgressListener } from '@gitty/core';

/** What {@link rebuildHeads} needs: any driver's object enumeration and verified loads. */
export type CommitSource = Pick<Driver, 'objects' | 'loadObject'> & {
  /** Releases what the source opened (e.g. pack files); called once the rebuild has read what it needs. */
  close?(): Promise<void>;
};

/** Options of {@link rebuildHeads}. */
export interface RebuildOptions {
  /**
   * Commits to leave out: a writer that rebuilds inside its own CAS leaves out the commit it is
   * about to acknowledge, which is no head yet.
   */
  ignore?: ReadonlySet<string>;
}

/** What the rebuild keeps of one commit. */
interface Candidate {
  hash: string;
  time: number;
  previous: string | undefined;
}

/**
 * Rebuild heads by reading every object (SWISH's read_heads_from_objects). For each name the
 * head is the tip of its chain: a commit no other commit of that name names as `previous`.
 * `time` only breaks ties between several tips (orphans of crashed writers), then the greater
 * hash, so every process rebuilding the same store agrees whatever order the objects are
 * listed in. Time alone would roll a head back: `update` accepts an explicit (older) `time`.
 * Corrupt objects and commits that do not decode are skipped (fsck reports them), and so are
 * commits whose `data` blob is not listed: the core stores a version's blob and commit
 * concurrently (so a group commit covers both with one flush), so a crash can leave a commit
 * without its blob, which never became a head and must not become one now; its `previous`
 * is then a tip again.
 * Reports progress as phase `rebuild-heads` (`done` objects read, `total` once known).
 * The source must list every object once, loose and packed alike (the packs driver passes
 * one that does): a rebuild over part of the objects would pick wrong tips.
 * Used by the files driver when no (valid) head log exists, and by the packs and SQLite drivers.
 */
export async function rebuildHeads(source: CommitSource, onProgress?: ProgressListener, options: RebuildOptions = {}): Promise<HeadEntry[]> {
  const byName = new Map<string, Candidate[]>();
  const hashes = new Set<string>();
  for await (const hash of source.objects()) hashes.add(hash);
  const total = hashes.size;
  onProgress?.({ phase: 'rebuild-heads', done: 0, total });
  let done = 0;
  for (const hash of hashes) {
    done++;
    if (done % 500 === 0) onProgress?.({ phase: 'rebuild-heads', done, total });
    if (options.ignore?.has(hash)) continue;
    try {
      const object = await source.loadObject(hash);
      if (!object || object.type !== 'commit') continue;
      const commit = decodeCommit(object.data, hash);
      if (!hashes.has(commit.data)) continue;
      const candidates = byName.get(commit.name) ?? [];
      candidates.push({ hash, time: commit.time, previous: commit.previous });
      byName.set(commit.name, candidates);
    } catch (err) {
      if (isGittyError(err, 'CORRUPT_OBJECT')) continue;
      throw err;
    }
  }
  onProgress?.({ phase: 'rebuild-heads', done: total, total });
  const heads: HeadEntry[] = [];
  for (const [name, candidates] of byName) heads.push({ name, head: pickTip(candidates) });
  return heads.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The chain tip among one name's commits: not anyone's previous; then the newest; then the greatest hash. */
export function pickTip(candidates: readonly Candidate[]): string {
  const named = new Set(candidates.map((c) => c.previous));
  const tips = candidates.filter((c) => !named.has(c.hash));
  // No tip only for a crafted cycle (content hashes cannot form one): fall back to time.
  const pool = tips.length > 0 ? tips : candidates;
  let best = pool[0]!;
  for (const c of pool) if (c.time > best.time || (c.time === best.time && c.hash > best.hash)) best = c;
  return best.hash;
}
