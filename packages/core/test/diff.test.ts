import { describe, expect, it } from 'vitest';
import { diffVersions, openStore, type Commit } from '@gitty/core';

function version(hash: string, text: string | Uint8Array, tags?: string[], previous?: string): { commit: Commit; data: Uint8Array } {
  const data = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  return { commit: { commit: hash.padEnd(40, '0'), name: 'f.pl', data: 'd', time: 1, tags, previous }, data };
}

describe('diff', () => {
  it('gives a unified diff of text with the versions in the file headers', () => {
    const d = diffVersions(version('aa', 'one\ntwo\nthree\n'), version('bb', 'one\n2\nthree\n'));
    expect(d.data).toContain('--- f.pl@aa00000000');
    expect(d.data).toContain('+++ f.pl@bb00000000');
    expect(d.data).toContain('-two\n+2\n');
    expect(d.binary).toBeUndefined();
    expect(diffVersions(version('aa', 'same'), version('bb', 'same')).data).toBe('');
  });

  it('reports tags added and deleted, ignoring non-string tags', () => {
    const d = diffVersions(version('aa', 'x', ['a', 'b']), version('bb', 'x', ['b', 'c']));
    expect(d.tags).toEqual({ added: ['c'], deleted: ['a'] });
    const odd = version('cc', 'x');
    odd.commit.tags = [1, 'z'] as unknown as string[];
    expect(diffVersions(null, odd).tags).toEqual({ added: ['z'], deleted: [] });
    // Sorted by code point, as SWISH's gitty_diff sorts tag sets (an astral 😀 after U+FF5E).
    const sorted = diffVersions(version('dd', 'x', ['q', 'b', '😀']), version('ee', 'x', ['😀', 'z', '～', 'B', 'a']));
    expect(sorted.tags).toEqual({ added: ['B', 'a', 'z', '～'], deleted: ['b', 'q'] });
  });

  it('binary versions: only whether they differ', () => {
    const d = diffVersions(version('aa', new Uint8Array([0xff, 1])), version('bb', new Uint8Array([0xff, 2])));
    expect(d.binary).toBe(true);
    expect(d.data).toMatch(/^Binary versions aa0+ and bb0+ differ\n$/);
    expect(diffVersions(version('aa', new Uint8Array([0xff])), version('bb', new Uint8Array([0xff]))).data).toBe('');
    expect(diffVersions(version('aa', 'text'), version('bb', new Uint8Array([0xc3]))).binary).toBe(true);
  });

  it('through the Store: the initial version diffs against nothing, later ones against their previous', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const c1 = await store.create('f.pl', 'a\n', { tags: ['x'] });
      const c2 = await store.update('f.pl', 'a\nb\n', { previous: c1.commit, tags: ['y'] });
      const initial = await store.diff(c1.commit);
      expect(initial.initial).toBe(true);
      expect(initial.from).toBe(null);
      expect(initial.data).toContain('--- /dev/null');
      expect(initial.data).toContain('+a');
      expect((await store.diff(null, c1.commit)).initial).toBe(true);
      const second = await store.diff('f.pl');
      expect(second.initial).toBeUndefined();
      expect(second.from?.commit).toBe(c1.commit);
      expect(second.to.commit).toBe(c2.commit);
      expect(second.data).toContain('+b');
      expect(second.tags).toEqual({ added: ['y'], deleted: ['x'] });
      const reverse = await store.diff(c2.commit, c1.commit);
      expect(reverse.data).toContain('-b');
      expect(reverse.tags).toEqual({ added: ['x'], deleted: ['y'] });
    } finally {
      await store.close();
    }
  });
});
