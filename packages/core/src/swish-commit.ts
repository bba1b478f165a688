import { CorruptObjectError, InvalidArgumentError } from './errors.js';
import { isHash } from './hash.js';
import { PrologSyntaxError, readClause, writeAtom, writeFloat, writeString, type Term } from './prolog-term.js';
import { checkCommitShape, type Commit, type JsonValue, type Meta } from './commit-codec.js';

/**
 * SWISH's commit format: a Prolog dict written with `~q` and a full stop,
 * `gitty{author:"Bob",data:'6d10…',name:'x.pl',previous:e164…,time:1795423881.43}.` — and its
 * mapping to gitty's JSON metadata, exactly as SWISH's `json_write_dict/3` maps it:
 *
 * | Prolog | JSON |
 * | --- | --- |
 * | string, atom (other than the three below) | string |
 * | `true`, `false`, `null` | `true`, `false`, `null` |
 * | integer | number; beyond ±(2^53−1) a `bigint` (exact; see below) |
 * | float | number (`1.0Inf`/`1.5NaN` become `Infinity`/`NaN`) |
 * | proper list (`[]` too) | array |
 * | dict (any tag) | object |
 *
 * Anything else (compound terms, partial lists, variables) has no JSON form — SWISH's own
 * `json_write_dict` raises a type error on it — and the commit fails to decode with
 * CORRUPT_OBJECT naming it.
 *
 * **Integers beyond 2^53** decode to a JavaScript `bigint`, so the value is exact; writing
 * metadata accepts a `bigint` (or a safe integer `number`) and writes its digits. JSON stores
 * cannot hold a bigint (`canonicalJson` writes its digits, which `JSON.parse` reads back
 * rounded), but commits copied from a SWISH store keep their bytes, so nothing is rounded there.
 */

/** The first bytes of every SWISH commit: the dict tag. */
const SWISH_TAG = 'gitty{';

/** True when a commit object's bytes are in SWISH's Prolog dict format. */
export function isSwishCommit(data: Uint8Array): boolean {
  if (data.length < SWISH_TAG.length) return false;
  for (let i = 0; i < SWISH_TAG.length; i++) if (data[i] !== SWISH_TAG.charCodeAt(i)) return false;
  return true;
}

/** Why a term has no JSON form (thrown by {@link termToJson}). */
export class NotJsonError extends Error {}

/** The JSON value of a Prolog term, as SWISH's `json_write_dict` writes it. */
export function termToJson(term: Term): JsonValue {
  switch (term.kind) {
    case 'string':
      return term.text;
    case 'atom':
      if (term.name === 'true') return true;
      if (term.name === 'false') return false;
      if (term.name === 'null') return null;
      return term.name;
    case 'integer':
      return Number.isSafeInteger(Number(term.value)) && BigInt(Number(term.value)) === term.value
        ? Number(term.value)
        : term.value;
    case 'float':
      return term.value;
    case 'list':
      if (term.tail) throw new NotJsonError('a partial list');
      return term.items.map(termToJson);
    case 'dict': {
      const object: { [key: string]: JsonValue } = {};
      for (const [key, value] of term.pairs) {
        // Keys are data: "__proto__" must stay an own key.
        Object.defineProperty(object, String(key), { value: termToJson(value), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
    case 'compound':
      throw new NotJsonError(`the compound term ${term.name}/${term.args.length}`);
    case 'var':
      throw new NotJsonError('a variable');
  }
}

/** Decode a SWISH commit object (a `gitty{…}.` dict); `hash` becomes `commit`, overriding any stored `commit` key. */
export function decodeSwishCommit(data: Uint8Array, hash: string, where = 'commit'): Commit {
  let term: Term;
  try {
    term = readClause(new TextDecoder('utf-8', { fatal: true }).decode(data));
  } catch (err) {
    const reason = err instanceof PrologSyntaxError ? `commit is not a readable Prolog dict (${err.message})` : 'commit is not valid UTF-8';
    throw new CorruptObjectError(hash, where, reason, { cause: err });
  }
  if (term.kind !== 'dict') throw new CorruptObjectError(hash, where, 'commit is not a Prolog dict');
  let meta: JsonValue;
  try {
    meta = termToJson(term);
  } catch (err) {
    if (!(err instanceof NotJsonError)) throw err;
    throw new CorruptObjectError(hash, where, `commit holds ${err.message}, which has no JSON form`, { cause: err });
  }
  // The same structural checks as a JSON commit (name, finite time, data and previous as hashes).
  checkCommitShape(meta, hash, where);
  const commit = meta as Commit;
  Object.defineProperty(commit, 'commit', { value: hash, enumerable: true, writable: true, configurable: true });
  return commit;
}

/** Keys whose values SWISH keeps as atoms (hashes and the file name); other text is a string. */
const ATOM_KEYS: ReadonlySet<string> = new Set(['name', 'data', 'previous']);

/** A JSON value as the Prolog term SWISH would hold for it (text as strings, booleans and null as atoms). */
export function jsonToTerm(value: JsonValue, atomText = false): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    // A safe integer stays an integer; any other number is a float in JavaScript, and SWISH
    // gets the same float back (1e20 as 1.0e20), so it reads back as the same number.
    if (Number.isSafeInteger(value) && !Object.is(value, -0)) return String(value);
    return writeFloat(value);
  }
  if (typeof value === 'string') {
    assertWellFormed(value);
    return atomText ? writeAtom(value) : writeString(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => jsonToTerm(v)).join(',')}]`;
  if (typeof value === 'object') return `_{${dictPairs(value)}}`;
  throw new InvalidArgumentError(`metadata value of type ${typeof value} is not JSON`);
}

function dictPairs(object: { [key: string]: JsonValue | undefined }, commitLevel = false): string {
  const keys = Object.keys(object).filter((k) => object[k] !== undefined).sort();
  return keys
    .map((key) => {
      assertWellFormed(key);
      const value = object[key]!;
      // SWISH's time is always a float (get_time/1), even when it happens to be whole.
      const text = commitLevel && key === 'time' && typeof value === 'number' && Number.isInteger(value)
        ? writeFloat(value)
        : jsonToTerm(value, commitLevel && ATOM_KEYS.has(key));
      // "k:-1" would read as the operator ":-": SWISH writes "k: -1" too.
      return `${writeAtom(key)}:${text.startsWith('-') ? ' ' : ''}${text}`;
    })
    .join(',');
}

function assertWellFormed(text: string): void {
  if (!text.isWellFormed()) throw new InvalidArgumentError('metadata text holds an unpaired surrogate, which UTF-8 cannot store');
}

/**
 * Encode commit metadata (without `commit`) as a SWISH commit: `gitty{…}.` plus a newline, keys
 * sorted as SWISH writes them. `name`, `data` and `previous` become atoms, `time` a float.
 */
export function encodeSwishCommit(meta: Meta): Uint8Array {
  const { commit: _ignored, ...stored } = meta;
  for (const key of ['data', 'previous'] as const) {
    const value = stored[key];
    if (value !== undefined && !(typeof value === 'string' && isHash(value))) throw new InvalidArgumentError(`commit ${key} must be a hash`);
  }
  return new TextEncoder().encode(`gitty{${dictPairs(stored, true)}}.\n`);
}
