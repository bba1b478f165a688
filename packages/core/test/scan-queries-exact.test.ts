import { describe, expect, it } from 'vitest';
import { MemoryDriver, matchesQuery, orderAndPage, scanFiles, type Commit, type FileEntry, type GitObject } from '@gitty/core';
import { scanSearch } from '../src/scan-queries.js';

const H = (c: string) => c.repeat(40);

function commit(name: string, time: number, extra: Partial<Commit> = {}): Commit {
  return { commit: H('c'), name, data: H('d'), time, ...extra };
}

function entry(name: string, time: number, data = H('d')): FileEntry {
  return { name, head: H(name.length.toString(16).slice(-1)), commit: commit(name, time, { data }) };
}

async function all<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('matchesQuery', () => {
  const c = commit('a.pl', 100, { author: 'ann', tags: ['x', 'y'] });

  it('no filter passes; each filter alone', () => {
    expect(matchesQuery('a.pl', c, {})).toBe(true);
    expect(matchesQuery('a.pl', c, { ext: 'pl' })).toBe(true);
    expect(matchesQuery('a.pl', c, { ext: 'md' })).toBe(false);
    expect(matchesQuery('a.pl', c, { namePrefix: 'a.' })).toBe(true);
    expect(matchesQuery('a.pl', c, { namePrefix: '.pl' })).toBe(false);
    expect(matchesQuery('a.pl', c, { author: 'ann' })).toBe(true);
    expect(matchesQuery('a.pl', c, { author: 'bob' })).toBe(false);
    expect(matchesQuery('a.pl', c, { tag: 'y' })).toBe(true);
    expect(matchesQuery('a.pl', c, { tag: 'z' })).toBe(false);
    expect(matchesQuery('a.pl', commit('a.pl', 1, { tags: 'y' as unknown as string[] }), { tag: 'y' })).toBe(false);
    expect(matchesQuery('a.pl', commit('a.pl', 1), { tag: 'y' })).toBe(false);
  });

  it('since is inclusive, until exclusive', () => {
    expect(matchesQuery('a.pl', c, { since: 100 })).toBe(true);
    expect(matchesQuery('a.pl', c, { since: 101 })).toBe(false);
    expect(matchesQuery('a.pl', c, { until: 101 })).toBe(true);
    expect(matchesQuery('a.pl', c, { until: 100 })).toBe(false);
    expect(matchesQuery('a.pl', c, { since: 0, until: 1000, ext: 'pl', author: 'ann', tag: 'x', namePrefix: 'a' })).toBe(true);
  });
});

describe('orderAndPage', () => {
  const entries = () => [entry('b', 1), entry('a', 3), entry('c', 3), entry('d', 2)];
  const names = (list: FileEntry[]) => list.map((e) => e.name);

  it('by name by default, by time newest first then name', () => {
    expect(names(orderAndPage(entries(), {}))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(orderAndPage(entries(), { order: 'name' }))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(orderAndPage(entries(), { order: 'time' }))).toEqual(['a', 'c', 'd', 'b']);
    expect(names(orderAndPage([entry('c', 3), entry('a', 3)], { order: 'time' }))).toEqual(['a', 'c']);
    // Equal names keep their order (a stable sort with a comparator answering 0).
    const twins = [entry('s', 1, H('1')), entry('s', 1, H('2')), entry('r', 1, H('3'))];
    expect(orderAndPage(twins, {}).map((e) => e.commit.data)).toEqual([H('3'), H('1'), H('2')]);
  });

  it('offset and limit, negatives as 0', () => {
    expect(names(orderAndPage(entries(), { offset: 1 }))).toEqual(['b', 'c', 'd']);
    expect(names(orderAndPage(entries(), { offset: 1, limit: 2 }))).toEqual(['b', 'c']);
    expect(names(orderAndPage(entries(), { limit: 0 }))).toEqual([]);
    expect(names(orderAndPage(entries(), { offset: -2, limit: 1 }))).toEqual(['a']);
    expect(names(orderAndPage(entries(), { offset: 2, limit: -1 }))).toEqual([]);
    // A negative limit is no limit counted from the end.
    expect(names(orderAndPage(entries(), { limit: -1 }))).toEqual([]);
    expect(names(orderAndPage(entries(), { offset: 9 }))).toEqual([]);
  });
});

describe('scanFiles', () => {
  it('asks the driver for the extension, skips other prefixes unread, filters, orders and pages', async () => {
    const driver = new MemoryDriver();
    const heads: Record<string, string> = { 'a.pl': H('1'), 'ab.pl': H('2'), 'b.pl': H('3'), 'a.md': H('4'), 'ac.pl': H('5') };
    for (const [name, head] of Object.entries(heads)) await driver.updateHead(name, null, head);
    const commits: Record<string, Commit> = {
      [H('1')]: commit('a.pl', 5, { author: 'ann' }),
      [H('2')]: commit('ab.pl', 7, { author: 'ann' }),
      [H('3')]: commit('b.pl', 9, { author: 'ann' }),
      [H('4')]: commit('a.md', 9, { author: 'ann' }),
      [H('5')]: commit('ac.pl', 8, { author: 'bob' }),
    };
    const loaded: string[] = [];
    const load = async (hash: string) => {
      loaded.push(hash);
      return commits[hash]!;
    };
    const found = await all(scanFiles(driver, load, { ext: 'pl', namePrefix: 'a', author: 'ann', order: 'time' }));
    expect(found).toEqual([
      { name: 'ab.pl', head: H('2'), commit: commits[H('2')] },
      { name: 'a.pl', head: H('1'), commit: commits[H('1')] },
    ]);
    // ac.pl is read (its prefix matches) and left out by its author.
    expect(loaded.sort()).toEqual([H('1'), H('2'), H('5')]);
    expect((await all(scanFiles(driver, load, { limit: 1, offset: 1 }))).map((e) => e.name)).toEqual(['a.pl']);
  });
});

describe('scanSearch', () => {
  const text = `${'x'.repeat(40)}Needle${'y'.repeat(40)}`;
  const blobs: Record<string, string> = { [H('1')]: text, [H('2')]: 'no match here', [H('3')]: 'needle at the start', [H('5')]: 'the end: NEEDLE' };
  const load = async (hash: string): Promise<GitObject | undefined> => (blobs[hash] === undefined ? undefined : { type: 'blob', data: new TextEncoder().encode(blobs[hash]) });
  async function* files(): AsyncIterable<FileEntry> {
    for (const [name, data] of [['one', H('1')], ['two', H('2')], ['three', H('3')], ['gone', H('4')], ['five', H('5')]] as const) yield entry(name, 1, data);
  }

  it('case-insensitive, 30 characters of context each side, missing blobs skipped', async () => {
    const hits = await scanSearch(files(), load, 'nEEdle', {});
    expect(hits.map((h) => [h.name, h.snippet])).toEqual([
      ['one', `${'x'.repeat(30)}Needle${'y'.repeat(30)}`],
      ['three', 'needle at the start'],
      ['five', 'the end: NEEDLE'],
    ]);
    expect(hits[0]!.head).toBe(entry('one', 1).head);
  });

  it('offset and limit', async () => {
    expect((await scanSearch(files(), load, 'needle', { offset: 1 })).map((h) => h.name)).toEqual(['three', 'five']);
    expect((await scanSearch(files(), load, 'needle', { offset: 1, limit: 1 })).map((h) => h.name)).toEqual(['three']);
    expect((await scanSearch(files(), load, 'needle', { offset: -1, limit: 1 })).map((h) => h.name)).toEqual(['one']);
    expect(await scanSearch(files(), load, 'needle', { limit: 0 })).toEqual([]);
  });
});
