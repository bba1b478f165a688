import { InflateError } from '../../src/inflate.js';

// Helpers of the exact tests: what a call threw, the shape of a CORRUPT_OBJECT, and bytes
// without repeats for delta tests.

/** What `run` threw (it must throw). */
export function failure(run: () => unknown): unknown {
  try {
    run();
  } catch (err) {
    return err;
  }
  throw new Error('no error');
}

/** The InflateError `run` threw (it must throw one; any other error is passed on). */
export function inflateFailure(run: () => void): InflateError {
  const err = failure(run);
  if (err instanceof InflateError) return err;
  throw err;
}

/** The code and message of a CORRUPT_OBJECT without a hash. */
export const corrupt = (where: string, reason: string) => ({ code: 'CORRUPT_OBJECT', message: `Corrupt object in ${where}: ${reason}` });

/** Deterministic bytes with no repeated 16-byte window. */
export function noise(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
