import { GittyError, InvalidHashError, assertName, isGittyError, isHash, isHashPrefix, type Store } from '@gitty/core';

/** A name that is also hex, like a file called `cafe`: a name, when such a file exists (as git prefers refs). */
async function existingFile(store: Store, arg: string): Promise<boolean> {
  try {
    assertName(arg);
  } catch {
    return false;
  }
  return (await store.head(arg)) !== undefined;
}

/**
 * What a `<name|hash>` argument names, as the Store API takes it: a file name, or the full hash
 * of a commit given by any unique prefix of at least 4 hex digits (what `log` and `ls` print).
 * A file of that name wins over a prefix. Throws NOT_FOUND (neither a file nor a commit),
 * AMBIGUOUS (the prefix matches several commits) or the core's INVALID_NAME.
 */
export async function resolveVersion(store: Store, arg: string): Promise<string> {
  if (isHash(arg) || !isHashPrefix(arg) || (await existingFile(store, arg))) return arg;
  try {
    return await store.resolveHash(arg, { type: 'commit' });
  } catch (err) {
    if (isGittyError(err, 'NOT_FOUND')) {
      throw Object.assign(new GittyError('NOT_FOUND', `No file or commit "${arg}"`), { what: 'file', key: arg });
    }
    throw err;
  }
}

/** The full hash of a commit given by a unique prefix (`--expect`, `--previous`, `--includes`). */
export async function resolveCommitHash(store: Store, arg: string): Promise<string> {
  if (isHash(arg)) return arg;
  if (!isHashPrefix(arg)) throw new InvalidHashError(arg);
  return store.resolveHash(arg, { type: 'commit' });
}

/** The full hash of an object of any type given by a unique prefix (`cat`). */
export async function resolveObjectHash(store: Store, arg: string): Promise<string> {
  if (isHash(arg)) return arg;
  if (!isHashPrefix(arg)) throw new InvalidHashError(arg);
  return store.resolveHash(arg);
}
