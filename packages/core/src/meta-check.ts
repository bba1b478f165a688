import type { Commit, JsonValue, Meta } from './commit-codec.js';
import { InvalidArgumentError } from './errors.js';

/**
 * Check the types of the documented metadata keys a caller gives to `create`/`update`:
 * `tags` an array of strings, `author` and `commit_message` strings, `time` (when given) a
 * finite number. Other keys may hold any JSON. Throws INVALID_ARGUMENT naming the key, before
 * anything is written — a wrongly typed key would otherwise be stored for ever and break
 * readers that trust the documented shape.
 */
export function assertMetaTypes(meta: unknown): asserts meta is Meta {
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new InvalidArgumentError('metadata must be a JSON object');
  }
  const given = meta as Record<string, unknown>;
  const own = (key: string) => Object.prototype.hasOwnProperty.call(given, key) && given[key] !== undefined;
  if (own('tags')) {
    const tags = given.tags;
    if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string')) {
      throw new InvalidArgumentError(`metadata "tags" must be an array of strings, not ${describe(tags)}`);
    }
  }
  for (const key of ['author', 'commit_message']) {
    if (own(key) && typeof given[key] !== 'string') {
      throw new InvalidArgumentError(`metadata "${key}" must be a string, not ${describe(given[key])}`);
    }
  }
  if (own('time') && !(typeof given.time === 'number' && Number.isFinite(given.time))) {
    throw new InvalidArgumentError(`metadata "time" must be a finite number of seconds, not ${describe(given.time)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array with other than strings';
  return `a ${typeof value}`;
}

/** A commit's documented keys as a reader can show them, whatever JSON a store holds. */
export interface CommitDisplay {
  /** The author as text ('' when absent; other JSON as compact JSON). */
  author: string;
  /** The commit message as text ('' when absent). */
  message: string;
  /** The tags as strings: non-string elements as JSON, a lone non-array value as one tag. */
  tags: string[];
  /** Seconds since the epoch. */
  time: number;
}

/** Any stored JSON as one line of text: strings as they are, other values as compact JSON. */
export function metaText(value: JsonValue | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  // Big integers read from SWISH stores may arrive as bigints, which JSON.stringify refuses.
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
}

/**
 * Normalise a stored commit's documented keys for display. Stores written by other programs
 * (SWISH writes `commit_message: 1`) or before types were checked may hold any JSON there;
 * readers must show them, never crash on them.
 */
export function commitDisplay(commit: Commit): CommitDisplay {
  const tags = commit.tags as JsonValue | undefined;
  return {
    author: metaText(commit.author as JsonValue | undefined),
    message: metaText(commit.commit_message as JsonValue | undefined),
    tags: tags === undefined || tags === null ? [] : Array.isArray(tags) ? tags.map((t) => metaText(t)) : [metaText(tags)],
    time: typeof commit.time === 'number' ? commit.time : 0,
  };
}
