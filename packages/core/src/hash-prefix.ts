import type { Driver } from './driver.js';
import { AmbiguousError, InvalidHashError, NotFoundError } from './errors.js';

/** The shortest abbreviated hash accepted, as git's minimum. */
export const MIN_HASH_PREFIX = 4;

const PREFIX_PATTERN = /^[0-9a-f]{4,40}$/i;

/** True when `value` can be an abbreviated hash: 4 to 40 hex digits (either case). */
export function isHashPrefix(value: unknown): value is string {
  return typeof value === 'string' && PREFIX_PATTERN.test(value);
}

/**
 * The full hash of the one object whose hash starts with `prefix` (at least
 * {@link MIN_HASH_PREFIX} hex digits, either case), as git resolves abbreviations. With `type`,
 * only objects of that type count (git's disambiguation: a commit wanted, a blob with the same
 * prefix is ignored). Throws INVALID_HASH for a malformed prefix, NOT_FOUND when nothing
 * matches, AMBIGUOUS (listing every candidate) when more than one does.
 *
 * Lists every object hash once (`driver.objects()`), so it costs a scan of the store; callers
 * take a full 40-digit hash as it is without calling this.
 */
export async function resolveHashPrefix(driver: Driver, prefix: string, options: { type?: string } = {}): Promise<string> {
  if (!isHashPrefix(prefix)) throw new InvalidHashError(prefix);
  const wanted = prefix.toLowerCase();
  let matches = await objectsStartingWith(driver, wanted);
  if (matches.size === 0) {
    // Objects written by another process since the driver last looked (packs, replicas).
    await driver.rescan();
    matches = await objectsStartingWith(driver, wanted);
  }
  const candidates: { hash: string; type: string }[] = [];
  for (const hash of [...matches].sort()) {
    const type = (await driver.loadObject(hash))?.type;
    if (type !== undefined && (options.type === undefined || type === options.type)) candidates.push({ hash, type });
  }
  if (candidates.length === 0) throw new NotFoundError(options.type === 'commit' ? 'commit' : 'object', prefix);
  if (candidates.length > 1) throw new AmbiguousError(prefix, candidates);
  return candidates[0]!.hash;
}

async function objectsStartingWith(driver: Driver, prefix: string): Promise<Set<string>> {
  const matches = new Set<string>();
  for await (const hash of driver.objects()) if (hash.startsWith(prefix)) matches.add(hash);
  return matches;
}
