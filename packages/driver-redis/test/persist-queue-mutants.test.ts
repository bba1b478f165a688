import { afterEach, describe, expect, it, vi } from 'vitest';
import { PersistQueue } from '../src/persist-queue.js';
import { bytes, expectRoomOnlyAfterRelease, flush, GatedDriver } from './support/gated-driver.js';

// PersistQueue when a held object is dropped (deleted) while the inner store is failing or
// slow, and the same hash is held again: an earlier entry's retry loop or late write must not
// change what the queue says about the later one.

afterEach(() => {
  vi.useRealTimers();
});

describe('PersistQueue after a drop and a new hold of the same hash', () => {
  it('the dropped entry\'s retry loop ending does not clear the new entry\'s failure', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const inner = new GatedDriver();
    inner.fail = true;
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(2));
    await queue.settled();
    await expect(queue.durable()).rejects.toThrow('1 replicated object(s) could not be written to the inner store yet');
    // Dropped while its retry loop sleeps (250 ms), then held again, and that write fails too.
    await queue.drop('a');
    queue.add('a', 'blob', bytes(2));
    await queue.settled();
    await expect(queue.durable()).rejects.toThrow('1 replicated object(s) could not be written to the inner store yet');
    // The first entry's loop wakes, finds itself gone and ends: the new entry is still not written.
    await vi.advanceTimersByTimeAsync(250);
    expect(queue.has('a')).toBe(true);
    expect(inner.stored).toEqual([]);
    await expect(queue.durable()).rejects.toThrow('1 replicated object(s) could not be written to the inner store yet');
    // Its own retries go on (the next one 500 ms after the last).
    inner.fail = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(inner.stored).toEqual(['a']);
    await expect(queue.durable()).resolves.toBeUndefined();
  });

  it('a first write that succeeds leaves nothing failed', async () => {
    const inner = new GatedDriver();
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 1000 });
    queue.add('a', 'blob', bytes(2));
    await expect(queue.durable()).resolves.toBeUndefined();
    expect(queue.has('a')).toBe(false);
    expect(inner.stored).toEqual(['a']);
  });

  it('a retry that lands after its entry was dropped frees no bytes a second time', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const inner = new GatedDriver();
    inner.fail = true;
    const queue = new PersistQueue(inner, { persistQueueEntries: 10, persistQueueBytes: 4 });
    queue.add('a', 'blob', bytes(3));
    await queue.settled();
    // The retry after 250 ms reaches the store and waits there; meanwhile the entry is dropped.
    inner.fail = false;
    inner.held = [];
    await vi.advanceTimersByTimeAsync(250);
    expect(inner.held.length).toBe(1);
    await queue.drop('a');
    expect(queue.has('a')).toBe(false);
    inner.release();
    await flush();
    expect(inner.stored).toEqual(['a']);
    // Held now: 4 bytes, at the limit of 4, so the stream's application must wait.
    inner.held = [];
    queue.add('b', 'blob', bytes(4));
    await expectRoomOnlyAfterRelease(queue, inner);
  });
});
