import { boundedLineDiff, type DiffLimits } from '@gitty/core';

/** A change against the base: base lines [start, end) replaced by `lines` (each with its newline). */
interface Change {
  start: number;
  end: number;
  lines: string[];
}

function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+/g) ?? [];
}

/** The changes that turn `base` into `other`, as replaced ranges of base lines; undefined beyond `limits`. */
async function changesOf(base: string, other: string, limits: DiffLimits | undefined): Promise<Change[] | undefined> {
  const parts = await boundedLineDiff(base, other, limits);
  if (!parts) return undefined;
  const changes: Change[] = [];
  let at = 0;
  let current: Change | undefined;
  for (const part of parts) {
    const lines = splitLines(part.value);
    if (!part.added && !part.removed) {
      current = undefined;
      at += lines.length;
      continue;
    }
    if (!current) {
      current = { start: at, end: at, lines: [] };
      changes.push(current);
    }
    if (part.removed) {
      current.end += lines.length;
      at += lines.length;
    } else {
      current.lines.push(...lines);
    }
  }
  return changes;
}

function same(a: Change, b: Change): boolean {
  return a.start === b.start && a.end === b.end && a.lines.join('') === b.lines.join('');
}

/**
 * A line-based three-way merge (diff3's clean case): when the changes from `base` to `theirs`
 * and from `base` to `yours` touch disjoint, non-adjacent line ranges (or are identical), the
 * text with both applied; otherwise undefined, because guessing the order of changes to the
 * same lines would lose someone's work silently. Also undefined when either line diff is beyond
 * `limits` (core's bounded diff, which yields to the event loop while it runs).
 */
export async function mergeThreeWay(base: string, theirs: string, yours: string, limits?: DiffLimits): Promise<string | undefined> {
  const [ours, theirChanges] = await Promise.all([changesOf(base, yours, limits), changesOf(base, theirs, limits)]);
  if (!ours || !theirChanges) return undefined;
  const other = theirChanges.filter((c) => !ours.some((o) => same(o, c)));
  for (const a of ours) {
    for (const b of other) {
      if (a.start <= b.end && b.start <= a.end) return undefined;
    }
  }
  const all = [...ours, ...other].sort((a, b) => a.start - b.start);
  const baseLines = splitLines(base);
  const out: string[] = [];
  let at = 0;
  for (const change of all) {
    out.push(...baseLines.slice(at, change.start), ...change.lines);
    at = change.end;
  }
  out.push(...baseLines.slice(at));
  return out.join('');
}
