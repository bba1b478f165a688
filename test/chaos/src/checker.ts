import type { Fail, HistoryEvent, Invoke, Ok } from './history.js';
import type { ChainLink, Observation } from './observe.js';

/**
 * Failures that prove the write did not happen: the CAS refused it, or it was refused before
 * anything was written. Every other error (timeouts, REDIS_UNAVAILABLE, ENOSPC, LOCK_TIMEOUT…)
 * leaves the outcome unknown, like a process killed before it answered.
 */
export const DEFINITE_FAILURES = new Set(['NOT_AT_HEAD', 'FILE_EXISTS', 'NOT_FOUND', 'INVALID_ARGUMENT', 'INVALID_NAME']);

/** One operation: its invocation and, when it came, its completion. */
export interface Operation {
  invoke: Invoke;
  done?: Ok | Fail;
  outcome: 'ok' | 'failed' | 'unknown';
}

export type ViolationKind = 'lost' | 'duplicated' | 'phantom' | 'not-linear' | 'diverged' | 'fsck' | 'fsck-dangling' | 'unreadable' | 'foreign';

/** One thing the checker found wrong. */
export interface Violation {
  kind: ViolationKind;
  message: string;
  /** The file concerned, when one is. */
  name?: string;
  /** The operations concerned (ids), for the history excerpt. */
  ops: string[];
}

/** What the checker concluded. */
export interface CheckResult {
  operations: number;
  /** Acknowledged writes (create, update, delete). */
  acknowledged: number;
  /** Writes whose outcome is unknown (killed, timed out, an error that does not prove failure). */
  unknown: number;
  lost: number;
  duplicated: number;
  /** Failed operations (any kind) by error code: how available the store stayed under faults. */
  errors: Record<string, number>;
  /** Failures without a gitty error code (`ERROR`, or an errno like `ENOENT`) by code and message: what still needs a typed error. */
  untyped: Record<string, number>;
  violations: Violation[];
  /**
   * fsck findings that lose nothing: broken links between commits no head reaches (gc removed
   * an old orphan's previous but kept the younger orphan). Listed, not counted as violations.
   */
  warnings: Violation[];
}

const WRITES = new Set(['create', 'update', 'delete']);

/** No gitty error code: a plain Error (`ERROR`) or an OS errno (`ENOENT`, `EIO`, …). */
export function isUntyped(code: string): boolean {
  return code === 'ERROR' || /^E[A-Z0-9]+$/.test(code);
}

/** Pair invocations with completions and classify each operation's outcome. */
export function operations(events: readonly HistoryEvent[]): Map<string, Operation> {
  const ops = new Map<string, Operation>();
  for (const event of events) {
    if (event.type === 'invoke') ops.set(event.id, { invoke: event, outcome: 'unknown' });
  }
  for (const event of events) {
    if (event.type === 'invoke') continue;
    const op = ops.get(event.id);
    if (!op) continue;
    op.done = event;
    if (event.type === 'ok') op.outcome = 'ok';
    else op.outcome = DEFINITE_FAILURES.has(event.code) ? 'failed' : 'unknown';
  }
  return ops;
}

/**
 * Check a run: every node's heads equal, fsck clean and every reachable object loadable on every
 * store; per file, the chain from the head through `previous` is linear; every acknowledged
 * create/update is on its file's chain exactly once, unless a delete (acknowledged or of unknown
 * outcome) removed a head descending from it; no two acknowledged writes replace the same head;
 * no write that definitely failed, nor any unknown commit, appears. Unknown outcomes may or may
 * not appear.
 */
export function check(events: readonly HistoryEvent[], observations: ReadonlyArray<{ label: string; observation: Observation }>): CheckResult {
  const ops = operations(events);
  const violations: Violation[] = [];
  const all = [...ops.values()];
  const writes = all.filter((op) => WRITES.has(op.invoke.op));
  const result: CheckResult = {
    operations: all.length,
    acknowledged: writes.filter((op) => op.outcome === 'ok').length,
    unknown: writes.filter((op) => op.outcome === 'unknown').length,
    lost: 0,
    duplicated: 0,
    errors: {},
    untyped: {},
    violations,
    warnings: [],
  };
  for (const op of all) {
    if (op.done?.type !== 'fail') continue;
    result.errors[op.done.code] = (result.errors[op.done.code] ?? 0) + 1;
    if (isUntyped(op.done.code)) {
      const key = `${op.done.code}: ${op.done.message ?? ''}`;
      result.untyped[key] = (result.untyped[key] ?? 0) + 1;
    }
  }
  if (observations.length === 0) return result;

  checkStores(observations, violations, result.warnings);
  const primary = { ...observations[0]!.observation, chains: fullestChains(observations) };
  checkChains(primary, ops, violations);

  // Ancestry known from the history (writes and reads) and from the final chains.
  const parent = new Map<string, string | null>();
  for (const op of all) {
    const done = op.done;
    if (done?.type !== 'ok' || !done.commit) continue;
    if (op.invoke.op === 'update') parent.set(done.commit, op.invoke.previous ?? null);
    else if (op.invoke.op === 'create') parent.set(done.commit, null);
    else if (op.invoke.op === 'get') parent.set(done.commit, done.previous ?? null);
  }
  for (const chain of Object.values(primary.chains)) for (const link of chain) parent.set(link.commit, link.previous ?? null);
  const onChain = new Map<string, Set<string>>();
  for (const [name, chain] of Object.entries(primary.chains)) onChain.set(name, new Set(chain.map((l) => l.commit)));
  // A head that does not load is still the head (reported as unreadable), not a lost write.
  for (const [name, head] of Object.entries(primary.heads)) onChain.set(name, (onChain.get(name) ?? new Set()).add(head));
  const deletes = writes.filter((op) => op.invoke.op === 'delete' && op.outcome !== 'failed');
  // Every commit a delete (acknowledged or unknown) may have removed: the deleted head and its
  // ancestors. Each ancestor walk stops at a commit already marked, so this is linear overall.
  const removed = new Set<string>();
  for (const d of deletes) {
    for (let at: string | null | undefined = d.invoke.previous; at && !removed.has(at); at = parent.get(at)) removed.add(at);
  }

  for (const op of writes) {
    if (op.outcome !== 'ok' || op.invoke.op === 'delete') continue;
    const name = op.invoke.name!;
    const commit = (op.done as Ok).commit!;
    if (onChain.get(name)?.has(commit) || removed.has(commit)) continue;
    result.lost++;
    violations.push({
      kind: 'lost', name, ops: [op.invoke.id],
      message: `${op.invoke.op} ${op.invoke.id} of "${name}" was acknowledged as ${commit} but is not on the file's chain, and no delete removed it`,
    });
  }

  // Two acknowledged writes replacing the same head: both cannot have happened.
  const byPrevious = new Map<string, Operation[]>();
  for (const op of writes) {
    if (op.outcome !== 'ok' || !op.invoke.previous) continue;
    const group = byPrevious.get(op.invoke.previous) ?? [];
    group.push(op);
    byPrevious.set(op.invoke.previous, group);
  }
  for (const [previous, group] of byPrevious) {
    if (group.length < 2) continue;
    result.duplicated += group.length - 1;
    violations.push({
      kind: 'duplicated', name: group[0]!.invoke.name, ops: group.map((op) => op.invoke.id),
      message: `${group.length} acknowledged writes replaced the same head ${previous}: ${group.map((op) => `${op.invoke.op} ${op.invoke.id}`).join(', ')}`,
    });
  }
  // Creates: each one after the first needs a delete (acknowledged or unknown) before it.
  const names = new Set(writes.map((op) => op.invoke.name!));
  for (const name of names) {
    const creates = writes.filter((op) => op.invoke.name === name && op.invoke.op === 'create' && op.outcome === 'ok');
    const removals = deletes.filter((op) => op.invoke.name === name).length;
    if (creates.length > 1 + removals) {
      result.duplicated += creates.length - 1 - removals;
      violations.push({
        kind: 'duplicated', name, ops: creates.map((op) => op.invoke.id),
        message: `"${name}" was created ${creates.length} times with only ${removals} deletes (acknowledged or unknown) between them`,
      });
    }
  }

  // A read that returned a version written by an operation known to have failed.
  for (const op of all) {
    const done = op.done;
    if (op.invoke.op !== 'get' || done?.type !== 'ok' || !done.writtenBy) continue;
    const writer = ops.get(done.writtenBy);
    if (writer?.outcome === 'failed') {
      violations.push({
        kind: 'phantom', name: op.invoke.name, ops: [op.invoke.id, writer.invoke.id],
        message: `get ${op.invoke.id} read ${done.commit}, written by ${writer.invoke.id}, which failed with ${(writer.done as Fail).code}`,
      });
    }
  }
  return result;
}

function checkStores(observations: ReadonlyArray<{ label: string; observation: Observation }>, violations: Violation[], warnings: Violation[]): void {
  const reference = observations[0]!;
  const referenceHeads = JSON.stringify(reference.observation.heads);
  for (const { label, observation } of observations) {
    if (JSON.stringify(observation.heads) !== referenceHeads) {
      const names = new Set([...Object.keys(observation.heads), ...Object.keys(reference.observation.heads)]);
      const differing = [...names].filter((n) => observation.heads[n] !== reference.observation.heads[n]);
      violations.push({
        kind: 'diverged', ops: [],
        message: `${label}'s heads differ from ${reference.label}'s: ${differing.map((n) => `${n}: ${observation.heads[n] ?? 'none'} vs ${reference.observation.heads[n] ?? 'none'}`).join('; ')}`,
      });
    }
    if (!observation.fsck.ok) {
      // A broken link from a commit no head reaches (an orphan of a failed write or a deleted
      // file, whose older previous gc removed) loses nothing: a warning, reported apart.
      const reachable = new Set(Object.values(observation.chains).flatMap((chain) => chain.map((l) => l.commit)));
      const dangling = (error: string) => {
        const parsed = JSON.parse(error) as { code?: string; hash?: string } | undefined;
        return parsed?.code === 'MISSING_OBJECT' && !!parsed.hash && !reachable.has(parsed.hash);
      };
      const parsedErrors = observation.fsck.errors.map((e) => ({ e, dangling: safe(() => dangling(e)) }));
      const serious = parsedErrors.filter((p) => !p.dangling).map((p) => p.e);
      const orphans = parsedErrors.filter((p) => p.dangling).map((p) => p.e);
      if (serious.length > 0) violations.push({ kind: 'fsck', ops: [], message: `fsck on ${label}: ${serious.join('; ')}` });
      if (orphans.length > 0) warnings.push({ kind: 'fsck-dangling', ops: [], message: `fsck on ${label}, unreachable commits only: ${orphans.join('; ')}` });
    }
    for (const problem of observation.unreadable) violations.push({ kind: 'unreadable', ops: [], message: `${label}: ${problem}` });
  }
}

/**
 * Per file of the first store, the longest chain any store with the same head walked: a store
 * that could not load the head (or a commit further back) walks less, and its gap is reported as
 * unreadable, not as acknowledged writes lost (the 30-minute redis-files run: three nodes could
 * not fetch onto a full disk what the fourth had).
 */
function fullestChains(observations: ReadonlyArray<{ label: string; observation: Observation }>): Record<string, ChainLink[]> {
  const primary = observations[0]!.observation;
  const chains: Record<string, ChainLink[]> = {};
  for (const [name, head] of Object.entries(primary.heads)) {
    let best = primary.chains[name] ?? [];
    for (const { observation } of observations) {
      const chain = observation.chains[name] ?? [];
      if (observation.heads[name] === head && chain.length > best.length) best = chain;
    }
    chains[name] = best;
  }
  return chains;
}

function safe(test: () => boolean): boolean {
  try {
    return test();
  } catch {
    return false;
  }
}

function checkChains(observation: Observation, ops: Map<string, Operation>, violations: Violation[]): void {
  for (const [name, chain] of Object.entries(observation.chains)) {
    chain.forEach((link: ChainLink, i) => {
      const next = chain[i + 1];
      if (link.name !== name || (next ? link.previous !== next.commit : link.previous !== undefined)) {
        violations.push({ kind: 'not-linear', name, ops: [], message: `the chain of "${name}" breaks at ${link.commit} (name ${link.name}, previous ${link.previous ?? 'none'})` });
      }
      const writer = link.op ? ops.get(link.op) : undefined;
      if (!writer || (writer.invoke.op !== 'create' && writer.invoke.op !== 'update') || writer.invoke.name !== name) {
        violations.push({ kind: 'foreign', name, ops: link.op ? [link.op] : [], message: `${link.commit} on "${name}" was written by no create/update of the history (op ${link.op ?? 'none'})` });
      } else if (writer.outcome === 'failed') {
        violations.push({
          kind: 'phantom', name, ops: [writer.invoke.id],
          message: `${link.commit} on "${name}" was written by ${writer.invoke.id}, which failed with ${(writer.done as Fail).code}`,
        });
      }
    });
  }
}
