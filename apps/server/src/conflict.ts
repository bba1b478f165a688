import { boundedPatch, NotFoundError, tooLargeNote, type DiffLimits, type Store } from '@gitty/core';
import { textOf } from './data-encoding.js';
import { mergeThreeWay } from './merge.js';

/** The body of a 409 NOT_AT_HEAD answer: what a client needs to merge, as SWISH's IDE does. */
export interface ConflictBody {
  code: 'NOT_AT_HEAD';
  message: string;
  /** The current head (null when the file was deleted meanwhile). */
  head: string | null;
  diffs: {
    /** Unified diff from the submitted `previous` (the common version) to the head; null when not text or deleted. */
    toHead: string | null;
    /** Unified diff from the common version to the submitted data; null when not text. */
    toYours: string | null;
  };
  /** Both sides' changes merged (three-way, from the common version), when all are text and they touch different lines. */
  merged?: string;
}

/**
 * Build the 409 answer for an update whose `previous` is no longer the head: diffs from the
 * common version (the submitted previous) to the current head and to the submitted data.
 * The two diffs and the merge run concurrently, each bounded by `limits` and yielding to the
 * event loop; a diff beyond them is the note "files differ, N → M lines", and no merge is offered.
 */
export async function conflictBody(
  store: Store,
  name: string,
  previous: string,
  head: string | null,
  submitted: Uint8Array,
  limits?: DiffLimits,
): Promise<ConflictBody> {
  const message = head === null
    ? `File "${name}" was deleted; it no longer has a head`
    : `File "${name}" is at ${head}, not at ${previous}`;
  const common = await loadText(store, previous);
  const yours = textOf(submitted);
  const theirs = head === null ? undefined : await loadText(store, head);
  const label = (hash: string) => `${name}@${hash.slice(0, 10)}`;
  const patch = async (fromLabel: string, toLabel: string, a: string, b: string) =>
    (await boundedPatch(fromLabel, toLabel, a, b, limits)) ?? tooLargeNote(fromLabel, toLabel, a, b);
  const [toHead, toYours, merged] = await Promise.all([
    common !== undefined && theirs !== undefined && head !== null ? patch(label(previous), label(head), common, theirs) : null,
    common !== undefined && yours !== undefined ? patch(label(previous), `${name}@yours`, common, yours) : null,
    common !== undefined && yours !== undefined && theirs !== undefined ? mergeThreeWay(common, theirs, yours, limits) : undefined,
  ]);
  const body: ConflictBody = { code: 'NOT_AT_HEAD', message, head, diffs: { toHead, toYours } };
  if (merged !== undefined) body.merged = merged;
  return body;
}

async function loadText(store: Store, hash: string): Promise<string | undefined> {
  try {
    return textOf((await store.get(hash)).data);
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}
