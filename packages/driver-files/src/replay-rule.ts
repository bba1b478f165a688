import type { HeadChange } from '@gitty/core';

/** What {@link replayHeadChanges} made of a run of log lines. */
export interface HeadReplay {
  /** The changes that apply, in log order. */
  applied: HeadChange[];
  /** How many changes were void (their `old` was not the head at their place in the log). */
  voided: number;
  /** The head each touched name has after the run (null: none), for names some applied change moved. */
  heads: Map<string, string | null>;
}

/**
 * The head log's **replay rule**, for every reader of a gitty head log (the files driver's
 * heads, the SQLite index): a change applies only when its `old` is the head its name has at
 * that point of the log; any other change is void (a writer that lost the lock to a stall
 * wrote it after the winner's line). `headBefore` gives each name's head before the run (for
 * a read from the log's start: none). SWISH's Prolog log does not follow it (last line wins).
 */
export function replayHeadChanges(changes: Iterable<HeadChange>, headBefore: (name: string) => string | null): HeadReplay {
  const heads = new Map<string, string | null>();
  const applied: HeadChange[] = [];
  let voided = 0;
  for (const change of changes) {
    const current = heads.has(change.name) ? (heads.get(change.name) ?? null) : headBefore(change.name);
    if (current !== change.old) {
      voided++;
      continue;
    }
    heads.set(change.name, change.new);
    applied.push(change);
  }
  return { applied, voided, heads };
}
