import { createTwoFilesPatch, diffLines, type ChangeObject } from 'diff';
import type { Commit } from './commit-codec.js';

/** The difference between two versions: unified diff of the data, tags added and deleted. */
export interface CommitDiff {
  from: Commit | null;
  to: Commit;
  /** True when `to` is a file's first version and no `from` was given. */
  initial?: true;
  /** Unified diff of the data (empty string when equal; a note when either side is binary or too different). */
  data: string;
  tags: { added: string[]; deleted: string[] };
  /** True when either side is not UTF-8 text; `data` then only says whether they differ. */
  binary?: true;
  /**
   * True when the texts were too different to diff within the {@link DiffLimits}; `data` then
   * only says "files differ, N → M lines".
   */
  tooLarge?: true;
}

/**
 * Bounds on the cost of a line diff. Myers' algorithm costs O((N+M)·D) for D changed lines:
 * two fully different 26k-line texts took minutes of CPU without bounds.
 */
export interface DiffLimits {
  /** Most lines added plus removed worth diffing (default 20,000). */
  maxEditLength?: number;
  /** Milliseconds of diffing after which the diff gives up (default 3,000). */
  timeoutMs?: number;
}

/** The limits used when none are given. */
export const DEFAULT_DIFF_LIMITS: Readonly<Required<DiffLimits>> = { maxEditLength: 20_000, timeoutMs: 3_000 };

/**
 * The synchronous first attempt may block the caller's event loop for at most this long; most
 * real diffs finish in it. Longer ones continue in jsdiff's asynchronous mode, which yields to
 * the event loop between steps, so a server stays responsive while they run.
 */
const SYNC_BUDGET_MS = 50;

function limitsOf(limits: DiffLimits | undefined): Required<DiffLimits> {
  return { ...DEFAULT_DIFF_LIMITS, ...limits };
}

/**
 * Run a jsdiff function with a bound on its cost: first synchronously for at most
 * {@link SYNC_BUDGET_MS}, then asynchronously (yielding to the event loop) within `limits`.
 * Resolves undefined when the limits are exceeded.
 */
async function bounded<T>(
  run: (options: { maxEditLength: number; timeout: number; callback?: (result: T | undefined) => void }) => T | undefined,
  limits: DiffLimits | undefined,
): Promise<T | undefined> {
  const { maxEditLength, timeoutMs } = limitsOf(limits);
  const quick = run({ maxEditLength, timeout: Math.min(SYNC_BUDGET_MS, timeoutMs) });
  if (quick !== undefined || timeoutMs <= SYNC_BUDGET_MS) return quick;
  return new Promise((resolve) => {
    run({ maxEditLength, timeout: timeoutMs - SYNC_BUDGET_MS, callback: resolve });
  });
}

/** The line changes from `a` to `b` (jsdiff's `diffLines`), or undefined when beyond `limits`. */
export function boundedLineDiff(a: string, b: string, limits?: DiffLimits): Promise<Array<ChangeObject<string>> | undefined> {
  return bounded<Array<ChangeObject<string>>>((options) => diffLines(a, b, options), limits);
}

/** A unified diff (3 lines of context), or undefined when beyond `limits`. */
export function boundedPatch(fromLabel: string, toLabel: string, a: string, b: string, limits?: DiffLimits): Promise<string | undefined> {
  return bounded<string>(
    (options) => createTwoFilesPatch(fromLabel, toLabel, a, b, undefined, undefined, { context: 3, ...options }),
    limits,
  );
}

function lineCount(text: string): number {
  if (text.length === 0) return 0;
  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0; at = text.indexOf('\n', at + 1)) lines++;
  return text.endsWith('\n') ? lines : lines + 1;
}

/** The note given instead of a line diff when the texts are too different to diff within the limits. */
export function tooLargeNote(fromLabel: string, toLabel: string, a: string, b: string): string {
  return `Files ${fromLabel} and ${toLabel} differ, ${lineCount(a)} → ${lineCount(b)} lines (too different to show a line diff)\n`;
}

/** Code point order, as Prolog's standard order of strings (SWISH sorts the tag sets it diffs). */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function tagsOf(commit: Commit | null): string[] {
  const tags = commit?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function asText(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

type Side = { commit: Commit; data: Uint8Array };

/** Everything of a diff but the text patch, and the texts to patch when both sides are text and differ. */
function prepare(from: Side | null, to: Side): { result: CommitDiff; text?: { fromLabel: string; toLabel: string; a: string; b: string } } {
  const fromTags = new Set(tagsOf(from?.commit ?? null));
  const toTags = new Set(tagsOf(to.commit));
  const tags = {
    added: [...toTags].filter((t) => !fromTags.has(t)).sort(byCodePoint),
    deleted: [...fromTags].filter((t) => !toTags.has(t)).sort(byCodePoint),
  };
  const fromData = from?.data ?? new Uint8Array(0);
  const fromText = asText(fromData);
  const toText = asText(to.data);
  const base = { from: from?.commit ?? null, to: to.commit, tags };
  if (fromText === undefined || toText === undefined) {
    const data = sameBytes(fromData, to.data) ? '' : `Binary versions ${from?.commit.commit ?? '(none)'} and ${to.commit.commit} differ\n`;
    return { result: { ...base, data, binary: true } };
  }
  if (fromText === toText) return { result: { ...base, data: '' } };
  const fromLabel = from ? `${from.commit.name}@${from.commit.commit.slice(0, 10)}` : '/dev/null';
  const toLabel = `${to.commit.name}@${to.commit.commit.slice(0, 10)}`;
  return { result: { ...base, data: '' }, text: { fromLabel, toLabel, a: fromText, b: toText } };
}

function finish(prepared: ReturnType<typeof prepare>, patch: string | undefined): CommitDiff {
  const { result, text } = prepared;
  if (!text) return result;
  if (patch !== undefined) return { ...result, data: patch };
  return { ...result, data: tooLargeNote(text.fromLabel, text.toLabel, text.a, text.b), tooLarge: true };
}

/**
 * Compute the diff between two versions given their commits and data, synchronously: the line
 * diff is bounded by `limits` (beyond them `data` says "files differ, N → M lines" and
 * `tooLarge` is set). Prefer {@link diffVersionsAsync} where an event loop must stay responsive.
 */
export function diffVersions(from: Side | null, to: Side, limits?: DiffLimits): CommitDiff {
  const prepared = prepare(from, to);
  if (!prepared.text) return prepared.result;
  const { maxEditLength, timeoutMs } = limitsOf(limits);
  const { fromLabel, toLabel, a, b } = prepared.text;
  const patch = createTwoFilesPatch(fromLabel, toLabel, a, b, undefined, undefined, { context: 3, maxEditLength, timeout: timeoutMs });
  return finish(prepared, patch);
}

/**
 * {@link diffVersions} that blocks the event loop only briefly: a long line diff runs in
 * jsdiff's asynchronous mode, still within `limits`.
 */
export async function diffVersionsAsync(from: Side | null, to: Side, limits?: DiffLimits): Promise<CommitDiff> {
  const prepared = prepare(from, to);
  if (!prepared.text) return prepared.result;
  const { fromLabel, toLabel, a, b } = prepared.text;
  return finish(prepared, await boundedPatch(fromLabel, toLabel, a, b, limits));
}
