import { CorruptObjectError, ObjectTooLargeError } from './errors.js';
import { hashObject, objectHeader, sha1Hex } from './hash.js';
import { concatBytes, type Compression } from './compression.js';

/** A decoded object: its type word and its bytes. */
export interface GitObject {
  type: string;
  data: Uint8Array;
}

/** The default maximum object size: 64 MiB. Configurable per store (`maxObjectSize`). */
export const DEFAULT_MAX_OBJECT_SIZE = 64 * 1024 * 1024;

const TYPE_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

/** True when `type` is a lower-case word usable as an object type. */
export function isObjectType(type: unknown): type is string {
  return typeof type === 'string' && TYPE_PATTERN.test(type);
}

/** The uncompressed object as git stores it: header then data. */
export function frameObject(type: string, data: Uint8Array): Uint8Array {
  return concatBytes([objectHeader(type, data.length), data]);
}

/** Hash and deflate an object for loose storage or replication. */
export function encodeObject(
  type: string,
  data: Uint8Array,
  compression: Compression,
): { hash: string; raw: Uint8Array } {
  return { hash: hashObject(type, data), raw: compression.deflate(frameObject(type, data)) };
}

/**
 * Parse a framed object (`"<type> <size>\0<data>"`), checking the header against the data.
 * `where` names the file or pack for the error message.
 */
export function unframeObject(framed: Uint8Array, where: string, hash?: string): GitObject {
  const nul = framed.indexOf(0);
  if (nul < 0 || nul > 64) throw new CorruptObjectError(hash, where, 'no object header');
  const header = new TextDecoder().decode(framed.subarray(0, nul));
  const match = /^([a-z][a-z0-9_-]*) (0|[1-9][0-9]*)$/.exec(header);
  if (!match) throw new CorruptObjectError(hash, where, `malformed header "${header.slice(0, 40)}"`);
  const size = Number(match[2]);
  // A plain Uint8Array view (not a Buffer) whatever zlib returned, so callers see one type.
  const data = new Uint8Array(framed.buffer, framed.byteOffset + nul + 1, framed.length - nul - 1);
  if (data.length !== size) {
    throw new CorruptObjectError(hash, where, `header says ${size} bytes, found ${data.length}`);
  }
  return { type: match[1]!, data };
}

/**
 * Inflate and verify a loose object: inflation is bounded by `maxObjectSize` (plus the header),
 * the header must match the data, and the bytes must hash to `hash`.
 */
export function decodeObject(
  raw: Uint8Array,
  hash: string,
  where: string,
  compression: Compression,
  maxObjectSize: number = DEFAULT_MAX_OBJECT_SIZE,
): GitObject {
  let framed: Uint8Array;
  try {
    framed = compression.inflate(raw, maxObjectSize + 64);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    if (/past|maxOutputLength|buffer|larger/i.test(reason)) {
      throw new CorruptObjectError(hash, where, `inflates beyond the ${maxObjectSize}-byte limit`, { cause: err });
    }
    throw new CorruptObjectError(hash, where, `cannot inflate: ${reason}`, { cause: err });
  }
  const actual = sha1Hex(framed);
  if (actual !== hash) throw new CorruptObjectError(hash, where, `content hashes to ${actual}`);
  const object = unframeObject(framed, where, hash);
  // The inflate budget allows for the header; the data itself must respect the limit exactly.
  if (object.data.length > maxObjectSize) {
    throw new CorruptObjectError(hash, where, `its ${object.data.length} bytes exceed the ${maxObjectSize}-byte limit`);
  }
  return object;
}

/** Throws {@link ObjectTooLargeError} when `size` exceeds `limit`. */
export function assertObjectSize(size: number, limit: number): void {
  if (size > limit) throw new ObjectTooLargeError(size, limit);
}
