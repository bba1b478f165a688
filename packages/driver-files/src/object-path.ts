import path from 'node:path';
import { assertHash, isHash } from '@gitty/core';

/**
 * Where a loose object lives below the `objects` folder. A small swappable part, so another
 * layout (SWISH's `ab/cd/<36 hex>`) can be added without touching {@link LooseObjects}.
 *
 * Contract: `segments(hash)` is only called with a validated hash and returns the folder
 * names (each matching `/^[0-9a-f]+$/`) followed by the file name; `hashOf` inverts it and
 * returns undefined for anything that is not an object file of this scheme (temp files,
 * `pack/`, `info/`).
 */
export interface ObjectPathScheme {
  /** A short name for messages. */
  readonly name: string;
  /** How many folder levels lie between the objects root and an object file. */
  readonly depth: number;
  /** The folder names, then the file name, of `hash`. */
  segments(hash: string): string[];
  /** True when `name` can be a folder at `level` (0 = just below the root). */
  isFolder(name: string, level: number): boolean;
  /** The hash named by folder names + file name, or undefined when they name no object. */
  hashOf(segments: readonly string[]): string | undefined;
}

/** git's layout: `objects/ab/cdef…` (the first two hex digits as the folder). */
export const gitObjectPaths: ObjectPathScheme = {
  name: 'git',
  depth: 1,
  segments(hash) {
    return [hash.slice(0, 2), hash.slice(2)];
  },
  isFolder(name, level) {
    return level === 0 && /^[0-9a-f]{2}$/.test(name);
  },
  hashOf(segments) {
    if (segments.length !== 2) return undefined;
    const hash = segments.join('');
    return isHash(hash) ? hash : undefined;
  },
};

/**
 * The absolute file of `hash` below `root`. Validates the hash first (defence in depth): an
 * untrusted string never becomes a path.
 */
export function objectFile(root: string, scheme: ObjectPathScheme, hash: string): string {
  assertHash(hash);
  return path.join(root, ...scheme.segments(hash));
}
