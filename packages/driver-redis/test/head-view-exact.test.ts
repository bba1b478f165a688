import { describe, expect, it } from 'vitest';
import { MemoryDriver, type HeadChange } from '@gitty/core';
import { HeadView } from '../src/head-view.js';
import { PersistQueue } from '../src/persist-queue.js';
import { ReplicaState } from '../src/replica-state.js';

// A node's view of the heads, on a memory inner store and an in-memory replica state: which
// changes apply (by stamp), what reaches the inner store and listeners, how many names a commit
// heads, and what happens when the inner store refuses a write.

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);

async function view(inner = new MemoryDriver()) {
  const state = await ReplicaState.open(undefined, 'test');
  const persist = new PersistQueue(inner, { persistQueueEntries: 100, persistQueueBytes: 1 << 20 });
  const heads = new HeadView(inner, state, persist);
  const changes: HeadChange[] = [];
  heads.watch((change) => changes.push(change));
  return { inner, state, persist, heads, changes };
}

describe('HeadView.apply', () => {
  it('applies changes with newer stamps only, and records their stamps', async () => {
    const { heads, state, inner, changes } = await view();
    expect(heads.apply('f', A, '1:1', true)).toBe(true);
    expect(heads.apply('f', B, '1:1', true)).toBe(false);
    expect(heads.apply('f', B, '0:9', true)).toBe(false);
    expect(heads.apply('f', B, '1:2', false)).toBe(true);
    expect(heads.apply('f', C, '2:0', true)).toBe(true);
    expect(heads.heads.get('f')).toBe(C);
    expect(state.stamps.get('f')).toEqual([C, '2:0']);
    expect(changes).toEqual([{ name: 'f', old: null, new: A }, { name: 'f', old: B, new: C }]);
    await heads.flush();
    expect(await inner.getHead('f')).toBe(C);
  });

  it('applies a deletion', async () => {
    const { heads, inner, changes } = await view();
    heads.apply('f', A, '1:1', false);
    expect(heads.apply('f', null, '1:2', true)).toBe(true);
    expect(heads.heads.has('f')).toBe(false);
    expect(changes).toEqual([{ name: 'f', old: A, new: null }]);
    await heads.flush();
    expect(await inner.getHead('f')).toBeUndefined();
  });
});

describe('HeadView.set', () => {
  it('does nothing when the head is already that', async () => {
    const { heads, changes } = await view();
    heads.set('f', null, true);
    heads.set('f', A, true);
    heads.set('f', A, true);
    expect(changes).toEqual([{ name: 'f', old: null, new: A }]);
  });

  it('counts how many names each commit heads', async () => {
    const { heads } = await view();
    heads.set('f', A, false);
    heads.set('g', A, false);
    expect(heads.isHead(A)).toBe(true);
    heads.set('f', B, false);
    expect(heads.isHead(A)).toBe(true);
    expect(heads.isHead(B)).toBe(true);
    heads.set('g', null, false);
    expect(heads.isHead(A)).toBe(false);
    expect(heads.isHead(C)).toBe(false);
    await heads.flush();
  });

  it('tells every listener but the unsubscribed, and none after clearListeners', async () => {
    const { heads, changes } = await view();
    const second: HeadChange[] = [];
    const stop = heads.watch((change) => second.push(change));
    heads.set('f', A, true);
    stop();
    heads.set('f', B, true);
    expect(second).toEqual([{ name: 'f', old: null, new: A }]);
    expect(changes).toHaveLength(2);
    heads.clearListeners();
    heads.set('f', C, true);
    expect(changes).toHaveLength(2);
    await heads.flush();
  });

  it('writes the latest head of a burst to the inner store, whatever it held before', async () => {
    const { heads, inner } = await view();
    await inner.updateHead('f', null, C);
    heads.set('f', A, false);
    heads.set('f', B, false);
    await heads.flush();
    expect(await inner.getHead('f')).toBe(B);
  });
});

describe('HeadView.load', () => {
  it('starts from the inner store\'s heads, and writes the state\'s unwritten heads over them', async () => {
    const { heads, inner, state, changes } = await view();
    await inner.updateHead('f', null, A);
    await inner.updateHead('g', null, A);
    state.unwritten.add('g');
    state.unwritten.add('h');
    state.stamps.set('g', [B, '3:1']);
    await heads.load();
    // Loading is not a change made elsewhere: nobody is told.
    expect(changes).toEqual([]);
    expect(Object.fromEntries(heads.heads)).toEqual({ f: A, g: B });
    expect(heads.isHead(A)).toBe(true);
    expect(heads.isHead(B)).toBe(true);
    expect(state.unwritten.size).toBe(0);
    await heads.flush();
    expect(await inner.getHead('g')).toBe(B);
  });
});

describe('HeadView when the inner store refuses', () => {
  it('remembers the name as unwritten and writes it on retry', async () => {
    class Refusing extends MemoryDriver {
      refuse = true;
      override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
        if (this.refuse) throw Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' });
        return super.updateHead(name, expected, next);
      }
    }
    const inner = new Refusing();
    const { heads } = await view(inner);
    heads.set('f', A, false);
    await heads.flush();
    expect([...heads.unwritten]).toEqual(['f']);
    inner.refuse = false;
    await heads.retryUnwritten();
    expect([...heads.unwritten]).toEqual([]);
    expect(await inner.getHead('f')).toBe(A);
  });

  it('writes over a head another writer moved meanwhile (NOT_AT_HEAD), up to five tries', async () => {
    class Racing extends MemoryDriver {
      races = 0;
      override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
        if (this.races > 0) {
          this.races--;
          // A rival moves the head first; the real CAS below then fails with NOT_AT_HEAD.
          const current = (await super.getHead(name)) ?? null;
          await super.updateHead(name, current, C);
        }
        return super.updateHead(name, expected, next);
      }
    }
    const inner = new Racing();
    inner.races = 4;
    const { heads } = await view(inner);
    heads.set('f', A, false);
    await heads.flush();
    expect(await inner.getHead('f')).toBe(A);
    expect(heads.unwritten.size).toBe(0);
  });

  it('gives up after five lost races, leaving the rival\'s head', async () => {
    class AlwaysRacing extends MemoryDriver {
      calls = 0;
      override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
        this.calls++;
        const current = (await super.getHead(name)) ?? null;
        await super.updateHead(name, current, this.calls % 2 === 0 ? B : C);
        return super.updateHead(name, expected, next);
      }
    }
    const inner = new AlwaysRacing();
    const { heads } = await view(inner);
    heads.set('f', A, false);
    await heads.flush();
    expect(inner.calls).toBe(5);
  });
});
