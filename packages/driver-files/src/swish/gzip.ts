import { constants } from 'node:buffer';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Compression } from '@gitty/core';

/**
 * SWISH stores each object as a gzip file (zlib's deflate in a gzip wrapper, as its `zopen`
 * writes) instead of git's bare zlib stream. Same `Compression` interface, so the loose-object
 * code and the object codec work unchanged. Inflating stops past `maxOutput` bytes.
 */
export const gzipCompression: Compression = {
  name: 'gzip',
  deflate(data, level = 6) {
    const out = gzipSync(data, { level });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
  inflate(data, maxOutput) {
    // maxOutputLength makes zlib fail instead of buffering an oversized (or hostile) object.
    const out = gunzipSync(data, { maxOutputLength: Math.min(constants.MAX_LENGTH, Math.max(1, maxOutput)) });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  },
};
