import { CorruptObjectError, NotFoundError, isGittyError, type ProgressListener, type Store } from '@gitty/core';
import { copiesInBatches, copyStoreBatched, planFile } from './copy-batched.js';

/** Options of {@link copyStore}. */
export interface CopyOptions {
  /** Stop at the next safe point (between objects; a head is set only after all its objects). */
  signal?: AbortSignal;
  onProgress?: ProgressListener;
  /** Files copied at once (default 4). */
  concurrency?: number;
}

/** What a copy did. */
export interface CopyReport {
  /** Files in the source. */
  files: number;
  /** Heads created or moved forward in the target. */
  updated: number;
  /** Files whose target head already equalled the source head. */
  upToDate: number;
  /** Objects written to the target. */
  objects: number;
  /** True when compressed bytes were copied as they are (both drivers have `rawObjects`). */
  raw: boolean;
  /** Files whose target history is not an ancestor of the source's: left untouched. */
  diverged: { name: string; source: string; target: string }[];
  /** True when the signal stopped the copy early; a rerun continues. */
  interrupted: boolean;
}

/**
 * Copy every file with its whole history from one store to another, hashes preserved (like
 * SWISH's gitty_copy_store). Per file: the missing commits are found by walking back from the
 * source head until a commit the target has; they are written oldest first, blob before
 * commit, then the target head is moved by compare-and-swap. Hence "the target has commit C"
 * implies it has C's data and all its ancestors, a rerun copies only what is new, and an
 * interruption at any point leaves both stores valid. A target with object batches (files,
 * packs) gets the objects of many files in one batch and their heads in one batched CAS (see
 * {@link copyStoreBatched}); objects are copied with their hashes either way, which is why
 * copy does not go through `Store.import` (it re-encodes commits).
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<CopyReport> {
  const raw = from.driver.capabilities.rawObjects === true && to.driver.capabilities.rawObjects === true
    && from.driver.loadRaw !== undefined && to.driver.storeRaw !== undefined;
  const report: CopyReport = { files: 0, updated: 0, upToDate: 0, objects: 0, raw, diverged: [], interrupted: false };
  const heads: { name: string; head: string }[] = [];
  for await (const entry of from.driver.heads()) heads.push(entry);
  report.files = heads.length;
  if (copiesInBatches(to)) return copyStoreBatched(from, to, heads, { ...report, raw: false }, options);

  const copyObject = async (hash: string): Promise<void> => {
    if (raw) {
      const bytes = await from.driver.loadRaw!(hash);
      if (!bytes) throw new NotFoundError('object', hash);
      await to.driver.storeRaw!(hash, bytes);
    } else {
      const object = await from.load(hash);
      const stored = await to.save(object.data, object.type);
      if (stored !== hash) throw new CorruptObjectError(hash, 'copy', `re-hashed to ${stored}`);
    }
    report.objects++;
  };

  const copyFile = async (name: string, head: string): Promise<void> => {
    const plan = await planFile(from, to, name, head);
    if (plan.kind === 'upToDate') {
      report.upToDate++;
      return;
    }
    if (plan.kind === 'diverged') {
      report.diverged.push({ name, source: head, target: plan.target });
      return;
    }
    const { targetHead, missing } = plan;
    for (const commit of missing) {
      if (options.signal?.aborted) return;
      if (!(await to.driver.hasObject(commit.data))) await copyObject(commit.data);
      await copyObject(commit.commit);
    }
    if (options.signal?.aborted) return;
    try {
      await to.driver.updateHead(name, targetHead, head);
      report.updated++;
    } catch (err) {
      if (!isGittyError(err, 'NOT_AT_HEAD')) throw err; // by code: the target's driver may use another copy of core
      report.diverged.push({ name, source: head, target: err.head ?? '' });
    }
  };

  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < heads.length && !options.signal?.aborted) {
      const entry = heads[next++]!;
      await copyFile(entry.name, entry.head);
      done++;
      options.onProgress?.({ phase: 'files', done, total: heads.length });
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  report.interrupted = options.signal?.aborted === true && done < heads.length;
  return report;
}
