import { describe, expect, it } from 'vitest';
import { checkCommitShape } from '../src/commit-codec.js';
import { assertMetaTypes, canonicalJson, carryOverMeta, commitDisplay, isGittyError, metaText, type Commit, type JsonValue } from '@gitty/core';

function invalid(action: () => unknown): string {
  try {
    action();
  } catch (err) {
    expect(isGittyError(err) && err.code).toBe('INVALID_ARGUMENT');
    return (err as Error).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe('canonicalJson, exactly', () => {
  it('big integers as their digits, undefined members left out, sorted keys', () => {
    expect(canonicalJson({ n: 10n ** 20n } as unknown as JsonValue)).toBe('{"n":100000000000000000000}');
    expect(canonicalJson(12n as unknown as JsonValue)).toBe('12');
    expect(canonicalJson({ b: 1, a: undefined, c: [true, null, 'x'] } as unknown as JsonValue)).toBe('{"b":1,"c":[true,null,"x"]}');
  });

  it('refusals name the value', () => {
    expect(invalid(() => canonicalJson({ x: Number.POSITIVE_INFINITY }))).toBe('metadata number Infinity is not finite');
    expect(invalid(() => canonicalJson(Number.NaN))).toBe('metadata number NaN is not finite');
    expect(invalid(() => canonicalJson({ f: (() => 1) as unknown as JsonValue }))).toBe('metadata value of type function is not JSON');
    expect(invalid(() => canonicalJson(Symbol('s') as unknown as JsonValue))).toBe('metadata value of type symbol is not JSON');
  });
});

describe('checkCommitShape, exactly', () => {
  it('names "commit" as where by default', () => {
    try {
      checkCommitShape([], 'c'.repeat(40));
      throw new Error('expected CORRUPT_OBJECT');
    } catch (err) {
      expect(isGittyError(err) && err.code).toBe('CORRUPT_OBJECT');
      expect((err as Error).message).toBe(`Corrupt object ${'c'.repeat(40)} in commit: commit is not a JSON object`);
    }
  });
});

describe('carryOverMeta, exactly', () => {
  it('an undefined value of the previous commit is not carried as a key', () => {
    const previous = { commit: 'c'.repeat(40), name: 'a.pl', data: 'd'.repeat(40), time: 1, topic: undefined, kept: 'k' } as unknown as Commit;
    const meta = carryOverMeta(previous, {});
    expect(meta).toEqual({ kept: 'k' });
    expect(Object.keys(meta)).toEqual(['kept']);
  });
});

describe('assertMetaTypes and display, exactly', () => {
  it('a non-empty array of strings is valid tags', () => {
    expect(() => assertMetaTypes({ tags: ['a', 'b'] })).not.toThrow();
    expect(invalid(() => assertMetaTypes({ tags: ['a', 'b', 3] }))).toBe('metadata "tags" must be an array of strings, not an array with other than strings');
  });

  it('commitDisplay: absent tags are none; metaText of what JSON cannot write is empty', () => {
    const base = { commit: 'c'.repeat(40), name: 'a.pl', data: 'd'.repeat(40), time: 2 } as Commit;
    expect(commitDisplay(base)).toEqual({ author: '', message: '', tags: [], time: 2 });
    expect(metaText(undefined)).toBe('');
    expect(metaText(null)).toBe('');
    expect(metaText((() => 1) as unknown as JsonValue)).toBe('');
    expect(metaText({ big: 10n ** 20n } as unknown as JsonValue)).toBe('{"big":"100000000000000000000"}');
  });
});
