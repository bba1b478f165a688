import { describe, expect, it } from 'vitest';
import { KnownObjects } from '../src/driver-support.js';

// Survivor of the s5-rd mutation run in driver-support.ts: a hash added again must not take a
// second slot of the ring, or it pushes an older hash out early.

describe('KnownObjects.add of a hash it already has', () => {
  it('keeps the other hashes: the repeat takes no slot', () => {
    const known = new KnownObjects(2);
    known.add('a');
    known.add('a');
    known.add('b');
    expect([known.has('a'), known.has('b')]).toEqual([true, true]);
  });
});
