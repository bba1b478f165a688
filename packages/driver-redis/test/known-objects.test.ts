import { describe, expect, it } from 'vitest';
import { KnownObjects } from '../src/driver-support.js';

describe('KnownObjects', () => {
  it('forgets the oldest hashes first and keeps at most its limit', () => {
    const known = new KnownObjects(3);
    for (const hash of ['a', 'b', 'c', 'd']) known.add(hash);
    expect(['a', 'b', 'c', 'd'].map((h) => known.has(h))).toEqual([false, true, true, true]);
    known.add('b'); // already known: not moved, not duplicated
    known.add('e');
    expect(['b', 'c', 'd', 'e'].map((h) => known.has(h))).toEqual([false, true, true, true]);
  });

  it('keeps adding at a constant cost past its limit (300,000 adds over a 200,000 limit)', () => {
    const known = new KnownObjects();
    for (let i = 0; i < 300_000; i++) known.add(i.toString(16).padStart(40, '0'));
    expect(known.has((299_999).toString(16).padStart(40, '0'))).toBe(true);
    expect(known.has((99_999).toString(16).padStart(40, '0'))).toBe(false);
    expect(known.has((100_000).toString(16).padStart(40, '0'))).toBe(true);
  }, 20_000);
});
