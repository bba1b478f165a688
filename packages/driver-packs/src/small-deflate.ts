import zlib from 'node:zlib';

/**
 * zlib deflate sized to the input. Node's `deflateSync` sets up a full 32 KiB-window stream
 * (about 256 KiB of state, allocated and cleared) per call, which costs several times more than
 * compressing a 1–2 KiB object itself. A window just larger than the input finds every match
 * the full one would (the output is the same size), and the smaller hash table suits it; the
 * result is a standard zlib stream (the header names its window) that git and every inflater read.
 */
export function deflateSized(data: Uint8Array, level = 6): Buffer {
  // zlib needs MIN_LOOKAHEAD (262) bytes beyond the data in the window to see all of it.
  let windowBits = 9;
  while (windowBits < 15 && 1 << windowBits < data.length + 262) windowBits++;
  const memLevel = Math.max(1, Math.min(8, windowBits - 5));
  return zlib.deflateSync(data, { level, windowBits, memLevel });
}
