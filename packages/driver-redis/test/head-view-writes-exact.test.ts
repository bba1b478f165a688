import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashObject, MemoryDriver } from '@gitty/core';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { HeadView } from '../src/head-view.js';
import { PersistQueue } from '../src/persist-queue.js';
import { ReplicaState } from '../src/replica-state.js';

// How the head view writes through to the inner store while replicated objects are still on
// their way there (PersistQueue): a head is written only after the objects held before it, the
// head written is the newest one whose objects are in, a write that changes nothing is not made,
// and the view's bookkeeping (pending head writes, the saved state) is exact.

const removers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const remove of removers.splice(0)) await remove();
});

/** A memory store whose object writes wait for `open()`, and which records every head write with whether its object was there. */
class Gated extends MemoryDriver {
  private gate: Promise<void> = Promise.resolve();
  private opener: () => void = () => undefined;
  readonly headWrites: Array<{ name: string; expected: string | null; next: string | null; objectThere: boolean }> = [];
  failObjects = false;

  close_(): void {
    this.gate = new Promise<void>((resolve) => (this.opener = resolve));
  }

  open(): void {
    this.opener();
  }

  override async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    await this.gate;
    if (this.failObjects) throw Object.assign(new Error('disk full'), { code: 'STORAGE_FULL' });
    return super.storeObject(hash, type, data);
  }

  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.headWrites.push({ name, expected, next, objectThere: next === null || (await super.hasObject(next)) });
    return super.updateHead(name, expected, next);
  }
}

async function parts(inner: MemoryDriver, dir?: string) {
  const state = await ReplicaState.open(dir, 'test');
  const persist = new PersistQueue(inner, { persistQueueEntries: 100, persistQueueBytes: 1 << 20 });
  const view = new HeadView(inner, state, persist);
  return { state, persist, view };
}

function object(text: string) {
  const data = new TextEncoder().encode(text);
  return { hash: hashObject('blob', data), data };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('HeadView write-through with objects on their way', () => {
  it('writes a head only once the objects held before it are in the inner store', async () => {
    const inner = new Gated();
    const { persist, view } = await parts(inner);
    const x = object('x');
    inner.close_();
    persist.add(x.hash, 'blob', x.data);
    view.set('f', x.hash, false);
    await tick();
    expect(inner.headWrites).toEqual([]);
    expect(persist.pending).toBe(2); // the object and the head write
    inner.open();
    await view.flush();
    expect(inner.headWrites).toEqual([{ name: 'f', expected: null, next: x.hash, objectThere: true }]);
    expect(persist.pending).toBe(0);
    expect(view.unwritten.size).toBe(0);
  });

  it('writes the newest head whose objects are in, once, when the head moves during the wait', async () => {
    const inner = new Gated();
    const { persist, view } = await parts(inner);
    const x = object('first');
    const y = object('second');
    inner.close_();
    persist.add(x.hash, 'blob', x.data);
    view.set('f', x.hash, false);
    await tick();
    persist.add(y.hash, 'blob', y.data);
    view.set('f', y.hash, false);
    inner.open();
    await view.flush();
    expect(inner.headWrites).toEqual([{ name: 'f', expected: null, next: y.hash, objectThere: true }]);
    expect(await inner.getHead('f')).toBe(y.hash);
    expect(persist.pending).toBe(0);
  });

  it('makes no write when the inner store already has the head', async () => {
    const inner = new Gated();
    await inner.updateHead('f', null, 'a'.repeat(40));
    inner.headWrites.length = 0;
    const { view } = await parts(inner);
    view.set('f', 'a'.repeat(40), false);
    await view.flush();
    expect(inner.headWrites).toEqual([]);
    view.set('f', null, false);
    await view.flush();
    expect(inner.headWrites).toEqual([{ name: 'f', expected: 'a'.repeat(40), next: null, objectThere: true }]);
    expect(await inner.getHead('f')).toBeUndefined();
    view.set('g', null, false); // never there: nothing to write
    await view.flush();
    expect(inner.headWrites).toHaveLength(1);
  });

  it('leaves the head unwritten while an object before it failed, and writes it once the object is in', async () => {
    const inner = new Gated();
    const { persist, view } = await parts(inner);
    const x = object('fails first');
    inner.failObjects = true;
    persist.add(x.hash, 'blob', x.data);
    view.set('f', x.hash, false);
    await view.flush();
    expect(inner.headWrites).toEqual([]);
    expect([...view.unwritten]).toEqual(['f']);
    expect(persist.pending).toBe(1); // the object, still held
    inner.failObjects = false;
    await persist.retryFailed();
    await view.retryUnwritten();
    expect(inner.headWrites).toEqual([{ name: 'f', expected: null, next: x.hash, objectThere: true }]);
    expect(view.unwritten.size).toBe(0);
    expect(persist.pending).toBe(0);
  });

  it('retryUnwritten resolves at once with nothing to retry', async () => {
    const inner = new Gated();
    const { view } = await parts(inner);
    await view.retryUnwritten();
    expect(inner.headWrites).toEqual([]);
  });
});

describe('HeadView write-through while the head keeps moving', () => {
  it('waits for the held objects at most three times more, then writes the head it last waited for', async () => {
    // A stand-in queue whose waits move the head: the first four waits each set a new head (as
    // replicated changes arriving during the wait would); later waits move nothing.
    const inner = new Gated();
    const state = await ReplicaState.open(undefined, 'test');
    const heads = ['b', 'c', 'd', 'e'].map((c) => c.repeat(40));
    let waits = 0;
    const persist = {
      beginHeadWrite: () => () => undefined,
      durable: async () => {
        const next = heads[waits++];
        if (next !== undefined) view.set('f', next, false);
      },
    };
    const view = new HeadView(inner, state, persist as unknown as PersistQueue);
    view.set('f', 'a'.repeat(40), false);
    await view.flush();
    await view.flush(); // the writes the moves queued during the first one
    expect(waits).toBe(8);
    // The first write: its first wait (head -> b), then three more (-> c, d, e): it writes d,
    // the head as it stood before its last wait. The writes queued by the moves bring it to e.
    expect(inner.headWrites).toEqual([
      { name: 'f', expected: null, next: 'd'.repeat(40), objectThere: false },
      { name: 'f', expected: 'd'.repeat(40), next: 'e'.repeat(40), objectThere: false },
    ]);
    expect(await inner.getHead('f')).toBe('e'.repeat(40));
    expect(view.unwritten.size).toBe(0);
  });
});

describe('HeadView and the saved state', () => {
  it('an applied change is saved with its stamp', async () => {
    const made = await tempDir('gitty-head-view-');
    removers.push(made.remove);
    const { view, state } = await parts(new MemoryDriver(), made.dir);
    expect(view.apply('f', 'a'.repeat(40), '2:1', false)).toBe(true);
    const file = path.join(made.dir, 'redis-replica-test.json');
    await waitFor(async () => (await readFile(file, 'utf8').catch(() => '')).includes('2:1'), 5_000);
    expect(JSON.parse(await readFile(file, 'utf8')).stamps).toEqual({ f: ['a'.repeat(40), '2:1'] });
    await state.save();
  });

  it('a deletion of an unknown name is applied and remembered as a tombstone', async () => {
    const { view, state } = await parts(new MemoryDriver());
    expect(view.apply('gone', null, '3:2', true)).toBe(true);
    expect(state.stamps.get('gone')).toEqual([null, '3:2']);
    expect(view.heads.has('gone')).toBe(false);
  });
});
