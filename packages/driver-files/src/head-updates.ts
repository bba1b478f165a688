import { isGittyError, type HeadChange, type HeadUpdateResult } from '@gitty/core';
import type { SharedHeads } from './shared-heads.js';

/**
 * `Driver.updateHeads` on a head log: every change is submitted to the CAS in the same turn of
 * the event loop, so with group commit they are decided together under one lock acquisition
 * against the log's latest state, and appended in one write and one flush (each line judged
 * by the replay rule where it lands). A change whose `old` is not the head is refused with the
 * actual head; any other failure (STORAGE_FULL, LOCK_TIMEOUT) rejects.
 */
export async function updateHeadsTogether(heads: SharedHeads, changes: readonly HeadChange[]): Promise<HeadUpdateResult[]> {
  const settled = await Promise.allSettled(changes.map((change) => heads.compareAndSwap(change.name, change.old, change.new)));
  return settled.map((outcome, i) => {
    const change = changes[i]!;
    if (outcome.status === 'fulfilled') return { name: change.name, applied: true, head: change.new };
    if (isGittyError(outcome.reason, 'NOT_AT_HEAD')) return { name: change.name, applied: false, head: outcome.reason.head };
    throw outcome.reason;
  });
}
