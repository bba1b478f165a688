import { GittyError, assertName, isGittyError, isHash, type Store } from '@gitty/core';

/*
 * Abbreviated hashes on read routes, as git and the CLI take them: any unique prefix of at
 * least 4 hex digits (what `gitty log` prints is 10). A full hash is taken as it is without a
 * scan; a prefix costs one pass over the store's object list. `previous` preconditions of writes
 * are not resolved here: they must be full hashes (a compare-and-swap never guesses).
 */

/** A prefix as the API takes it: lower case, as it answers hashes (the schemas say the same). */
const PREFIX = /^[0-9a-f]{4,40}$/;

/** True when a file of this name exists (a name that is also hex, like `cafe`, is a name first). */
async function isFile(store: Store, arg: string): Promise<boolean> {
  try {
    assertName(arg);
  } catch {
    return false;
  }
  return (await store.head(arg)) !== undefined;
}

/**
 * A `name or hash` argument as the Store API takes it: the name of an existing file, or the full
 * hash of the one commit a prefix names. NOT_FOUND when neither, AMBIGUOUS when the prefix
 * matches several commits.
 */
export async function resolveNameOrCommit(store: Store, arg: string): Promise<string> {
  if (isHash(arg) || !PREFIX.test(arg) || (await isFile(store, arg))) return arg;
  try {
    return await store.resolveHash(arg, { type: 'commit' });
  } catch (err) {
    if (isGittyError(err, 'NOT_FOUND')) throw Object.assign(new GittyError('NOT_FOUND', `No file or commit "${arg}"`), { what: 'file', key: arg });
    throw err;
  }
}

/** The full hash of the commit a prefix names (a full hash is returned as it is). */
export async function resolveCommit(store: Store, prefix: string): Promise<string> {
  return store.resolveHash(prefix, { type: 'commit' });
}

/** The full hash of the object of any type a prefix names (a full hash is returned as it is). */
export async function resolveObject(store: Store, prefix: string): Promise<string> {
  return store.resolveHash(prefix);
}
