import { describe, expect, it } from 'vitest';
import { encodeCommit, hashObject, MemoryDriver, type Driver } from '@gitty/core';
import { delegateOptional, ensureHeadObjects, KnownObjects } from '../src/driver-support.js';

// The replication helpers exactly: which hashes count as known, how a head's missing history is
// fetched (and where the walk stops), and which optional methods a node passes on.

const text = (s: string) => new TextEncoder().encode(s);

describe('KnownObjects', () => {
  it('wraps its ring round and round, forgetting in insertion order', () => {
    const known = new KnownObjects(2);
    for (const hash of ['a', 'b', 'c', 'd', 'e']) known.add(hash);
    expect(['a', 'b', 'c', 'd', 'e'].map((h) => known.has(h))).toEqual([false, false, false, true, true]);
  });

  it('forgets a deleted hash, and a re-added one counts once', () => {
    const known = new KnownObjects(2);
    known.add('a');
    known.delete('a');
    expect(known.has('a')).toBe(false);
    known.add('a');
    expect(known.has('a')).toBe(true);
  });

  it('keeps a hash added again at its own slot when the ring comes back to it', () => {
    const known = new KnownObjects(1);
    known.add('a');
    known.delete('a');
    known.add('a');
    expect(known.has('a')).toBe(true);
  });

  it('takes the blob and previous hashes a commit names, nothing else', () => {
    const known = new KnownObjects();
    const data = 'd'.repeat(40);
    const previous = 'e'.repeat(40);
    const other = 'f'.repeat(40);
    known.addReferences(text(`{"author":"${other}","data":"${data}","previous":"${previous}","x":"${'a'.repeat(39)}"}`));
    expect([data, previous, other, 'a'.repeat(39)].map((h) => known.has(h))).toEqual([true, true, false, false]);
    // A view into a larger buffer reads only its own bytes.
    const buffer = text(`{"data":"${'1'.repeat(40)}"}{"data":"${'2'.repeat(40)}"}`);
    known.addReferences(buffer.subarray(0, 50));
    expect(known.has('1'.repeat(40))).toBe(true);
    expect(known.has('2'.repeat(40))).toBe(false);
  });
});

/** A history of `count` commits of one file, all in `source`; returns their hashes, oldest first, and their blobs. */
async function history(source: MemoryDriver, count: number): Promise<{ commits: string[]; blobs: string[] }> {
  const commits: string[] = [];
  const blobs: string[] = [];
  for (let i = 0; i < count; i++) {
    const blob = text(`version ${i}`);
    const blobHash = hashObject('blob', blob);
    await source.storeObject(blobHash, 'blob', blob);
    const body = encodeCommit({ name: 'f.txt', data: blobHash, time: i, ...(i > 0 ? { previous: commits[i - 1] } : {}) });
    const commitHash = hashObject('commit', body);
    await source.storeObject(commitHash, 'commit', body);
    commits.push(commitHash);
    blobs.push(blobHash);
  }
  return { commits, blobs };
}

function fetcher(source: MemoryDriver, target: MemoryDriver, asked: string[]) {
  return async (hash: string) => {
    asked.push(hash);
    const object = await source.loadObject(hash);
    if (object) await target.storeObject(hash, object.type, object.data);
  };
}

describe('ensureHeadObjects', () => {
  it('fetches every missing commit and blob back to the first, newest first', async () => {
    const source = new MemoryDriver();
    const target = new MemoryDriver();
    const { commits, blobs } = await history(source, 3);
    const asked: string[] = [];
    const known = new KnownObjects();
    await ensureHeadObjects(commits[2]!, target, fetcher(source, target, asked), known);
    expect(asked).toEqual([commits[2], blobs[2], commits[1], blobs[1], commits[0], blobs[0]]);
    expect(known.has(blobs[2]!)).toBe(true);
    expect(known.has(commits[1]!)).toBe(true);
  });

  it('stops at the first commit this node has', async () => {
    const source = new MemoryDriver();
    const target = new MemoryDriver();
    const { commits, blobs } = await history(source, 3);
    const present = await source.loadObject(commits[0]!);
    await target.storeObject(commits[0]!, 'commit', present!.data);
    const asked: string[] = [];
    await ensureHeadObjects(commits[2]!, target, fetcher(source, target, asked), new KnownObjects());
    expect(asked).toEqual([commits[2], blobs[2], commits[1], blobs[1]]);
    const none: string[] = [];
    await ensureHeadObjects(commits[2]!, target, fetcher(source, target, none), new KnownObjects());
    expect(none).toEqual([]);
  });

  it('does not fetch a blob it already has', async () => {
    const source = new MemoryDriver();
    const target = new MemoryDriver();
    const { commits, blobs } = await history(source, 1);
    await target.storeObject(blobs[0]!, 'blob', text('version 0'));
    const asked: string[] = [];
    await ensureHeadObjects(commits[0]!, target, fetcher(source, target, asked), new KnownObjects());
    expect(asked).toEqual([commits[0]]);
  });

  it('stops quietly when the fetched object is not there or not a commit, or the fetch fails', async () => {
    const source = new MemoryDriver();
    const target = new MemoryDriver();
    const asked: string[] = [];
    await ensureHeadObjects('a'.repeat(40), target, fetcher(source, target, asked), new KnownObjects());
    expect(asked).toEqual(['a'.repeat(40)]);
    const blob = text('not a commit');
    const blobHash = hashObject('blob', blob);
    await source.storeObject(blobHash, 'blob', blob);
    const blobAsked: string[] = [];
    await ensureHeadObjects(blobHash, target, fetcher(source, target, blobAsked), new KnownObjects());
    expect(blobAsked).toEqual([blobHash]);
    // A blob whose text looks like a commit's references is not read as one.
    const lookalike = text(`{"data":"${'c'.repeat(40)}"}`);
    const lookalikeHash = hashObject('blob', lookalike);
    await source.storeObject(lookalikeHash, 'blob', lookalike);
    const known = new KnownObjects();
    await ensureHeadObjects(lookalikeHash, target, fetcher(source, target, []), known);
    expect(known.has('c'.repeat(40))).toBe(false);
    await expect(ensureHeadObjects('b'.repeat(40), target, async () => { throw new Error('unavailable'); }, new KnownObjects())).resolves.toBeUndefined();
  });
});

describe('delegateOptional', () => {
  it('passes on only the optional methods the inner driver has, refusing after close', async () => {
    const calls: unknown[][] = [];
    const inner = {
      name: 'inner',
      async repack(...args: unknown[]) {
        calls.push(['repack', this === inner, ...args]);
        return 'packed';
      },
      async fsck() {
        return 'checked';
      },
      reindex: 'not a function',
    } as unknown as Driver;
    const outer = {} as Record<string, unknown>;
    let closed = false;
    delegateOptional(outer as unknown as Driver, inner, () => {
      if (closed) throw Object.assign(new Error('closed'), { code: 'CLOSED' });
    });
    expect(Object.keys(outer).sort()).toEqual(['fsck', 'repack']);
    expect(await (outer.repack as (...a: unknown[]) => Promise<unknown>)(1, 'two')).toBe('packed');
    expect(calls).toEqual([['repack', true, 1, 'two']]);
    expect(await (outer.fsck as () => Promise<unknown>)()).toBe('checked');
    closed = true;
    await expect((outer.repack as () => Promise<unknown>)()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(calls).toHaveLength(1);
  });

  it('covers every optional method a driver may have', () => {
    const names = ['objectTime', 'repack', 'unpack', 'reindex', 'prune', 'fsck', 'queryFiles', 'queryHistory', 'search'];
    const inner = Object.fromEntries(names.map((n) => [n, async () => n])) as unknown as Driver;
    const outer = {} as Record<string, unknown>;
    delegateOptional(outer as unknown as Driver, inner, () => undefined);
    expect(Object.keys(outer).sort()).toEqual([...names].sort());
  });
});
