import { describe, expect, it } from 'vitest';
import { openStore } from '@gitty/core';

describe('smoke', () => {
  it('creates, updates and reads back', async () => {
    const store = await openStore({ driver: 'memory' });
    const c1 = await store.create('a.pl', 'hello\n', { author: 'jan', tags: ['x'] });
    const c2 = await store.update('a.pl', 'hello world\n', { previous: c1.commit });
    expect((await store.get('a.pl')).text).toBe('hello world\n');
    expect(c2.author).toBeUndefined();
    expect(c2.tags).toEqual(['x']);
    const h = await store.history('a.pl');
    expect(h.history.map((c) => c.commit)).toEqual([c2.commit, c1.commit]);
    const d = await store.diff(c2.commit);
    expect(d.data).toContain('+hello world');
    await expect(store.update('a.pl', 'x', { previous: c1.commit })).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
    expect((await store.fsck()).ok).toBe(true);
    await store.close();
  });
});
