/**
 * An index over a delta base, in the manner of git's diff-delta: the base is cut into
 * non-overlapping 16-byte blocks, each block's rolling hash points at its offset, and a target is
 * scanned with the same rolling hash at every position, so finding copy candidates costs one
 * table lookup per target byte instead of a search of the whole base.
 */

/** Bytes per indexed block (git's RABIN_WINDOW). */
export const BLOCK = 16;
/** At most this many candidates are compared per lookup (git's HASH_LIMIT spirit). */
const CANDIDATE_LIMIT = 64;
/** A match this long is good enough; stop comparing further candidates. */
const GOOD_ENOUGH = 4096;
const PRIME = 0x01000193;
/** PRIME ** (BLOCK - 1) mod 2^32, to remove the byte leaving the window. */
const OUT_FACTOR = (() => {
  let f = 1;
  for (let i = 0; i < BLOCK - 1; i++) f = Math.imul(f, PRIME);
  return f;
})();

/** The hash of the 16-byte window at `pos` (caller ensures pos + 16 <= length). */
export function windowHash(bytes: Uint8Array, pos: number): number {
  let h = 0;
  for (let i = 0; i < BLOCK; i++) h = (Math.imul(h, PRIME) + bytes[pos + i]!) | 0;
  return h;
}

/** Slide a window hash one byte: drop `out`, add `incoming`. */
export function rollHash(h: number, out: number, incoming: number): number {
  return (Math.imul((h - Math.imul(out, OUT_FACTOR)) | 0, PRIME) + incoming) | 0;
}

/** A copy candidate: `length` bytes of the base at `offset` equal the target at the lookup position. */
export interface DeltaMatch {
  offset: number;
  length: number;
}

/** Block hashes of one delta base; reusable for many targets against the same base. */
export class DeltaIndex {
  private readonly mask: number;
  private readonly heads: Int32Array;
  private readonly next: Int32Array;

  constructor(readonly base: Uint8Array) {
    const blocks = Math.floor(base.length / BLOCK);
    let size = 16;
    while (size < blocks) size *= 2;
    this.mask = size - 1;
    this.heads = new Int32Array(size).fill(-1);
    this.next = new Int32Array(Math.max(blocks, 1)).fill(-1);
    // Insert from the end so each chain lists lower offsets first, as git prefers.
    for (let b = blocks - 1; b >= 0; b--) {
      const slot = windowHash(base, b * BLOCK) & this.mask;
      this.next[b] = this.heads[slot]!;
      this.heads[slot] = b;
    }
  }

  /** The longest base run equal to `target` at `pos`, given the window hash `hash` at `pos`. */
  find(target: Uint8Array, pos: number, hash: number): DeltaMatch | undefined {
    const base = this.base;
    let best: DeltaMatch | undefined;
    let seen = 0;
    const limit = target.length - pos;
    for (let b = this.heads[hash & this.mask]!; b >= 0 && seen < CANDIDATE_LIMIT; b = this.next[b]!, seen++) {
      const offset = b * BLOCK;
      const max = Math.min(limit, base.length - offset);
      let length = 0;
      while (length < max && base[offset + length] === target[pos + length]) length++;
      if (length >= BLOCK && (!best || length > best.length)) {
        best = { offset, length };
        if (length >= GOOD_ENOUGH || length === limit) break;
      }
    }
    return best;
  }
}
