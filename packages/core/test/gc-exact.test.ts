import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryDriver, ObjectUnavailableError, collectGarbage, encodeCommit, hashObject, type GitObject, type Progress } from '@gitty/core';

const bytes = (text: string) => new TextEncoder().encode(text);
const HOUR = 60 * 60 * 1000;
const NOW = 1_800_000_000_000;

/** A memory driver that counts what gc asks of it and runs a hook at each rescan. */
class Watched extends MemoryDriver {
  loads: string[] = [];
  times: string[] = [];
  rescans = 0;
  prunes = 0;
  onRescan: (() => void) | undefined;
  readonly failing = new Map<string, unknown>();
  readonly unknownTimes = new Set<string>();
  /** Deleted by someone else right before gc's delete: gc's own delete finds nothing. */
  readonly deletedMeanwhile = new Set<string>();

  override async loadObject(hash: string): Promise<GitObject | undefined> {
    this.loads.push(hash);
    if (this.failing.has(hash)) throw this.failing.get(hash);
    return super.loadObject(hash);
  }

  override async objectTime(hash: string): Promise<number | undefined> {
    this.times.push(hash);
    return this.unknownTimes.has(hash) ? undefined : super.objectTime(hash);
  }

  override async deleteObject(hash: string): Promise<boolean> {
    if (this.deletedMeanwhile.has(hash)) this.backing.objects.delete(hash);
    return super.deleteObject(hash);
  }

  override async rescan(): Promise<void> {
    this.rescans++;
    this.onRescan?.();
  }

  async prune(): Promise<void> {
    this.prunes++;
  }

  /** Store an object stored `age` ms before NOW. */
  async put(type: string, data: Uint8Array, age: number): Promise<string> {
    const hash = hashObject(type, data);
    await this.storeObject(hash, type, data);
    this.backing.objects.get(hash)!.time = NOW - age;
    return hash;
  }

  async blob(text: string, age: number): Promise<string> {
    return this.put('blob', bytes(text), age);
  }

  async commit(meta: Record<string, string | number>, age: number): Promise<string> {
    return this.put('commit', encodeCommit(meta), age);
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('collectGarbage', () => {
  it('the grace period: one hour by default, an object exactly as old as the grace is collected', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Watched();
    const young = await driver.blob('just under an hour', HOUR - 1);
    const old = await driver.blob('exactly an hour', HOUR);
    expect(await collectGarbage(driver, {})).toEqual({ reachable: 0, unreachable: 2, deleted: 1, kept: 1 });
    expect([await driver.hasObject(young), await driver.hasObject(old)]).toEqual([true, false]);
    const second = await driver.blob('5 s old', 5000);
    expect(await collectGarbage(driver, { graceMs: 5000 })).toEqual({ reachable: 0, unreachable: 2, deleted: 2, kept: 0 });
    expect(await driver.hasObject(second)).toBe(false);
  });

  it('an object whose time is unknown is young', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Watched();
    const unknown = await driver.blob('time unknown', 2 * HOUR);
    driver.unknownTimes.add(unknown);
    expect(await collectGarbage(driver, {})).toEqual({ reachable: 0, unreachable: 1, deleted: 0, kept: 1 });
    expect(await collectGarbage(driver, { graceMs: 0 })).toEqual({ reachable: 0, unreachable: 1, deleted: 1, kept: 0 });
  });

  it('refusals: exact messages for a negative or NaN grace, and for a grace without object times (method or capability)', async () => {
    const driver = new Watched();
    for (const graceMs of [-1, Number.NaN]) {
      const err = await rejection(collectGarbage(driver, { graceMs }));
      expect([err.code, err.message]).toEqual(['INVALID_ARGUMENT', 'gc grace must be a non-negative number of milliseconds']);
    }
    const noMethod = new Watched();
    Object.defineProperty(noMethod, 'objectTime', { value: undefined });
    const noCapability = new Watched();
    (noCapability as { capabilities: MemoryDriver['capabilities'] }).capabilities = { ...noCapability.capabilities, objectTimes: false };
    for (const timeless of [noMethod, noCapability]) {
      await timeless.blob('orphan', 0);
      const err = await rejection(collectGarbage(timeless, { graceMs: 1 }));
      expect([err.code, err.message]).toEqual(['UNSUPPORTED', 'The memory driver does not support gc with a grace period (object times)']);
      // graceMs 0 never asks for a time.
      expect(await collectGarbage(timeless, { graceMs: 0 })).toEqual({ reachable: 0, unreachable: 1, deleted: 1, kept: 0 });
      expect(timeless.times).toEqual([]);
    }
  });

  it('each commit is read once: a young orphan\'s walk stops at what a head already keeps, and a kept root is not timed again', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Watched();
    const d1 = await driver.blob('v1', 2 * HOUR);
    const c1 = await driver.commit({ name: 'a.pl', data: d1, time: 1 }, 2 * HOUR);
    const c2 = await driver.commit({ name: 'a.pl', data: d1, time: 2, previous: c1 }, 2 * HOUR);
    const c3 = await driver.commit({ name: 'a.pl', data: d1, time: 3, previous: c2 }, 2 * HOUR);
    await driver.updateHead('a.pl', null, c3);
    // A young orphan commit (a lost update) onto the head, with old data of its own.
    // Listed before its data.
    const orphan = await driver.commit({ name: 'a.pl', data: hashObject('blob', bytes('lost update')), time: 4, previous: c3 }, 1000);
    await driver.blob('lost update', 2 * HOUR);
    const report = await collectGarbage(driver, {});
    expect(report).toEqual({ reachable: 4, unreachable: 2, deleted: 0, kept: 2 });
    expect(driver.loads).toEqual([c3, c2, c1, orphan]);
    // The orphan's data, kept by the orphan's walk, is not timed; nothing kept is rescanned for.
    expect(driver.times).toEqual([orphan]);
    expect(driver.rescans).toBe(0);
  });

  it('heads at a missing object or a blob are walked without failing; a corrupt head history stops gc', async () => {
    const driver = new Watched();
    const blob = await driver.blob('a blob as head', 0);
    await driver.updateHead('blob.pl', null, blob);
    await driver.updateHead('gone.pl', null, 'f'.repeat(40));
    const orphan = await driver.blob('orphan', 0);
    expect(await collectGarbage(driver, { graceMs: 0 })).toEqual({ reachable: 2, unreachable: 1, deleted: 1, kept: 0 });
    expect(await driver.hasObject(orphan)).toBe(false);
    const bad = await driver.put('commit', bytes('{"no":"commit"}'), 0);
    await driver.updateHead('bad.pl', null, bad);
    const err = await rejection(collectGarbage(driver, { graceMs: 0 }));
    expect(err.code).toBe('CORRUPT_OBJECT');
  });

  it('a young orphan that fails with a gitty error is kept; any other error stops gc', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Watched();
    const young = await driver.blob('young', 0);
    const old = await driver.blob('old', 2 * HOUR);
    driver.failing.set(young, new ObjectUnavailableError(young, 'busy'));
    expect(await collectGarbage(driver, { dryRun: true })).toEqual({ reachable: 0, unreachable: 2, deleted: 0, kept: 1 });
    const boom = new Error('disk on fire');
    driver.failing.set(young, boom);
    expect(await rejection(collectGarbage(driver, {}))).toBe(boom);
    expect(await driver.hasObject(old)).toBe(true);
  });

  it('right before each delete: a rescan, heads moved meanwhile are walked, and an object re-used meanwhile is kept with what it reaches', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Watched();
    const data = await driver.blob('data', 2 * HOUR);
    const commit = await driver.commit({ name: 'late.pl', data, time: 1 }, 2 * HOUR);
    const reused = await driver.blob('re-used', 2 * HOUR);
    // Listed before its data, so its walk keeps the data before the data's turn comes.
    const reusedCommit = await driver.commit({ name: 'r.pl', data: hashObject('blob', bytes('re-used data')), time: 1 }, 2 * HOUR);
    const reusedData = await driver.blob('re-used data', 2 * HOUR);
    const old = await driver.blob('old', 2 * HOUR);
    let first = true;
    driver.onRescan = () => {
      if (!first) return;
      first = false;
      // Another writer, between gc's first look and its first delete: a head now reaches
      // `commit`, and `reused` and `reusedCommit` were stored again (their times refreshed).
      void driver.updateHead('late.pl', null, commit);
      driver.backing.objects.get(reused)!.time = NOW;
      driver.backing.objects.get(reusedCommit)!.time = NOW;
    };
    const progress: Progress[] = [];
    const report = await collectGarbage(driver, { onProgress: (p) => progress.push(p) });
    expect(report).toEqual({ reachable: 0, unreachable: 6, deleted: 1, kept: 5 });
    for (const hash of [data, commit, reused, reusedData, reusedCommit]) expect(await driver.hasObject(hash)).toBe(true);
    expect(await driver.hasObject(old)).toBe(false);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6].map((done) => ({ phase: 'gc', done, total: 6 })));
    // One rescan per candidate not yet kept when its turn came: data (its rescan shows the new
    // head, whose walk keeps commit too), reused, reusedCommit (its walk keeps reusedData), old.
    expect(driver.rescans).toBe(4);
    // Times: every candidate once before the loop, then each one the rescan did not keep.
    expect(driver.times).toEqual([data, commit, reused, reusedCommit, reusedData, old, reused, reusedCommit, old]);
    expect(driver.prunes).toBe(1);
  });

  it('a dry run rescans nothing, deletes nothing and does not prune; an object deleted meanwhile is not counted', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Watched();
    const a = await driver.blob('a', 2 * HOUR);
    const b = await driver.blob('b', 2 * HOUR);
    expect(await collectGarbage(driver, { dryRun: true })).toEqual({ reachable: 0, unreachable: 2, deleted: 0, kept: 0 });
    expect([driver.rescans, driver.prunes]).toEqual([0, 0]);
    expect([await driver.hasObject(a), await driver.hasObject(b)]).toEqual([true, true]);
    // Someone else deletes b right before gc would.
    driver.deletedMeanwhile.add(b);
    expect(await collectGarbage(driver, {})).toEqual({ reachable: 0, unreachable: 2, deleted: 1, kept: 0 });
    expect([driver.rescans, driver.prunes]).toEqual([2, 1]);
  });
});
