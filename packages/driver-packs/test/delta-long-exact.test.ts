import { describe, expect, it } from 'vitest';
import { applyDelta, createDelta } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';

// A copy longer than three size bytes carry (0xffffff) must be split as git's patch-delta reads
// it. Its own file: a 16 MiB base takes most of a minute under mutation instrumentation, so
// mutation runs leave it out of the narrowed set (its mutants are listed in the report).

describe('createDelta, long copies', () => {
  it('splits a copy longer than three size bytes carry', () => {
    const base = new Uint8Array(0x1000010);
    const delta = createDelta(new DeltaIndex(base), base)!;
    expect([...delta]).toEqual([0x90, 0x80, 0x80, 0x08, 0x90, 0x80, 0x80, 0x08, 0xf0, 0xff, 0xff, 0xff, 0x97, 0xff, 0xff, 0xff, 0x11]);
    expect(Buffer.from(applyDelta(base, delta, 'w')).equals(base)).toBe(true);
  });
});
