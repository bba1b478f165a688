import { isGittyError, type HeadChange, type HeadUpdateResult } from '@gitty/core';
import type { SharedHeads } from './shared-heads.js';

/**
 * `Driver.updateHeads` on a head log: the changes are decided together under one lock
 * acquisition against the log's latest state and appended in one write and one flush
 * ({@link SharedHeads.compareAndSwapAll}; each line is judged by the replay rule where it
 * lands). A change whose `old` is not the head is refused with the actual head; any other
 * failure (STORAGE_FULL, LOCK_TIMEOUT) rejects.
 */
export async function updateHeadsTogether(heads: SharedHeads, changes: readonly HeadChange[]): Promise<HeadUpdateResult[]> {
  const outcomes = await heads.compareAndSwapAll(changes.map((c) => ({ name: c.name, expected: c.old, next: c.new })));
  return outcomes.map((outcome, i) => {
    const change = changes[i]!;
    if (outcome.ok) return { name: change.name, applied: true, head: change.new };
    if (isGittyError(outcome.error, 'NOT_AT_HEAD')) return { name: change.name, applied: false, head: outcome.error.head };
    throw outcome.error;
  });
}
