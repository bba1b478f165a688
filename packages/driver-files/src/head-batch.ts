import { NotAtHeadError, type HeadChange } from '@gitty/core';
import type { BatchOutcome } from './group-commit.js';

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
