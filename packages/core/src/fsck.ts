import { decodeCommit, type Commit } from './commit-codec.js';
import type { Driver, FsckIssue, ProgressListener } from './driver.js';
import { isGittyError } from './errors.js';

/** The result of `Store.fsck`. `ok` is true when `errors` is empty. */
export interface FsckReport {
  ok: boolean;
  errors: FsckIssue[];
  /**
   * Not errors: unreachable commits (no head's history contains them) that lack their data or
   * previous — what a write that failed or was interrupted between its two objects leaves
   * (a version's blob and commit are stored at once); nothing can read them, gc removes them.
   */
  warnings: FsckIssue[];
  counts: { objects: number; commits: number; blobs: number; other: number; heads: number; corrupt: number };
}

/**
 * Check a store: every object re-hashed, the data and previous of every commit a head reaches
 * present (of an unreachable commit: a warning), every head pointing at a commit of its own
 * name, plus the driver's own checks (packs, index).
 */
export async function runFsck(driver: Driver, onProgress?: ProgressListener): Promise<FsckReport> {
  const errors: FsckIssue[] = [];
  const counts = { objects: 0, commits: 0, blobs: 0, other: 0, heads: 0, corrupt: 0 };
  const commits = new Map<string, Commit>();
  const present = new Set<string>();

  for await (const hash of driver.objects()) {
    counts.objects++;
    if (counts.objects % 1000 === 0) onProgress?.({ phase: 'objects', done: counts.objects });
    try {
      const object = await driver.loadObject(hash);
      if (!object) continue; // removed meanwhile (gc, repack in another process)
      present.add(hash);
      if (object.type === 'commit') {
        counts.commits++;
        try {
          commits.set(hash, decodeCommit(object.data, hash));
        } catch (err) {
          errors.push({ code: 'BAD_COMMIT', hash, message: err instanceof Error ? err.message : String(err) });
        }
      } else if (object.type === 'blob') counts.blobs++;
      else counts.other++;
    } catch (err) {
      counts.corrupt++;
      present.add(hash);
      errors.push({
        code: isGittyError(err) ? err.code : 'READ_ERROR',
        hash,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  onProgress?.({ phase: 'objects', done: counts.objects, total: counts.objects });

  const heads: { name: string; head: string }[] = [];
  for await (const { name, head } of driver.heads()) heads.push({ name, head });
  const reachable = reachableCommits(heads.map((h) => h.head), commits);
  const warnings: FsckIssue[] = [];
  const exists = async (hash: string) => present.has(hash) || (await driver.hasObject(hash));
  for (const commit of commits.values()) {
    const missing = reachable.has(commit.commit) ? errors : warnings;
    if (!(await exists(commit.data))) {
      missing.push({ code: 'MISSING_OBJECT', hash: commit.commit, name: commit.name, message: `commit ${commit.commit} of "${commit.name}" lacks its data ${commit.data}` });
    }
    if (commit.previous !== undefined && !(await exists(commit.previous))) {
      missing.push({ code: 'MISSING_OBJECT', hash: commit.commit, name: commit.name, message: `commit ${commit.commit} of "${commit.name}" lacks its previous ${commit.previous}` });
    } else if (commit.previous !== undefined) {
      const prev = commits.get(commit.previous);
      if (prev && prev.name !== commit.name) {
        errors.push({ code: 'BAD_COMMIT', hash: commit.commit, name: commit.name, message: `previous ${commit.previous} belongs to "${prev.name}"` });
      }
    }
  }

  for (const { name, head } of heads) {
    counts.heads++;
    const commit = commits.get(head);
    if (!commit) {
      const message = (await exists(head)) ? `head of "${name}" (${head}) is not a readable commit` : `head of "${name}" (${head}) is missing`;
      errors.push({ code: 'BAD_HEAD', hash: head, name, message });
    } else if (commit.name !== name) {
      errors.push({ code: 'BAD_HEAD', hash: head, name, message: `head of "${name}" is a commit of "${commit.name}"` });
    }
  }

  if (driver.fsck) errors.push(...(await driver.fsck({ onProgress })));
  return { ok: errors.length === 0, errors, warnings, counts };
}

/** The commits the heads' histories contain (as far as the commits read reach). */
function reachableCommits(heads: readonly string[], commits: ReadonlyMap<string, Commit>): Set<string> {
  const reached = new Set<string>();
  for (const head of heads) {
    let at: string | undefined = head;
    while (at !== undefined && !reached.has(at)) {
      reached.add(at);
      at = commits.get(at)?.previous;
    }
  }
  return reached;
}
