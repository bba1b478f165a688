import path from 'node:path';
import { assertHash } from '@gitty/core';

/**
 * Where a loose object lives below the objects folder. A small swappable part, so another
 * layout (SWISH's `ab/cd/<36 hex>`) can be added without touching callers.
 */
export interface ObjectPathScheme {
  /** The object's path relative to the objects folder, as path segments. */
  segmentsOf(hash: string): string[];
  /** The hash a path (relative segments) names, or undefined when it names no object. */
  hashOf(segments: readonly string[]): string | undefined;
  /** How many folder levels lie between the objects folder and an object file. */
  readonly depth: number;
}

const FOLDER = /^[0-9a-f]{2}$/;
const REST = /^[0-9a-f]{38}$/;

/** git's scheme: `objects/ab/cdef…` (first two hex digits as the folder). */
export const gitObjectPaths: ObjectPathScheme = {
  depth: 1,
  segmentsOf(hash) {
    assertHash(hash);
    return [hash.slice(0, 2), hash.slice(2)];
  },
  hashOf(segments) {
    const [folder, file] = segments;
    if (segments.length !== 2 || !folder || !file || !FOLDER.test(folder) || !REST.test(file)) return undefined;
    return folder + file;
  },
};

/** The absolute path of a loose object; the hash is validated before any path is built. */
export function looseObjectPath(objectsDir: string, hash: string, scheme: ObjectPathScheme = gitObjectPaths): string {
  return path.join(objectsDir, ...scheme.segmentsOf(hash));
}
