import { describe, expect, it } from 'vitest';
import { encodeCommit, type GitObject } from '@gitty/core';
import { rebuildHeads, type CommitSource } from '@gitty/driver-files';

const hex = (n: number) => n.toString(16).padStart(40, '0');
const DATA = 'd'.repeat(40);

/** Serves `objects` in the listed order, without verifying hashes (so cycles and look-alikes can be built). */
function source(objects: [string, GitObject][]): CommitSource {
  const byHash = new Map(objects);
  return {
    objects: async function* () {
      for (const [hash] of objects) yield hash;
    },
    loadObject: async (hash: string) => byHash.get(hash),
  };
}

const commit = (name: string, time: number, previous?: string): GitObject =>
  ({ type: 'commit', data: encodeCommit({ name, data: DATA, time, ...(previous ? { previous } : {}) }) });
const blob: [string, GitObject] = [DATA, { type: 'blob', data: new Uint8Array() }];

describe('rebuildHeads, exactly', () => {
  it('runs without a progress listener past 500 objects', async () => {
    const objects: [string, GitObject][] = [blob];
    for (let i = 1; i <= 600; i++) objects.push([hex(i), { type: 'blob', data: new Uint8Array([i % 256]) }]);
    objects.push([hex(1000), commit('a.pl', 1)]);
    expect(await rebuildHeads(source(objects))).toEqual([{ name: 'a.pl', head: hex(1000) }]);
  });

  it('a blob whose bytes are a commit\'s is no commit', async () => {
    const looksLikeCommit: GitObject = { type: 'blob', data: commit('b.pl', 5).data };
    expect(await rebuildHeads(source([blob, [hex(1), commit('a.pl', 1)], [hex(2), looksLikeCommit]]))).toEqual([{ name: 'a.pl', head: hex(1) }]);
  });

  it('a crafted cycle (no tip) falls back to the newest commit of the name, also through rebuildHeads', async () => {
    const objects: [string, GitObject][] = [blob, [hex(1), commit('a.pl', 5, hex(2))], [hex(2), commit('a.pl', 9, hex(1))]];
    expect(await rebuildHeads(source(objects))).toEqual([{ name: 'a.pl', head: hex(2) }]);
    expect(await rebuildHeads(source([objects[0]!, objects[2]!, objects[1]!]))).toEqual([{ name: 'a.pl', head: hex(2) }]);
  });
});
