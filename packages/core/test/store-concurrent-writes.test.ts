import { describe, expect, it } from 'vitest';
import { MemoryDriver, openStore } from '@gitty/core';

/**
 * Holds every blob write until a commit write has begun: a version's write completes only if
 * the store starts its blob and commit writes together (what lets a group commit flush both
 * at once); a store writing the blob first, then the commit, waits forever.
 */
class BlobWaitsForCommit extends MemoryDriver {
  readonly events: string[] = [];
  private commitStarted!: () => void;
  private readonly commitSeen = new Promise<void>((resolve) => {
    this.commitStarted = resolve;
  });

  override async storeObject(hash: string, type: string, data: Uint8Array): Promise<boolean> {
    if (type === 'commit') this.commitStarted();
    else if (type === 'blob') await this.commitSeen;
    const stored = await super.storeObject(hash, type, data);
    this.events.push(`${type} stored`);
    return stored;
  }

  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    this.events.push('head');
    return super.updateHead(name, expected, next);
  }

  /** Lets a held blob write finish, so nothing is left pending when the test ends. */
  release(): void {
    this.commitStarted();
  }
}

describe('Store: writing a version', () => {
  it('stores the blob and the commit concurrently, and moves the head only after both are stored', async () => {
    const driver = new BlobWaitsForCommit();
    const store = await openStore(driver);
    const created = store.create('a.pl', 'one');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), 2000);
    });
    try {
      const winner = await Promise.race([created.then(() => 'created' as const), timeout]);
      expect(winner, 'the blob write waited for a commit write that never started').toBe('created');
      const commit = await created;
      expect(driver.events.slice().sort()).toEqual(['blob stored', 'commit stored', 'head']);
      expect(driver.events[2]).toBe('head');
      expect(await store.head('a.pl')).toBe(commit.commit);
      expect((await store.get('a.pl')).text).toBe('one');
    } finally {
      clearTimeout(timer);
      driver.release();
      await created.catch(() => undefined);
      await store.close();
    }
  });
});
