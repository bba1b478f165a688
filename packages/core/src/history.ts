import type { Commit } from './commit-codec.js';

/** A window of a file's history, newest first; `skipped` newer commits are left out above it. */
export interface HistoryWindow {
  history: Commit[];
  skipped: number;
}

/** Options of `Store.history`. */
export interface HistoryOptions {
  /** How many commits the window holds (default 5). */
  depth?: number;
  /** A commit hash the window must hold; it comes with about half the depth of newer commits. */
  includes?: string;
}

/**
 * SWISH's gitty_history windowing: without `includes`, the newest `depth` commits. With
 * `includes` at position i (0 = head), when i < depth the newest `depth`; otherwise a window
 * starting floor(depth/2) commits above it, so the reader sees it with context on both sides.
 * `walk` yields the chain newest first and is consumed only as far as needed.
 */
export async function historyWindow(
  walk: AsyncIterable<Commit>,
  options: HistoryOptions = {},
): Promise<HistoryWindow> {
  const depth = Math.max(1, options.depth ?? 5);
  const seen: Commit[] = [];
  let includesAt = -1;
  for await (const commit of walk) {
    seen.push(commit);
    if (options.includes !== undefined && includesAt < 0 && commit.commit === options.includes) {
      includesAt = seen.length - 1;
    }
    const need = includesAt >= 0 || options.includes === undefined ? Math.max(depth, includesAt + Math.ceil(depth / 2)) : Infinity;
    if (seen.length >= need) break;
  }
  if (includesAt < depth) return { history: seen.slice(0, depth), skipped: 0 };
  const start = includesAt - Math.floor(depth / 2);
  return { history: seen.slice(start, start + depth), skipped: start };
}
