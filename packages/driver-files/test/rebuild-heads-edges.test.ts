import { describe, expect, it } from 'vitest';
import { CorruptObjectError, encodeCommit, type GitObject, type Progress } from '@gitty/core';
import { pickTip, rebuildHeads, type CommitSource } from '@gitty/driver-files';

const hex = (n: number) => n.toString(16).padStart(40, '0');
const DATA = 'd'.repeat(40);
/** The blob every test commit names as `data`: a commit whose blob is not listed is left out. */
const dataBlob: [string, GitObject] = [DATA, { type: 'blob', data: new Uint8Array() }];

/** A source serving `objects` by hash, in the listed order, without verifying hashes (so cycles can be built). */
function source(objects: [string, GitObject | 'corrupt' | 'boom'][]): CommitSource {
  const byHash = new Map(objects);
  return {
    objects: async function* () {
      for (const [hash] of objects) yield hash;
    },
    loadObject: async (hash: string) => {
      const found = byHash.get(hash);
      if (found === 'corrupt') throw new CorruptObjectError(hash, 'test', 'damaged');
      if (found === 'boom') throw new Error('disk on fire');
      return found;
    },
  };
}

function commit(name: string, time: number, previous?: string): GitObject {
  return { type: 'commit', data: encodeCommit({ name, data: DATA, time, ...(previous ? { previous } : {}) }) };
}

describe('rebuildHeads beyond the chain rule', () => {
  it('skips blobs, missing and corrupt objects and ignored commits; other errors propagate', async () => {
    const objects: [string, GitObject | 'corrupt' | 'boom'][] = [
      [hex(1), commit('a.pl', 1)],
      [hex(2), { type: 'blob', data: new Uint8Array() }],
      [hex(3), 'corrupt'],
      [hex(4), commit('a.pl', 2, hex(1))],
      [hex(5), { type: 'commit', data: new TextEncoder().encode('{"not":"a commit"}') }],
      [hex(6), commit('b.pl', 1)],
      dataBlob,
    ];
    expect(await rebuildHeads(source(objects))).toEqual([{ name: 'a.pl', head: hex(4) }, { name: 'b.pl', head: hex(6) }]);
    // A writer rebuilding inside its own CAS leaves out the commit it is about to acknowledge.
    expect(await rebuildHeads(source(objects), undefined, { ignore: new Set([hex(4), hex(6)]) })).toEqual([{ name: 'a.pl', head: hex(1) }]);
    const withMissing = source([[hex(7), commit('c.pl', 1)], dataBlob]);
    const missingFirst: CommitSource = {
      objects: async function* () {
        yield hex(99);
        yield* withMissing.objects();
      },
      loadObject: withMissing.loadObject,
    };
    expect(await rebuildHeads(missingFirst)).toEqual([{ name: 'c.pl', head: hex(7) }]);
    await expect(rebuildHeads(source([[hex(8), 'boom']]))).rejects.toThrow('disk on fire');
  });

  it('sorts heads by name (code unit order)', async () => {
    const names = ['b.pl', 'B.pl', 'a.pl', 'aa.pl', '_.pl'];
    const heads = await rebuildHeads(source([...names.map((name, i): [string, GitObject] => [hex(i + 1), commit(name, 1)]), dataBlob]));
    expect(heads.map((h) => h.name)).toEqual(['B.pl', '_.pl', 'a.pl', 'aa.pl', 'b.pl']);
  });

  it('reports progress at the start, every 500 objects, and at the end', async () => {
    const objects: [string, GitObject][] = [];
    for (let i = 1; i <= 1200; i++) objects.push([hex(i), { type: 'blob', data: new Uint8Array() }]);
    const seen: Progress[] = [];
    expect(await rebuildHeads(source(objects), (p) => seen.push(p))).toEqual([]);
    expect(seen).toEqual([
      { phase: 'rebuild-heads', done: 0, total: 1200 },
      { phase: 'rebuild-heads', done: 500, total: 1200 },
      { phase: 'rebuild-heads', done: 1000, total: 1200 },
      { phase: 'rebuild-heads', done: 1200, total: 1200 },
    ]);
  });

  it('pickTip falls back to the newest time (then the greater hash) when a crafted cycle leaves no tip', () => {
    const a = { hash: hex(1), time: 5, previous: hex(2) };
    const b = { hash: hex(2), time: 9, previous: hex(1) };
    expect(pickTip([a, b])).toBe(hex(2));
    expect(pickTip([b, a])).toBe(hex(2));
    const c = { hash: hex(3), time: 9, previous: hex(1) };
    const d = { hash: hex(1), time: 9, previous: hex(3) };
    expect(pickTip([c, d])).toBe(hex(3));
    expect(pickTip([d, c])).toBe(hex(3));
    // A single tip wins over newer commits that are not tips.
    expect(pickTip([{ hash: hex(4), time: 1, previous: hex(5) }, { hash: hex(5), time: 100, previous: undefined }])).toBe(hex(4));
  });
});
