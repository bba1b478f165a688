import { InvalidNameError } from './errors.js';

/** Longest accepted file name, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 255;

// Control characters (C0, DEL, C1) and the path separators never belong in a name.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\]/;

/**
 * Throws {@link InvalidNameError} unless `name` is a usable file name: a non-empty string of at
 * most {@link MAX_NAME_LENGTH} characters, without control characters, `/` or `\`, not `.` or
 * `..`, and well-formed Unicode.
 */
export function assertName(name: unknown): asserts name is string {
  if (typeof name !== 'string') throw new InvalidNameError(name, 'not a string');
  if (name.length === 0) throw new InvalidNameError(name, 'empty');
  if (name.length > MAX_NAME_LENGTH) throw new InvalidNameError(name, `longer than ${MAX_NAME_LENGTH} characters`);
  if (FORBIDDEN.test(name)) throw new InvalidNameError(name, 'contains a control character, "/" or "\\"');
  if (name === '.' || name === '..') throw new InvalidNameError(name, 'is "." or ".."');
  if (!name.isWellFormed()) throw new InvalidNameError(name, 'is not well-formed Unicode');
  if (name.trim() !== name) throw new InvalidNameError(name, 'starts or ends with white space');
}

/** The extension of a name: what follows the last dot ('' when there is none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot <= 0 ? '' : name.slice(dot + 1);
}
