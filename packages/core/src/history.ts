import type { Commit } from './commit-codec.js';

/**
 * A window of a file's history, newest first. Without `includes` it is one unbroken run and
 * `skipped` is 0; with `includes` it may be two runs, and `skipped` counts the commits of the
 * chain left out between them.
 */
export interface HistoryWindow {
  history: Commit[];
  skipped: number;
}

/** Options of `Store.history`. */
export interface HistoryOptions {
  /** How many commits the window holds (default 5). */
  depth?: number;
  /** A commit hash the window must hold: it comes with at least half the depth of older commits. */
  includes?: string;
}

async function take(commits: AsyncIterable<Commit>, count: number): Promise<Commit[]> {
  const taken: Commit[] = [];
  if (count <= 0) return taken;
  for await (const commit of commits) {
    taken.push(commit);
    if (taken.length >= count) break;
  }
  return taken;
}

/**
 * SWISH's gitty_history windowing. Without `includes`, the newest `depth` commits. With
 * `includes` found i commits below the start: a run from it of `max(depth - i, ceil(depth/2))`
 * commits (fewer where the chain ends), preceded by the newest commits that fill the depth;
 * the commits between the two runs are left out and counted in `skipped`. So the window shows
 * both the latest state and the included version with its older context, as SWISH's history
 * view does. When `includes` is not on the chain, i is the chain's length and the run is read
 * from `includes` itself by `walkFrom` (SWISH reads it if it is a commit at all, even of
 * another file; `walkFrom` yields nothing when it is not). `walk` yields the chain newest
 * first and is consumed only as far as needed, except that an `includes` not on the chain
 * reads the whole chain (as SWISH does).
 */
export async function historyWindow(
  walk: AsyncIterable<Commit>,
  options: HistoryOptions = {},
  walkFrom?: (hash: string) => AsyncIterable<Commit>,
): Promise<HistoryWindow> {
  const depth = Math.max(1, options.depth ?? 5);
  const { includes } = options;
  if (includes === undefined) return { history: await take(walk, depth), skipped: 0 };
  // The newest commits above `includes` (only the first `depth` are kept) and how many there are.
  const newer: Commit[] = [];
  let above = 0;
  let run: Commit[] | undefined;
  let runLength = 0;
  for await (const commit of walk) {
    if (run === undefined && commit.commit === includes) {
      runLength = Math.max(depth - above, Math.ceil(depth / 2));
      run = [];
    }
    if (run !== undefined) {
      run.push(commit);
      if (run.length >= runLength) break;
    } else {
      if (newer.length < depth) newer.push(commit);
      above++;
    }
  }
  if (run === undefined) {
    runLength = Math.max(depth - above, Math.ceil(depth / 2));
    run = walkFrom ? await take(walkFrom(includes), runLength) : [];
  }
  const head = newer.slice(0, depth - run.length);
  return { history: [...head, ...run], skipped: above - head.length };
}
