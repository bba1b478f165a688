import { CorruptObjectError, InvalidArgumentError } from './errors.js';
import { isHash } from './hash.js';
import { decodeSwishCommit, encodeSwishCommit, isSwishCommit } from './swish-commit.js';

/**
 * A JSON value as stored in commit metadata. `bigint` appears only in commits of SWISH stores:
 * an integer beyond ±(2^53−1) keeps its exact value that way (see `swish-commit.ts`).
 */
export type JsonValue = string | number | bigint | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** User metadata: any JSON object. Reserved keys are set by the store. */
export type Meta = { [key: string]: JsonValue };

/** A version of a file, as returned by the store. `commit` (its own hash) is never stored. */
export interface Commit {
  /** The commit's own hash. */
  commit: string;
  /** The file name. */
  name: string;
  /** Hash of the blob holding this version's data. */
  data: string;
  /** Seconds since the epoch (a float, like SWISH). */
  time: number;
  /** The previous commit of the file; absent on the first. */
  previous?: string;
  author?: string;
  tags?: string[];
  commit_message?: string;
  [key: string]: JsonValue | undefined;
}

/** Keys the store sets itself; a caller cannot set them through metadata (except `previous` on update). */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['name', 'data', 'time', 'previous', 'commit']);

/** Keys that describe who made a version; they are not carried over from the previous version. */
export const IDENTITY_KEYS: ReadonlySet<string> = new Set([
  'author', 'user', 'avatar', 'identity', 'peer', 'commit_message', 'email', 'profile_id',
]);

/**
 * Canonical JSON: keys sorted (by UTF-16 code unit), no insignificant white space. Numbers use
 * JavaScript's shortest round-trip form; non-finite numbers are rejected.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InvalidArgumentError(`metadata number ${value} is not finite`);
    return JSON.stringify(value);
  }
  // Exact digits; JSON.parse reads them back rounded, which is why SWISH stores keep big integers as Prolog text.
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const v = value[key];
      if (v === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
    }
    return `{${parts.join(',')}}`;
  }
  throw new InvalidArgumentError(`metadata value of type ${typeof value} is not JSON`);
}

/** How a store writes commit objects: canonical JSON (gitty's own) or SWISH's Prolog dicts. */
export type CommitFormat = 'json' | 'swish';

/**
 * Encode commit metadata (without `commit`) as the bytes of a commit object, in `format`
 * (default canonical JSON; `swish`: see `encodeSwishCommit`).
 */
export function encodeCommit(meta: Meta, format: CommitFormat = 'json'): Uint8Array {
  if (format === 'swish') return encodeSwishCommit(meta);
  const { commit: _ignored, ...stored } = meta;
  return new TextEncoder().encode(canonicalJson(stored) + '\n');
}

/** Decode a commit object's bytes; `hash` becomes the returned `commit` key. */
export function decodeCommit(data: Uint8Array, hash: string, where = 'commit'): Commit {
  // SWISH's commits are Prolog dicts ("gitty{"); JSON never starts with "g", so the bytes decide.
  if (isSwishCommit(data)) return decodeSwishCommit(data, hash, where);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (err) {
    throw new CorruptObjectError(hash, where, 'commit is not valid UTF-8 JSON', { cause: err });
  }
  checkCommitShape(parsed, hash, where);
  return { ...parsed, commit: hash } as Commit;
}

/**
 * Throw CORRUPT_OBJECT unless a decoded commit body has the keys gitty follows: an object with
 * a non-empty `name`, a finite `time`, `data` a hash and `previous` (when present) a hash.
 * Only these structural keys are checked — other metadata may hold any JSON (SWISH writes e.g.
 * `commit_message: 1`). Without this a crafted `previous` would be looked up as a file name
 * (splicing another file's history) and a bad `data` would crash fsck and gc.
 */
export function checkCommitShape(parsed: unknown, hash: string, where = 'commit'): asserts parsed is Omit<Commit, 'commit'> {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CorruptObjectError(hash, where, 'commit is not a JSON object');
  }
  const body = parsed as Record<string, unknown>;
  if (typeof body.name !== 'string' || body.name.length === 0) throw new CorruptObjectError(hash, where, 'commit lacks a name');
  if (typeof body.time !== 'number' || !Number.isFinite(body.time)) throw new CorruptObjectError(hash, where, 'commit lacks a numeric time');
  if (!isHash(body.data)) throw new CorruptObjectError(hash, where, 'commit "data" is not an object hash');
  if (body.previous !== undefined && !isHash(body.previous)) {
    throw new CorruptObjectError(hash, where, 'commit "previous" is not an object hash');
  }
}

/**
 * The metadata of a new version: what the caller gave, plus what the previous version had
 * except reserved and identity keys (as SWISH's gitty_update does).
 */
export function carryOverMeta(previous: Commit | undefined, given: Meta): Meta {
  const meta: Meta = {};
  if (previous) {
    for (const [key, value] of Object.entries(previous)) {
      if (value === undefined || RESERVED_KEYS.has(key) || IDENTITY_KEYS.has(key)) continue;
      setOwn(meta, key, value);
    }
  }
  for (const [key, value] of Object.entries(given)) {
    if (RESERVED_KEYS.has(key) || value === undefined) continue;
    setOwn(meta, key, value);
  }
  return meta;
}

// Metadata keys are data: a "__proto__" key (JSON.parse makes it an own property) must stay a
// key, not replace the object's prototype as plain assignment would.
function setOwn(meta: Meta, key: string, value: JsonValue): void {
  Object.defineProperty(meta, key, { value, enumerable: true, writable: true, configurable: true });
}
