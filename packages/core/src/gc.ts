import { decodeCommit } from './commit-codec.js';
import type { Driver, ProgressListener } from './driver.js';
import { InvalidArgumentError, isGittyError, UnsupportedError } from './errors.js';

/** Options of `Store.gc`. */
export interface GcOptions {
  /** Keep unreachable objects younger than this many milliseconds (default 1 hour). */
  graceMs?: number;
  /** Report what would be deleted without deleting. */
  dryRun?: boolean;
  onProgress?: ProgressListener;
}

/** What gc found and did. */
export interface GcReport {
  reachable: number;
  unreachable: number;
  deleted: number;
  kept: number;
}

/**
 * Delete objects that no head reaches. A crash between writing objects and moving a head
 * leaves orphans; the grace period keeps objects a writer may be about to reference.
 *
 * As in git, an unreachable object kept for its age keeps everything it reaches too: a young
 * orphan commit (an update that lost its head move, the last version of a deleted file) whose
 * older `previous` or data were deleted would leave a commit fsck reports as MISSING_OBJECT.
 *
 * Writers keep working while gc runs, so reachability decided once is not enough: right
 * before each delete gc reads the heads again (after a rescan) and walks any head it has not
 * seen, then reads the object's time again. A writer that stores content that already exists
 * refreshes its time (the files driver does, as git does), so an object re-used after the
 * walk is young again and kept. What remains is the instant between that last time check and
 * the delete itself.
 */
export async function collectGarbage(driver: Driver, options: GcOptions): Promise<GcReport> {
  const graceMs = options.graceMs ?? 60 * 60 * 1000;
  if (!(graceMs >= 0)) throw new InvalidArgumentError('gc grace must be a non-negative number of milliseconds');
  if (graceMs > 0 && (!driver.objectTime || !driver.capabilities.objectTimes)) {
    throw new UnsupportedError('gc with a grace period (object times)', driver.name);
  }
  // Everything kept: reached from a head, or from an unreachable object kept for its age.
  const keep = new Set<string>();
  const walkChain = async (start: string) => {
    let hash: string | undefined = start;
    while (hash && !keep.has(hash)) {
      keep.add(hash);
      const object = await driver.loadObject(hash);
      if (!object || object.type !== 'commit') break;
      const commit = decodeCommit(object.data, hash);
      keep.add(commit.data);
      hash = commit.previous;
    }
  };
  // A damaged head history stops gc (CORRUPT_OBJECT); a damaged young orphan is merely kept
  // (fsck reports it) and must not block collecting everything else.
  const walkFrom = async (start: string, fromHead = false) => {
    try {
      await walkChain(start);
    } catch (err) {
      if (fromHead || !isGittyError(err)) throw err;
    }
  };
  const walked = new Set<string>();
  const walkHeads = async () => {
    for await (const { head } of driver.heads()) {
      if (walked.has(head)) continue;
      walked.add(head);
      await walkFrom(head, true);
    }
  };
  await walkHeads();
  const report: GcReport = { reachable: keep.size, unreachable: 0, deleted: 0, kept: 0 };
  const candidates: string[] = [];
  for await (const hash of driver.objects()) if (!keep.has(hash)) candidates.push(hash);
  const young = async (hash: string) => {
    if (graceMs === 0) return false;
    const time = await driver.objectTime!(hash);
    return time === undefined || Date.now() - time < graceMs;
  };
  // Decide every young root before deleting anything, so no delete can precede the walk that
  // would have kept its object.
  for (const hash of candidates) if (!keep.has(hash) && (await young(hash))) await walkFrom(hash);
  for (const hash of candidates) {
    report.unreachable++;
    let kept = keep.has(hash);
    if (!kept && !options.dryRun) {
      await driver.rescan();
      await walkHeads();
      kept = keep.has(hash);
      // Re-used since the first look (a writer stored it again): young again, and so is
      // what it reaches — unless deleted earlier in this loop, the window that remains.
      if (!kept && (await young(hash))) {
        await walkFrom(hash);
        kept = true;
      }
    }
    if (kept) report.kept++;
    else if (!options.dryRun && (await driver.deleteObject(hash))) report.deleted++;
    options.onProgress?.({ phase: 'gc', done: report.unreachable, total: candidates.length });
  }
  if (!options.dryRun) await driver.prune?.();
  return report;
}
