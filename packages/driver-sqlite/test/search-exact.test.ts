// search.ts against a real index file whose rows this test wrote: which files hit (short and
// long needles, case, quotes, a hit at position 0), the exact snippet window, the listing order
// and filters, and the scan's paging of hits.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Commit } from '@gitty/core';
import type { IndexDb } from '../src/index-db.js';
import { searchIndex } from '../src/search.js';
import { freshIndex, hash, putHead } from './support/exact-index.js';

const commit = (c: string, name: string, time: number, extra: Partial<Commit> = {}): Commit =>
  ({ commit: hash(c), name, data: hash('d'), time, ...extra });

describe('searchIndex', () => {
  let index: IndexDb;
  let remove: () => void;
  const long = `${'a'.repeat(40)}Needle${'b'.repeat(40)}`;

  beforeEach(() => {
    ({ index, remove } = freshIndex());
    putHead(index, commit('1', 'one.pl', 3, { author: 'ann' }), 'Alpha beta "quoted" text');
    putHead(index, commit('2', 'two.md', 9, { author: 'bob' }), 'al at the start; ALPHA later');
    putHead(index, commit('3', 'three.pl', 5, { author: 'ann' }), long);
    // A head without text (its blob missing): never a hit.
    putHead(index, commit('4', 'four.pl', 7), null);
  });
  afterEach(() => remove());

  const hits = (text: string, query = {}) => searchIndex(index, text, query).map((hit) => hit.name);

  it('finds long needles through FTS, case-insensitively, with the hit as snippet', () => {
    expect(searchIndex(index, 'ALPHA', {})).toEqual([
      { name: 'one.pl', head: hash('1'), snippet: 'Alpha beta "quoted" text' },
      { name: 'two.md', head: hash('2'), snippet: 'al at the start; ALPHA later' },
    ]);
  });

  it('finds needles shorter than a trigram by checking every listed text', () => {
    expect(hits('al')).toEqual(['one.pl', 'two.md']);
    expect(hits('b')).toEqual(['one.pl', 'three.pl']);
    expect(hits('')).toEqual(['one.pl', 'three.pl', 'two.md']);
  });

  it('counts a hit at the very start of the text', () => {
    expect(searchIndex(index, 'al a', {})).toEqual([{ name: 'two.md', head: hash('2'), snippet: 'al at the start; ALPHA later' }]);
  });

  it('escapes double quotes in the FTS phrase', () => {
    expect(hits('"quoted"')).toEqual(['one.pl']);
    expect(hits('a "q')).toEqual(['one.pl']);
  });

  it('cuts the snippet 30 characters either side of the hit', () => {
    expect(searchIndex(index, 'needle', {})).toEqual([
      { name: 'three.pl', head: hash('3'), snippet: `${'a'.repeat(30)}Needle${'b'.repeat(30)}` },
    ]);
  });

  it('leaves out texts that only FTS-like matching would find', () => {
    expect(hits('alphax')).toEqual([]);
    expect(hits('zzz')).toEqual([]);
  });

  it('filters with the listing query and orders by name or time', () => {
    expect(hits('a', { author: 'ann' })).toEqual(['one.pl', 'three.pl']);
    expect(hits('alpha', { ext: 'md' })).toEqual(['two.md']);
    expect(hits('a', { order: 'time' })).toEqual(['two.md', 'three.pl', 'one.pl']);
  });

  it('pages the hits as the scan does', () => {
    expect(hits('a', { offset: 1 })).toEqual(['three.pl', 'two.md']);
    expect(hits('a', { offset: 1, limit: 1 })).toEqual(['three.pl']);
    expect(hits('a', { offset: -4, limit: 2 })).toEqual(['one.pl', 'three.pl']);
    expect(hits('a', { limit: 0 })).toEqual([]);
  });
});
