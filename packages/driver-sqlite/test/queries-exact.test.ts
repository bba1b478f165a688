// queries.ts piece by piece: the exact SQL each filter makes, the exact LIMIT/OFFSET window of
// every paging edge (mirroring Array.prototype.slice), and listings and histories read back
// from a real index file holding rows this test wrote. The property test (agrees-with-scan)
// compares with the scan on random queries; these pin each branch so a changed one fails here.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Commit } from '@gitty/core';
import { commitOf, filterOf, historyFrom, listedRows, orderOf, pageOf, queryFiles } from '../src/queries.js';
import { nameKey } from '../src/schema.js';
import { freshIndex, hash, putHead } from './support/exact-index.js';
import type { IndexDb } from '../src/index-db.js';

const key = (s: string) => nameKey(s);

describe('filterOf', () => {
  it('makes no WHERE for an empty query', () => {
    expect(filterOf({})).toEqual({ where: '', params: [] });
  });

  it('makes one clause per filter, joined by AND, in a fixed order', () => {
    expect(filterOf({ ext: 'pl', namePrefix: 'ab', author: 'ann', tag: 'x', since: 5, until: 9 })).toEqual({
      where: 'WHERE h.ext = ? AND h.name_key >= ? AND h.name_key < ? AND h.author = ? AND '
        + 'EXISTS (SELECT 1 FROM head_tags t WHERE t.tag = ? AND t.head_id = h.id) AND h.time >= ? AND h.time < ?',
      params: ['pl', key('ab'), key('ac'), 'ann', 'x', 5, 9],
    });
  });

  it('takes each filter alone', () => {
    expect(filterOf({ ext: '' })).toEqual({ where: 'WHERE h.ext = ?', params: [''] });
    expect(filterOf({ author: 'bob' })).toEqual({ where: 'WHERE h.author = ?', params: ['bob'] });
    expect(filterOf({ tag: 't' })).toEqual({ where: 'WHERE EXISTS (SELECT 1 FROM head_tags t WHERE t.tag = ? AND t.head_id = h.id)', params: ['t'] });
    expect(filterOf({ since: 0 })).toEqual({ where: 'WHERE h.time >= ?', params: [0] });
    expect(filterOf({ until: 0 })).toEqual({ where: 'WHERE h.time < ?', params: [0] });
    expect(filterOf({ namePrefix: '' })).toEqual({ where: 'WHERE h.name_key >= ?', params: [key('')] });
  });

  it('has no upper bound for a prefix of U+FFFF code units (no key is greater)', () => {
    expect(filterOf({ namePrefix: '\uffff\uffff' })).toEqual({ where: 'WHERE h.name_key >= ?', params: [key('\uffff\uffff')] });
    // Only the trailing 0xff bytes are dropped: 'a\uffff' ends before 'b'.
    expect(filterOf({ namePrefix: 'a\uffff' })).toEqual({ where: 'WHERE h.name_key >= ? AND h.name_key < ?', params: [key('a\uffff'), Buffer.from([0, 0x62])] });
  });
});

describe('orderOf', () => {
  it('orders by name key, or by time newest first and then name key', () => {
    expect(orderOf({})).toBe('ORDER BY h.name_key');
    expect(orderOf({ order: 'name' })).toBe('ORDER BY h.name_key');
    expect(orderOf({ order: 'time' })).toBe('ORDER BY h.time DESC, h.name_key');
  });
});

describe('pageOf mirrors slice(offset, offset + limit)', () => {
  it.each([
    [{}, { offset: 0, count: -1 }],
    [{ offset: 3 }, { offset: 3, count: -1 }],
    [{ offset: -5 }, { offset: 0, count: -1 }],
    [{ offset: 5, limit: 2 }, { offset: 5, count: 2 }],
    [{ offset: 2.7, limit: 3.2 }, { offset: 2, count: 3 }],
    [{ offset: -2, limit: 3 }, { offset: 0, count: 3 }],
    [{ limit: 0 }, { offset: 0, count: 0 }],
    [{ limit: -3 }, { offset: 0, count: 0 }],
    [{ offset: 4, limit: -3 }, { offset: 4, count: 0 }],
    [{ limit: Infinity }, { offset: 0, count: -1 }],
    [{ offset: 2, limit: Infinity }, { offset: 2, count: -1 }],
    [{ offset: Infinity }, { offset: Infinity, count: -1 }],
    [{ offset: NaN }, { offset: 0, count: -1 }],
    [{ offset: NaN, limit: 3 }, { offset: 0, count: 0 }],
    [{ limit: NaN }, { offset: 0, count: 0 }],
    [{ offset: 1, limit: NaN }, { offset: 1, count: 0 }],
    [{ offset: 0.5, limit: 0.6 }, { offset: 0, count: 1 }],
  ])('%o -> %o', (query, page) => {
    expect(pageOf(query)).toEqual(page);
  });

  it('agrees with slice on each of those windows', () => {
    const items = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    for (const [offset, limit] of [[5, 2], [2.7, 3.2], [-2, 3], [undefined, -3], [NaN, 3], [0.5, 0.6], [1, NaN]] as const) {
      const page = pageOf({ offset, limit });
      const start = offset ?? 0;
      const expected = items.slice(Math.max(0, start), limit === undefined ? undefined : Math.max(0, start) + Math.max(0, limit));
      expect(items.slice(page.offset, page.count === -1 ? undefined : page.offset + page.count)).toEqual(expected);
    }
  });
});

function commit(c: string, name: string, time: number, extra: Partial<Commit> = {}): Commit {
  return { commit: hash(c), name, data: hash(c.toUpperCase() === c ? 'e' : 'd'), time, ...extra };
}

describe('listings from the index file', () => {
  let index: IndexDb;
  let remove: () => void;
  const a = commit('a', 'a.pl', 10, { author: 'ann', tags: ['x', 'y'] });
  const ab = commit('b', 'ab.pl', 20, { author: 'ann', tags: [] });
  const b = commit('c', 'b.md', 30, { author: 'bob', tags: ['y'] });
  const top = commit('f', '\uffff.txt', 20);

  beforeEach(() => {
    ({ index, remove } = freshIndex());
    for (const c of [b, top, a, ab]) putHead(index, c);
  });
  afterEach(() => remove());

  const names = (query: Parameters<typeof queryFiles>[1]) => queryFiles(index, query).map((entry) => entry.name);

  it('lists every head with its commit, in name order', () => {
    expect(queryFiles(index, {})).toEqual([
      { name: 'a.pl', head: a.commit, commit: a },
      { name: 'ab.pl', head: ab.commit, commit: ab },
      { name: 'b.md', head: b.commit, commit: b },
      { name: '\uffff.txt', head: top.commit, commit: top },
    ]);
  });

  it('filters and orders exactly', () => {
    expect(names({ ext: 'pl' })).toEqual(['a.pl', 'ab.pl']);
    expect(names({ namePrefix: 'a' })).toEqual(['a.pl', 'ab.pl']);
    expect(names({ namePrefix: '\uffff' })).toEqual(['\uffff.txt']);
    expect(names({ author: 'ann', tag: 'y' })).toEqual(['a.pl']);
    expect(names({ since: 20 })).toEqual(['ab.pl', 'b.md', '\uffff.txt']);
    expect(names({ until: 20 })).toEqual(['a.pl']);
    expect(names({ order: 'time' })).toEqual(['b.md', 'ab.pl', '\uffff.txt', 'a.pl']);
  });

  it('pages with LIMIT and OFFSET, and answers nothing for an empty or unreachable page', () => {
    expect(names({ offset: 1, limit: 2 })).toEqual(['ab.pl', 'b.md']);
    expect(names({ offset: 3 })).toEqual(['\uffff.txt']);
    expect(names({ limit: 0 })).toEqual([]);
    expect(names({ offset: Infinity })).toEqual([]);
    expect(names({ offset: 1, limit: Infinity })).toEqual(['ab.pl', 'b.md', '\uffff.txt']);
  });

  it('listedRows gives the same rows unpaged, with an extra condition ANDed in or alone', () => {
    const rows = (query: Parameters<typeof listedRows>[1], extra?: Parameters<typeof listedRows>[2]) =>
      listedRows(index, query, extra).map((row) => `${row.name}:${row.head.slice(0, 1)}`);
    expect(rows({ limit: 1 })).toEqual(['a.pl:a', 'ab.pl:b', 'b.md:c', '\uffff.txt:f']);
    expect(rows({}, { where: 'h.time = ?', params: [20] })).toEqual(['ab.pl:b', '\uffff.txt:f']);
    expect(rows({ ext: 'pl' }, { where: 'h.time = ?', params: [20] })).toEqual(['ab.pl:b']);
    expect(rows({ order: 'time', ext: 'txt' })).toEqual(['\uffff.txt:f']);
    const [row] = listedRows(index, { namePrefix: 'b' });
    expect(row).toEqual({ id: expect.any(Number), name: 'b.md', head: b.commit, meta: JSON.stringify({ author: 'bob', data: b.data, name: 'b.md', tags: ['y'], time: 30 }) });
  });
});

describe('historyFrom', () => {
  let index: IndexDb;
  let remove: () => void;
  beforeEach(() => ({ index, remove } = freshIndex()));
  afterEach(() => remove());

  const put = (c: Commit) => index.putCommit(c, JSON.stringify({ name: c.name, data: c.data, time: c.time, ...(c.previous ? { previous: c.previous } : {}) }));

  it('follows previous links newest first, up to the limit', () => {
    const one = commit('1', 'h.pl', 1);
    const two = commit('2', 'h.pl', 2, { previous: one.commit });
    const three = commit('3', 'h.pl', 3, { previous: two.commit });
    for (const c of [one, two, three]) put(c);
    expect(historyFrom(index, three.commit, 10)).toEqual({ commits: [three, two, one] });
    expect(historyFrom(index, three.commit, 2)).toEqual({ commits: [three, two] });
    expect(historyFrom(index, three.commit, 3)).toEqual({ commits: [three, two, one] });
    expect(historyFrom(index, three.commit, 0)).toEqual({ commits: [] });
    expect(historyFrom(index, '', 5)).toEqual({ commits: [] });
  });

  it('stops at a commit the table does not hold and names it', () => {
    const two = commit('2', 'h.pl', 2, { previous: hash('9') });
    put(two);
    expect(historyFrom(index, two.commit, 5)).toEqual({ commits: [two], missing: hash('9') });
    expect(historyFrom(index, hash('8'), 5)).toEqual({ commits: [], missing: hash('8') });
  });

  it('stops at a cycle instead of looping', () => {
    const x = commit('4', 'h.pl', 4, { previous: hash('5') });
    const y = commit('5', 'h.pl', 5, { previous: hash('4') });
    put(x);
    put(y);
    expect(historyFrom(index, x.commit, 10)).toEqual({ commits: [x, y] });
  });
});

describe('commitOf', () => {
  it('adds the hash and keeps integers beyond 2^53 exact', () => {
    expect(commitOf(hash('a'), '{"name":"n","n":9007199254740993,"time":1.5}')).toEqual({ name: 'n', n: 9007199254740993n, time: 1.5, commit: hash('a') });
    expect(commitOf(hash('a'), '{"commit":"other","name":"n"}')).toEqual({ name: 'n', commit: hash('a') });
  });
});
