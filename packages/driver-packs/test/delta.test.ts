import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isGittyError } from '@gitty/core';
import { applyDelta, createDelta } from '../src/delta.js';
import { DeltaIndex } from '../src/delta-index.js';

const text = (s: string) => new TextEncoder().encode(s);

function lines(n: number, seed: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `line ${i} of version ${seed % 7}: ${'abcdefghij'.repeat(1 + (i % 3))}\n`;
  return out;
}

describe('delta encoding', () => {
  it('round-trips a small edit as a delta much smaller than the target', () => {
    const base = text(lines(40, 1));
    const target = text(lines(40, 1).replace('line 20', 'LINE twenty, edited'));
    const delta = createDelta(new DeltaIndex(base), target)!;
    expect(delta.length).toBeLessThan(60);
    expect(Buffer.from(applyDelta(base, delta, 'test'))).toEqual(Buffer.from(target));
  });

  it('round-trips arbitrary bases and targets (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.uint8Array({ maxLength: 200 }), fc.nat(600), (base, insert, cut) => {
        const at = Math.min(cut, base.length);
        const target = new Uint8Array([...base.subarray(0, at), ...insert, ...base.subarray(at)]);
        const delta = createDelta(new DeltaIndex(base), target)!;
        expect(Buffer.from(applyDelta(base, delta, 'prop'))).toEqual(Buffer.from(target));
      }),
      { numRuns: 300 },
    );
  });

  it('encodes long copies and long literals across instruction limits', () => {
    const base = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
    const target = new Uint8Array([...base.subarray(1000, 150_000), ...new Uint8Array(300).fill(9), ...base.subarray(0, 500)]);
    const delta = createDelta(new DeltaIndex(base), target)!;
    expect(delta.length).toBeLessThan(400);
    expect(Buffer.from(applyDelta(base, delta, 'long'))).toEqual(Buffer.from(target));
  });

  it('gives up when the delta would exceed the size budget', () => {
    const base = text('x'.repeat(100));
    const target = text('completely different text that shares nothing with the base at all');
    expect(createDelta(new DeltaIndex(base), target, 20)).toBeUndefined();
  });

  it('rejects deltas that copy outside the base, over-produce, truncate or use opcode 0', () => {
    const base = text('0123456789abcdef');
    const cases: [string, number[]][] = [
      ['outside the base', [16, 8, 0x91, 12, 8]],
      ['wrong base size', [15, 4, 0x90, 4]],
      ['too long a result', [16, 2, 0x90, 4]],
      ['too short a result', [16, 9, 0x90, 4]],
      ['truncated insert', [16, 5, 5, 65, 66]],
      ['truncated copy', [16, 4, 0x91]],
      ['opcode 0', [16, 1, 0]],
      ['truncated header', [0x80]],
    ];
    for (const [label, bytes] of cases) {
      let caught: unknown;
      try {
        applyDelta(base, Uint8Array.from(bytes), 'pack-x.pack');
      } catch (err) {
        caught = err;
      }
      expect(isGittyError(caught, 'CORRUPT_OBJECT'), label).toBe(true);
      expect((caught as Error).message).toContain('pack-x.pack');
    }
  });
});
