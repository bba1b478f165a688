import { decodeCommit } from './commit-codec.js';
import type { Driver, ProgressListener } from './driver.js';
import { InvalidArgumentError, UnsupportedError } from './errors.js';

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
  const reachable = new Set<string>();
  const walked = new Set<string>();
  const walkHeads = async () => {
    for await (const { head } of driver.heads()) {
      if (walked.has(head)) continue;
      walked.add(head);
      let hash: string | undefined = head;
      while (hash && !reachable.has(hash)) {
        reachable.add(hash);
        const object = await driver.loadObject(hash);
        if (!object || object.type !== 'commit') break;
        const commit = decodeCommit(object.data, hash);
        reachable.add(commit.data);
        hash = commit.previous;
      }
    }
  };
  await walkHeads();
  const report: GcReport = { reachable: reachable.size, unreachable: 0, deleted: 0, kept: 0 };
  const candidates: string[] = [];
  for await (const hash of driver.objects()) if (!reachable.has(hash)) candidates.push(hash);
  const young = async (hash: string) => {
    if (graceMs === 0) return false;
    const time = await driver.objectTime!(hash);
    return time === undefined || Date.now() - time < graceMs;
  };
  for (const hash of candidates) {
    report.unreachable++;
    let keep = await young(hash);
    if (!keep && !options.dryRun) {
      await driver.rescan();
      await walkHeads();
      keep = reachable.has(hash) || (await young(hash));
    }
    if (keep) report.kept++;
    else if (!options.dryRun && (await driver.deleteObject(hash))) report.deleted++;
    options.onProgress?.({ phase: 'gc', done: report.unreachable, total: candidates.length });
  }
  if (!options.dryRun) await driver.prune?.();
  return report;
}
