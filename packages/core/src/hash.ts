import { createHash } from 'node:crypto';
import { InvalidHashError } from './errors.js';

const HASH_PATTERN = /^[0-9a-f]{40}$/;

/** True when `value` is a 40-digit lower-case hex string. */
export function isHash(value: unknown): value is string {
  return typeof value === 'string' && HASH_PATTERN.test(value);
}

/** Throws {@link InvalidHashError} unless `value` is a valid hash; call before any file system use. */
export function assertHash(value: unknown): asserts value is string {
  if (!isHash(value)) throw new InvalidHashError(value);
}

/** The object header git hashes in front of the data: `"<type> <size>\0"`. */
export function objectHeader(type: string, size: number): Uint8Array {
  return new TextEncoder().encode(`${type} ${size}\0`);
}

/** The git object hash of `data` as an object of `type`: sha1 of header + data. */
export function hashObject(type: string, data: Uint8Array): string {
  return createHash('sha1').update(objectHeader(type, data.length)).update(data).digest('hex');
}

/** sha1 over the whole of `bytes` (already including any header). */
export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}
