import { isHash } from '@gitty/core';
import type { ObjectPathScheme } from '../object-path.js';

/** SWISH's layout: `<store>/ab/cd/<36 hex>` — two folder levels, directly in the store folder. */
export const swishObjectPaths: ObjectPathScheme = {
  name: 'swish',
  depth: 2,
  segments(hash) {
    return [hash.slice(0, 2), hash.slice(2, 4), hash.slice(4)];
  },
  isFolder(name, level) {
    return level <= 1 && /^[0-9a-f]{2}$/.test(name);
  },
  hashOf(segments) {
    if (segments.length !== 3 || segments[2]!.length !== 36) return undefined;
    const hash = segments.join('');
    return isHash(hash) ? hash : undefined;
  },
};
