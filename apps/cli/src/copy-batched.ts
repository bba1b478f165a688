import { openObjectBatch, updateHeads, type HeadChange, type Store } from '@gitty/core';
import type { CopyOptions, CopyReport } from './copy-store.js';

/** Files whose objects go into one object batch before their heads move together. */
const FILES_PER_BATCH = 500;

/** What one file needs: the commits the target lacks (oldest first), or why it is skipped. */
export type FilePlan =
  | { kind: 'upToDate' }
  | { kind: 'diverged'; target: string }
  | { kind: 'copy'; targetHead: string | null; missing: { commit: string; data: string }[] };

/**
 * Walk the source history of `name` back from `head` to the first commit the target has. The
 * target's head must be on that walk (a fast-forward), else the file diverged.
 * `trustPresent` (per-object copies, written oldest first and each made durable before the
 * next): a commit the target has implies all its ancestors and their data, so the walk's list
 * stops there. Without it (batches: a crash before a batch's flush may leave any subset of its
 * objects) every commit down to the target's head is listed, and the caller skips the objects
 * the target has one by one.
 */
export async function planFile(from: Store, to: Store, name: string, head: string, trustPresent = true): Promise<FilePlan> {
  const targetHead = (await to.driver.getHead(name)) ?? null;
  if (targetHead === head) return { kind: 'upToDate' };
  const missing: { commit: string; data: string }[] = [];
  let reachesTarget = targetHead === null;
  let found = false;
  for await (const commit of from.walk(head)) {
    if (trustPresent && !found && (await to.driver.hasObject(commit.commit))) found = true;
    if (commit.commit === targetHead) {
      reachesTarget = true;
      break;
    }
    if (!found) missing.push({ commit: commit.commit, data: commit.data });
    else if (targetHead === null) break;
    // Past the first commit the target has, keep walking only to learn whether the target's
    // head is an ancestor (a fast-forward) or another history (diverged).
  }
  if (!reachesTarget) return { kind: 'diverged', target: targetHead ?? '' };
  return { kind: 'copy', targetHead, missing: missing.reverse() };
}

/** True when the target driver writes object batches itself (one pack, one flush pass). */
export function copiesInBatches(to: Store): boolean {
  return to.driver.capabilities.objectBatches === true && typeof to.driver.openObjectBatch === 'function';
}

/**
 * `copyStore` for a target with object batches (the files and packs drivers): the missing
 * objects of up to 500 files go into one batch — verified by loading them from the source, then
 * stored under the same hashes, so every hash is kept — and once the batch is committed their
 * heads move in one batched CAS (a head moved in the target meanwhile makes that file
 * diverged). A signal stops at the next file: the batch of the files done so far is committed
 * and their heads moved, so a rerun continues from there.
 */
export async function copyStoreBatched(from: Store, to: Store, heads: readonly { name: string; head: string }[], report: CopyReport, options: CopyOptions): Promise<CopyReport> {
  let done = 0;
  for (let start = 0; start < heads.length && !options.signal?.aborted; start += FILES_PER_BATCH) {
    const batch = await openObjectBatch(to.driver);
    const changes: HeadChange[] = [];
    try {
      for (const { name, head } of heads.slice(start, start + FILES_PER_BATCH)) {
        if (options.signal?.aborted) break;
        const plan = await planFile(from, to, name, head, false);
        if (plan.kind === 'upToDate') report.upToDate++;
        else if (plan.kind === 'diverged') report.diverged.push({ name, source: head, target: plan.target });
        else {
          for (const { commit, data } of plan.missing) {
            if (!(await to.driver.hasObject(data))) await copyObject(from, batch, data, report);
            if (!(await to.driver.hasObject(commit))) await copyObject(from, batch, commit, report);
          }
          changes.push({ name, old: plan.targetHead, new: head });
        }
        done++;
        options.onProgress?.({ phase: 'files', done, total: heads.length });
        // Drivers read and write synchronously: let signal handlers (Ctrl-C) and timers run.
        await new Promise((resolve) => setImmediate(resolve));
      }
      await batch.commit();
    } catch (err) {
      await batch.abort();
      throw err;
    }
    for (const result of await updateHeads(to.driver, changes)) {
      if (result.applied) report.updated++;
      else report.diverged.push({ name: result.name, source: changes.find((c) => c.name === result.name)!.new!, target: result.head ?? '' });
    }
  }
  report.interrupted = options.signal?.aborted === true && done < heads.length;
  return report;
}

async function copyObject(from: Store, batch: { add(hash: string, type: string, data: Uint8Array): Promise<void> }, hash: string, report: CopyReport): Promise<void> {
  // load verifies the bytes against the hash: the batch stores them under the same hash.
  const object = await from.load(hash);
  await batch.add(hash, object.type, object.data);
  report.objects++;
}
