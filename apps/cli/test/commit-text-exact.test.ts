import { describe, expect, it } from 'vitest';
import { metaText, tagList, tagsText } from '../src/commit-text.js';

// Stores written by other programs hold any JSON under the documented keys: shown, never a crash.
describe('metaText', () => {
  it('is empty for absent values and the string itself for strings', () => {
    expect(metaText(undefined)).toBe('');
    expect(metaText(null)).toBe('');
    expect(metaText('')).toBe('');
    expect(metaText('fix "x"')).toBe('fix "x"');
  });

  it('writes anything else as compact JSON', () => {
    expect(metaText(1)).toBe('1');
    expect(metaText(0)).toBe('0');
    expect(metaText(false)).toBe('false');
    expect(metaText({ a: [1, 'x'] })).toBe('{"a":[1,"x"]}');
    expect(metaText(['a', 2])).toBe('["a",2]');
  });

  it('falls back to String for values JSON cannot write', () => {
    expect(metaText(10n)).toBe('10');
    expect(metaText(Symbol('s'))).toBe('Symbol(s)');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(metaText(cyclic)).toBe('[object Object]');
  });
});

describe('tagList and tagsText', () => {
  it('has no tags for absent values', () => {
    expect(tagList(undefined)).toEqual([]);
    expect(tagList(null)).toEqual([]);
    expect(tagsText(undefined)).toBe('');
    expect(tagsText([])).toBe('');
  });

  it('keeps string items and writes others as JSON', () => {
    expect(tagList(['a', 1, { b: 2 }, null, 3n])).toEqual(['a', '1', '{"b":2}', 'null', '3']);
    expect(tagsText(['a', 'b c', 7])).toBe('#a #b c #7');
  });

  it('takes a single value as one tag', () => {
    expect(tagList('solo')).toEqual(['solo']);
    expect(tagList(5)).toEqual(['5']);
    expect(tagList({ k: 'v' })).toEqual(['{"k":"v"}']);
    expect(tagsText('solo')).toBe('#solo');
  });
});
