import { NotAtHeadError, type HeadChange } from '@gitty/core';
import type { BatchOutcome } from './group-commit.js';
import type { HeadLogPosition, HeadLogScan } from './head-log.js';

/** One compare-and-swap waiting for a batch: `name` from `expected` to `next` (null: none). */
export interface CasRequest {
  name: string;
  expected: string | null;
  next: string | null;
}

/** What {@link decideCasBatch} made of a batch: an outcome per request, and the lines to append. */
export interface CasDecision {
  /** Per request: undefined while its change is still to be appended, else its outcome. */
  outcomes: (BatchOutcome<void> | undefined)[];
  /** The changes to append, in request order. */
  changes: HeadChange[];
  /** For each change, the request it belongs to. */
  requestOf: number[];
}

/**
 * Decide a batch of CAS requests against the heads read under the lock, in submission order:
 * a request sees the changes of the requests before it (as the log will), a request whose
 * `expected` is not the head fails with NOT_AT_HEAD naming the head, and one that changes
 * nothing succeeds without a line.
 */
export function decideCasBatch(requests: readonly CasRequest[], headOf: (name: string) => string | null): CasDecision {
  const pending = new Map<string, string | null>();
  const current = (name: string) => (pending.has(name) ? pending.get(name)! : headOf(name));
  const decision: CasDecision = { outcomes: [], changes: [], requestOf: [] };
  requests.forEach((request, i) => {
    const head = current(request.name);
    if (head !== request.expected) {
      decision.outcomes.push({ ok: false, error: new NotAtHeadError(request.name, head, request.expected) });
    } else if (head === request.next) {
      decision.outcomes.push({ ok: true, value: undefined });
    } else {
      decision.outcomes.push(undefined);
      decision.changes.push({ name: request.name, old: head, new: request.next });
      decision.requestOf.push(i);
      pending.set(request.name, request.next);
    }
  });
  return decision;
}

/** The part of a head log {@link landedChanges} reads. */
export interface ScannableLog {
  scan(from: HeadLogPosition | undefined, visit: (change: HeadChange) => void): Promise<HeadLogScan | undefined>;
}

/**
 * Which of `changes` (appended together after `at`) count, when other writers' lines landed
 * around them (the lock was lost to a stall): the log is replayed from `at` for their names,
 * starting from `headAt` (the heads at `at`), and each of ours applies only when its `old` is
 * the head where it landed (the replay rule). Ours are recognised by their content, in order.
 * A change of ours that is not in the log at all (the log was replaced) is `missing`.
 */
export async function landedChanges(
  log: ScannableLog,
  at: HeadLogPosition,
  changes: readonly HeadChange[],
  headAt: (name: string) => string | null,
): Promise<{ applied: boolean[]; heads: Map<string, string | null>; missing: boolean }> {
  const names = new Set(changes.map((c) => c.name));
  const heads = new Map<string, string | null>();
  const headOf = (name: string) => (heads.has(name) ? heads.get(name)! : headAt(name));
  const applied: boolean[] = [];
  let next = 0;
  const read = await log.scan(at, (event) => {
    if (!names.has(event.name)) return;
    const head = headOf(event.name);
    const ours = changes[next];
    if (ours && event.name === ours.name && event.old === ours.old && event.new === ours.new) {
      applied.push(head === event.old);
      next++;
    }
    if (head === event.old) heads.set(event.name, event.new);
  });
  // Read from the start instead of on from `at`: the log was replaced, none of ours counts.
  const missing = !read || read.reset || read.epoch !== at.epoch || next < changes.length;
  return { applied: missing ? changes.map(() => false) : applied, heads, missing };
}
