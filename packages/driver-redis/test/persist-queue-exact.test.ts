import { afterEach, describe, expect, it, vi } from 'vitest';
import { PersistQueue } from '../src/persist-queue.js';
import { askRoom, bytes, expectRoomOnlyAfterRelease, flush, GatedDriver } from './support/gated-driver.js';

// The queue between a verified replicated object and the inner store, on a memory driver whose
// writes the test holds, fails or lets through: what is readable when, the limits that hold
// the stream back, the retry schedule, drop and close.

afterEach(() => {
  vi.useRealTimers();
});

describe('PersistQueue reads', () => {
  it('holds an object until the inner store has it, and gives copies', async () => {
    const inner = new GatedDriver();
    inner.held = [];
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    const data = bytes(3, 7);
    queue.add('a', 'blob', data);
    expect(queue.has('a')).toBe(true);
    expect(queue.hashes()).toEqual(['a']);
    expect(queue.pending).toBe(1);
    const copy = queue.get('a')!;
    expect(copy).toEqual({ type: 'blob', data: bytes(3, 7) });
    copy.data[0] = 0;
    expect(queue.get('a')!.data[0]).toBe(7);
    expect(queue.get('missing')).toBeUndefined();
    inner.release();
    await queue.settled();
    expect(queue.has('a')).toBe(false);
    expect(queue.get('a')).toBeUndefined();
    expect(queue.pending).toBe(0);
    expect(inner.stored).toEqual(['a']);
  });

  it('takes an object it already holds once', async () => {
    const inner = new GatedDriver();
    inner.held = [];
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(1));
    queue.add('a', 'blob', bytes(1));
    expect(queue.pending).toBe(1);
    inner.release();
    await queue.durable();
    expect(inner.stored).toEqual(['a']);
  });
});

describe('PersistQueue limits', () => {
  it('holds room() back at the entry limit, counting head writes, until one leaves', async () => {
    const inner = new GatedDriver();
    inner.held = [];
    const queue = new PersistQueue(inner, { persistQueueEntries: 2, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(1));
    await queue.room();
    const done = queue.beginHeadWrite();
    expect(queue.pending).toBe(2);
    const roomy = askRoom(queue);
    await flush();
    expect(roomy()).toBe(false);
    done();
    await flush();
    expect(roomy()).toBe(true);
    // Calling it again counts nothing more.
    done();
    expect(queue.pending).toBe(1);
    inner.release();
    await queue.settled();
  });

  it('holds room() back at the byte limit, but lets one object larger than it through alone', async () => {
    const inner = new GatedDriver();
    inner.held = [];
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 4 });
    await queue.room();
    queue.add('big', 'blob', bytes(9));
    await expectRoomOnlyAfterRelease(queue, inner);
    const gated = new GatedDriver();
    gated.held = [];
    const atLimit = new PersistQueue(gated, { persistQueueEntries: 10, persistQueueBytes: 4 });
    atLimit.add('x', 'blob', bytes(3));
    const under = askRoom(atLimit);
    await flush();
    expect(under()).toBe(true);
    atLimit.add('y', 'blob', bytes(1));
    const over = askRoom(atLimit);
    await flush();
    expect(over()).toBe(false);
    atLimit.unblock();
    await flush();
    expect(over()).toBe(true);
    gated.release();
    await atLimit.settled();
  });

  it('frees the bytes of a stored object once, whether or not it is dropped afterwards', async () => {
    const inner = new GatedDriver();
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 4 });
    queue.add('a', 'blob', bytes(3));
    await queue.settled();
    await queue.drop('a');
    inner.held = [];
    queue.add('b', 'blob', bytes(3));
    const roomy = askRoom(queue);
    await flush();
    // 3 bytes held, under the limit of 4: a count off by the first object's 3 bytes either way would differ.
    expect(roomy()).toBe(true);
    queue.add('c', 'blob', bytes(1));
    const full = askRoom(queue);
    await flush();
    expect(full()).toBe(false);
    inner.release();
    await queue.settled();
  });

  it('frees nothing twice when drop() waits on an attempt that stores the object', async () => {
    const inner = new GatedDriver();
    inner.held = [];
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 4 });
    queue.add('a', 'blob', bytes(3));
    const dropped = queue.drop('a');
    inner.release();
    await dropped;
    inner.held = [];
    queue.add('b', 'blob', bytes(4));
    const roomy = askRoom(queue);
    await flush();
    expect(roomy()).toBe(false);
    inner.release();
    await queue.settled();
  });

  it('lets room() through at once after unblock, however full', async () => {
    const inner = new GatedDriver();
    inner.held = [];
    const queue = new PersistQueue(inner, { persistQueueEntries: 1, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(1));
    queue.unblock();
    await queue.room();
    inner.release();
    await queue.settled();
  });
});

describe('PersistQueue failures', () => {
  it('reports a failed object in durable() and retries it at 250 ms, doubling to 5 s', async () => {
    vi.useFakeTimers();
    const inner = new GatedDriver();
    inner.fail = true;
    let attempts = 0;
    const store = inner.storeObject.bind(inner);
    inner.storeObject = async (...args) => {
      attempts++;
      return store(...args);
    };
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(2));
    await expect(queue.durable()).rejects.toThrow('1 replicated object(s) could not be written to the inner store yet');
    await queue.settled();
    expect(attempts).toBe(1);
    expect(queue.get('a')).toEqual({ type: 'blob', data: bytes(2) });
    const schedule = [250, 500, 1000, 2000, 4000, 5000, 5000];
    for (const [i, delay] of schedule.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      expect(attempts).toBe(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      expect(attempts).toBe(i + 2);
    }
    inner.fail = false;
    await vi.advanceTimersByTimeAsync(5000);
    expect(queue.has('a')).toBe(false);
    await expect(queue.durable()).resolves.toBeUndefined();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(attempts).toBe(schedule.length + 2);
  });

  it('retries failed objects on demand, and on close once more before it stops', async () => {
    vi.useFakeTimers();
    const inner = new GatedDriver();
    inner.fail = true;
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(1));
    queue.add('b', 'blob', bytes(1));
    await queue.settled();
    await queue.retryFailed();
    await expect(queue.durable()).rejects.toThrow('2 replicated object(s) could not be written to the inner store yet');
    inner.fail = false;
    await queue.retryFailed();
    await expect(queue.durable()).resolves.toBeUndefined();
    expect(inner.stored.sort()).toEqual(['a', 'b']);
    inner.fail = true;
    queue.add('c', 'blob', bytes(1));
    await queue.settled();
    await queue.close();
    const before = inner.stored.length;
    inner.fail = false;
    await vi.advanceTimersByTimeAsync(30_000);
    // Closed: no retry wrote it, it stays readable from memory, and it is still not durable.
    expect(inner.stored.length).toBe(before);
    expect(queue.has('c')).toBe(true);
    await expect(queue.durable()).rejects.toThrow('1 replicated object(s) could not be written to the inner store yet');
  });

  it('drop() forgets an object after its first attempt, and no retry writes it', async () => {
    vi.useFakeTimers();
    const inner = new GatedDriver();
    inner.fail = true;
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(5));
    await queue.drop('a');
    expect(queue.has('a')).toBe(false);
    expect(queue.pending).toBe(0);
    await expect(queue.durable()).resolves.toBeUndefined();
    inner.fail = false;
    await vi.advanceTimersByTimeAsync(30_000);
    expect(inner.stored).toEqual([]);
    await queue.drop('never-held');
  });

  it('drop() frees its bytes for room()', async () => {
    const inner = new GatedDriver();
    inner.fail = true;
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 4 });
    queue.add('a', 'blob', bytes(2));
    queue.add('b', 'blob', bytes(2));
    await queue.settled();
    const roomy = askRoom(queue);
    await flush();
    expect(roomy()).toBe(false);
    await queue.drop('a');
    await flush();
    expect(roomy()).toBe(true);
    await queue.close();
  });
});
