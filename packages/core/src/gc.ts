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
 */
export async function collectGarbage(driver: Driver, options: GcOptions): Promise<GcReport> {
  const graceMs = options.graceMs ?? 60 * 60 * 1000;
  if (!(graceMs >= 0)) throw new InvalidArgumentError('gc grace must be a non-negative number of milliseconds');
  if (graceMs > 0 && (!driver.objectTime || !driver.capabilities.objectTimes)) {
    throw new UnsupportedError('gc with a grace period (object times)', driver.name);
  }
  const reachable = new Set<string>();
  for await (const { head } of driver.heads()) {
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
  const report: GcReport = { reachable: reachable.size, unreachable: 0, deleted: 0, kept: 0 };
  const now = Date.now();
  const candidates: string[] = [];
  for await (const hash of driver.objects()) if (!reachable.has(hash)) candidates.push(hash);
  for (const hash of candidates) {
    report.unreachable++;
    const time = graceMs > 0 ? await driver.objectTime!(hash) : 0;
    if (time === undefined || now - time < graceMs) {
      report.kept++;
      continue;
    }
    if (!options.dryRun && (await driver.deleteObject(hash))) report.deleted++;
    options.onProgress?.({ phase: 'gc', done: report.unreachable, total: candidates.length });
  }
  if (!options.dryRun) await driver.prune?.();
  return report;
}
