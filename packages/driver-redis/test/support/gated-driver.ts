// What the PersistQueue tests share: an inner store whose writes the test holds, fails or lets
// through, so each test decides when (and whether) an object lands, and a watch on room().
import { expect } from 'vitest';
import { MemoryDriver } from '@gitty/core';
import type { PersistQueue } from '../../src/persist-queue.js';

/** A memory driver whose storeObject waits for the test (held) or fails (fail). */
export class GatedDriver extends MemoryDriver {
  fail = false;
  held: Array<() => void> | undefined;
  stored: string[] = [];

  override async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    if (this.held) await new Promise<void>((resolve) => this.held!.push(resolve));
    if (this.fail) throw Object.assign(new Error('no space'), { code: 'STORAGE_FULL' });
    // Recorded, not stored: the queue never reads back, and the names here are not real hashes.
    void type;
    void data;
    this.stored.push(hash);
    return true;
  }

  release(): void {
    const waiting = this.held ?? [];
    this.held = undefined;
    for (const resolve of waiting) resolve();
  }
}

/** `n` bytes of `fill`. */
export const bytes = (n: number, fill = 1) => new Uint8Array(n).fill(fill);

/** Wait one turn of the event loop (setImmediate), so pending writes and their callbacks run. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Ask `queue` for room (room()) without waiting: the function returned says whether it was given yet. */
export function askRoom(queue: PersistQueue): () => boolean {
  let given = false;
  void queue.room().then(() => (given = true));
  return () => given;
}

/** room() asked now is not given while `inner` holds the writes, and is given once they are stored. */
export async function expectRoomOnlyAfterRelease(queue: PersistQueue, inner: GatedDriver): Promise<void> {
  const roomy = askRoom(queue);
  await flush();
  expect(roomy()).toBe(false);
  inner.release();
  await queue.settled();
  await flush();
  expect(roomy()).toBe(true);
}
