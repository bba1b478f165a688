import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortedError, ImportAbortedError, MemoryDriver, decodeCommit, hashObject, importVersions, openStore,
  type Commit, type Driver, type HeadChange, type HeadUpdateResult, type ImportTarget, type ImportVersion, type ObjectBatch,
  type ObjectBatchOptions, type Progress,
} from '@gitty/core';

const bytes = (text: string) => new TextEncoder().encode(text);
const NOW = 1_800_000_000_123;

/** What importVersions needs, over `driver`, recording what it emits. */
function target(driver: Driver, maxObjectSize = 1 << 20): ImportTarget & { emitted: HeadChange[] } {
  const emitted: HeadChange[] = [];
  return {
    driver,
    maxObjectSize,
    emitted,
    commit: async (hash) => decodeCommit((await driver.loadObject(hash))!.data, hash),
    emitLocal: (change) => emitted.push(change),
  };
}

async function commitOf(driver: Driver, hash: string): Promise<Commit> {
  return decodeCommit((await driver.loadObject(hash))!.data, hash);
}

async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/** A memory driver that counts rescans and can declare its own object and head batches. */
class Recording extends MemoryDriver {
  rescans = 0;
  readonly batchOptions: ObjectBatchOptions[] = [];
  readonly batchCalls: string[] = [];
  onBatchCommit: (() => void) | undefined;
  abortFails = false;

  constructor(own: { objectBatches?: boolean; headBatches?: boolean } = {}) {
    super();
    (this as { capabilities: MemoryDriver['capabilities'] }).capabilities = { ...this.capabilities, ...own };
  }

  override async rescan(): Promise<void> {
    this.rescans++;
  }

  async openObjectBatch(options: ObjectBatchOptions = {}): Promise<ObjectBatch> {
    this.batchOptions.push(options);
    let stored = 0;
    return {
      add: async (hash, type, data) => {
        this.batchCalls.push(`add ${type}`);
        if (await this.storeObject(hash, type, data)) stored++;
      },
      commit: async () => {
        this.batchCalls.push('commit');
        this.onBatchCommit?.();
        return { objects: stored };
      },
      abort: async () => {
        this.batchCalls.push('abort');
        if (this.abortFails) throw new Error('abort failed too');
      },
    };
  }

  async updateHeads(changes: readonly HeadChange[]): Promise<HeadUpdateResult[]> {
    const results: HeadUpdateResult[] = [];
    for (const change of changes) {
      await this.updateHead(change.name, change.old, change.new);
      results.push({ name: change.name, applied: true, head: change.new });
    }
    return results;
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('importVersions', () => {
  it('chains each file\'s versions onto its head, carries metadata as update does, and reports and emits exactly', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(NOW);
    const driver = new Recording();
    const store = await openStore(driver);
    const old = await store.create('a.pl', 'old', { tags: ['t'], author: 'first' });
    const t = target(driver);
    const report = await importVersions(t, [
      { name: 'a.pl', data: 'v1', meta: { author: 'me', time: 100 } },
      { name: 'b.pl', data: Uint8Array.from([1, 2, 3]), meta: { topic: 'z' } },
      { name: 'a.pl', data: 'v2', meta: { commit_message: 'second' } },
    ]);
    const tipA = report.heads['a.pl']!;
    const tipB = report.heads['b.pl']!;
    expect(report).toEqual({ versions: 3, files: 2, objects: 6, heads: { 'a.pl': tipA, 'b.pl': tipB } });
    expect(await driver.getHead('a.pl')).toBe(tipA);
    expect(await driver.getHead('b.pl')).toBe(tipB);
    const a2 = await commitOf(driver, tipA);
    const a1 = await commitOf(driver, a2.previous!);
    expect(a1).toEqual({ commit: a2.previous, name: 'a.pl', data: hashObject('blob', bytes('v1')), time: 100, previous: old.commit, tags: ['t'], author: 'me' });
    expect(a2).toEqual({ commit: tipA, name: 'a.pl', data: hashObject('blob', bytes('v2')), time: NOW / 1000, previous: a1.commit, tags: ['t'], commit_message: 'second' });
    expect(await commitOf(driver, tipB)).toEqual({ commit: tipB, name: 'b.pl', data: hashObject('blob', Uint8Array.from([1, 2, 3])), time: NOW / 1000, topic: 'z' });
    expect(Buffer.from((await driver.loadObject(a1.data))!.data).toString()).toBe('v1');
    expect(t.emitted).toEqual([{ name: 'a.pl', old: old.commit, new: tipA }, { name: 'b.pl', old: null, new: tipB }]);
    // The same versions again: the same hashes (times given), nothing new stored.
    const again = await importVersions(target(driver), [{ name: 'c.pl', data: 'v1', meta: { time: 5 } }]);
    expect(again.objects).toBe(1);
    await store.close();
  });

  it('the driver\'s own object batch gets onProgress and the signal; objects are added blob then commit', async () => {
    const driver = new Recording({ objectBatches: true });
    const signal = new AbortController().signal;
    const onProgress = () => undefined;
    const report = await importVersions(target(driver), [{ name: 'a.pl', data: 'x' }], { signal, onProgress });
    expect(driver.batchOptions).toEqual([{ onProgress, signal }]);
    expect(driver.batchOptions[0]!.signal).toBe(signal);
    expect(driver.batchOptions[0]!.onProgress).toBe(onProgress);
    expect(driver.batchCalls).toEqual(['add blob', 'add commit', 'commit']);
    expect(report.objects).toBe(2);
    expect(driver.rescans).toBe(1);
  });

  it('refusals, exact, before any head moves', async () => {
    const driver = new Recording();
    const cases: Array<[unknown, string, string]> = [
      [null, 'INVALID_ARGUMENT', 'import: each version must be an object { name, data, meta? }'],
      ['a.pl', 'INVALID_ARGUMENT', 'import: each version must be an object { name, data, meta? }'],
      [{ name: 'a.pl', data: 5 }, 'INVALID_ARGUMENT', 'import: data must be a string or a Uint8Array'],
      [{ name: 'a.pl', data: [1, 2] }, 'INVALID_ARGUMENT', 'import: data must be a string or a Uint8Array'],
      [{ name: 'a.pl', data: 'x', meta: { previous: 'a'.repeat(40) } }, 'INVALID_ARGUMENT',
        'import of "a.pl": meta.previous is not accepted (versions chain in iteration order, the first onto the file\'s head)'],
      [{ name: 'a.pl', data: 'x'.repeat(101) }, 'OBJECT_TOO_LARGE', 'Object of 101 bytes exceeds the limit of 100 bytes (maxObjectSize)'],
    ];
    for (const [version, code, message] of cases) {
      const err = await rejection(importVersions(target(driver, 100), [{ name: 'ok.pl', data: 'fine' }, version as ImportVersion]));
      expect([err.code, err.message], JSON.stringify(version)).toEqual([code, message]);
    }
    // The commit must fit too: its data does, its metadata makes it too large.
    const big = await rejection(importVersions(target(driver, 100), [{ name: 'a.pl', data: 'x', meta: { commit_message: 'm'.repeat(60) } }]));
    expect(big.code).toBe('OBJECT_TOO_LARGE');
    expect(big.message).toMatch(/^Object of 1\d\d bytes exceeds the limit of 100 bytes \(maxObjectSize\)$/);
    expect(await driver.getHead('ok.pl')).toBeUndefined();
    expect(await driver.getHead('a.pl')).toBeUndefined();
    // A previous that is undefined, or only inherited, is no previous.
    const inherited = Object.create({ previous: 'a'.repeat(40) }) as Record<string, unknown>;
    const report = await importVersions(target(driver), [
      { name: 'u.pl', data: 'x', meta: { previous: undefined } as unknown as ImportVersion['meta'] },
      { name: 'i.pl', data: 'x', meta: inherited as ImportVersion['meta'] },
    ]);
    expect(Object.keys(report.heads)).toEqual(['u.pl', 'i.pl']);
    expect((await commitOf(driver, report.heads['i.pl']!)).previous).toBeUndefined();
  });

  it('progress every 250 versions and at the end; total only for an array, else the count at the end', async () => {
    const versions = Array.from({ length: 500 }, (_, i) => ({ name: `f${i % 3}.pl`, data: `v${i}`, meta: { time: i } }));
    const seen: Progress[] = [];
    const report = await importVersions(target(new MemoryDriver()), versions, { onProgress: (p) => seen.push(p) });
    expect(report.versions).toBe(500);
    expect(report.files).toBe(3);
    expect(seen).toEqual([
      { phase: 'import', done: 250, total: 500 },
      { phase: 'import', done: 500, total: 500 },
      { phase: 'import', done: 500, total: 500 },
    ]);
    async function* generated(): AsyncIterable<ImportVersion> {
      yield* versions.slice(0, 260);
    }
    const fromGenerator: Progress[] = [];
    await importVersions(target(new MemoryDriver()), generated(), { onProgress: (p) => fromGenerator.push(p) });
    expect(fromGenerator).toEqual([{ phase: 'import', done: 250, total: undefined }, { phase: 'import', done: 260, total: 260 }]);
    expect('total' in fromGenerator[0]!).toBe(true);
    // Without a listener.
    expect((await importVersions(target(new MemoryDriver()), versions.slice(0, 250))).versions).toBe(250);
  });

  it('a head moved by another writer meanwhile: ImportConflictError listing it, every other file switched', async () => {
    const driver = new MemoryDriver();
    const store = await openStore(driver);
    const b0 = await store.create('b.pl', 'b0');
    const other = await openStore(new MemoryDriver(driver.backing));
    let moved = '';
    async function* versions(): AsyncIterable<ImportVersion> {
      yield { name: 'a.pl', data: 'a1' };
      yield { name: 'b.pl', data: 'b1' };
      // Another writer updates b.pl after the import read its head.
      moved = (await other.update('b.pl', 'elsewhere', { previous: b0.commit })).commit;
      yield { name: 'b.pl', data: 'b2' };
    }
    const t = target(driver);
    const err = await rejection(importVersions(t, versions()));
    const tipA = (await driver.getHead('a.pl'))!;
    expect(err.code).toBe('NOT_AT_HEAD');
    expect(err.applied).toEqual({ 'a.pl': tipA });
    const conflicts = err.conflicts as Array<{ tip: string }>;
    expect(conflicts).toEqual([{ name: 'b.pl', expected: b0.commit, head: moved, tip: conflicts[0]!.tip, versions: 2 }]);
    expect((await commitOf(driver, conflicts[0]!.tip)).data).toBe(hashObject('blob', bytes('b2')));
    expect(err.message).toBe('Import left 1 file(s) at heads another writer set meanwhile ("b.pl"); their imported versions are stored (see conflicts[].tip), 1 other file(s) were switched');
    expect(await driver.getHead('b.pl')).toBe(moved);
    expect(t.emitted).toEqual([{ name: 'a.pl', old: null, new: tipA }]);
    await store.close();
    await other.close();
  });

  describe('aborts', () => {
    it('already aborted: ABORTED with the reason as cause, before even a rescan', async () => {
      const driver = new Recording();
      const controller = new AbortController();
      const reason = new Error('stop');
      controller.abort(reason);
      const err = await rejection(importVersions(target(driver), [{ name: 'a.pl', data: 'x' }], { signal: controller.signal }));
      expect(err).toBeInstanceOf(ImportAbortedError);
      expect([err.code, err.message, err.cause, err.applied]).toEqual(['ABORTED', 'The import was aborted: no head was changed (stored objects wait for gc)', reason, {}]);
      expect(driver.rescans).toBe(0);
    });

    it('during the versions: stops at the next one (nothing more stored), the batch aborted', async () => {
      const driver = new Recording({ objectBatches: true });
      const controller = new AbortController();
      async function* versions(): AsyncIterable<ImportVersion> {
        yield { name: 'a.pl', data: 'first' };
        controller.abort();
        yield { name: 'a.pl', data: 'second' };
        yield { name: 'a.pl', data: 'third' };
      }
      const err = await rejection(importVersions(target(driver), versions(), { signal: controller.signal }));
      expect(err.code).toBe('ABORTED');
      expect(err.cause).toBe(controller.signal.reason);
      expect(driver.batchCalls).toEqual(['add blob', 'add commit', 'abort']);
      expect(await driver.hasObject(hashObject('blob', bytes('second')))).toBe(false);
      expect(await driver.getHead('a.pl')).toBeUndefined();
    });

    it('after the last version: the batch is aborted, not committed', async () => {
      const driver = new Recording({ objectBatches: true });
      const controller = new AbortController();
      async function* versions(): AsyncIterable<ImportVersion> {
        yield { name: 'a.pl', data: 'only' };
        controller.abort();
      }
      const err = await rejection(importVersions(target(driver), versions(), { signal: controller.signal }));
      expect(err.code).toBe('ABORTED');
      expect(driver.batchCalls).toEqual(['add blob', 'add commit', 'abort']);
    });

    it('while the batch commits: no head moves, even on a driver that batches heads', async () => {
      const driver = new Recording({ objectBatches: true, headBatches: true });
      const controller = new AbortController();
      driver.onBatchCommit = () => controller.abort();
      const t = target(driver);
      const err = await rejection(importVersions(t, [{ name: 'a.pl', data: 'x' }], { signal: controller.signal }));
      expect([err.code, err.applied]).toEqual(['ABORTED', {}]);
      expect(await driver.getHead('a.pl')).toBeUndefined();
      expect(t.emitted).toEqual([]);
    });

    it('between head moves: the files switched so far are applied, the rest untouched', async () => {
      const driver = new Recording();
      const controller = new AbortController();
      const t = target(driver);
      t.emitLocal = (change) => {
        t.emitted.push(change);
        controller.abort();
      };
      const err = await rejection(importVersions(t, [{ name: 'a.pl', data: 'a' }, { name: 'b.pl', data: 'b' }], { signal: controller.signal }));
      const tipA = (await driver.getHead('a.pl'))!;
      expect(err).toBeInstanceOf(ImportAbortedError);
      expect([err.code, err.message, err.applied]).toEqual(['ABORTED', 'The import was aborted: 1 file(s) were switched before the abort (see applied), no other head was changed', { 'a.pl': tipA }]);
      expect(await driver.getHead('b.pl')).toBeUndefined();
    });

    it('a driver\'s own ABORTED becomes the import\'s; an import\'s own is passed on as it is; a failing batch abort hides nothing', async () => {
      const controller = new AbortController();
      const driver = new Recording({ objectBatches: true });
      driver.abortFails = true;
      driver.onBatchCommit = () => {
        controller.abort();
        throw new AbortedError('pack install');
      };
      const err = await rejection(importVersions(target(driver), [{ name: 'a.pl', data: 'x' }], { signal: controller.signal }));
      expect(err).toBeInstanceOf(ImportAbortedError);
      expect([err.message, err.applied]).toEqual(['The import was aborted: no head was changed (stored objects wait for gc)', {}]);
      expect(driver.batchCalls).toEqual(['add blob', 'add commit', 'commit', 'abort']);
      const own = new ImportAbortedError({ 'x.pl': 'a'.repeat(40) });
      const second = new AbortController();
      driver.onBatchCommit = () => {
        second.abort();
        throw own;
      };
      expect(await rejection(importVersions(target(driver), [{ name: 'a.pl', data: 'x' }], { signal: second.signal }))).toBe(own);
      // Not aborted: a failure is passed on as it is.
      const failure = new Error('disk full');
      driver.onBatchCommit = () => {
        throw failure;
      };
      expect(await rejection(importVersions(target(driver), [{ name: 'a.pl', data: 'x' }]))).toBe(failure);
    });

    it('a head batch that fails without an abort passes its error on', async () => {
      const driver = new Recording();
      const failure = new Error('log write failed');
      driver.updateHead = async () => {
        throw failure;
      };
      const controller = new AbortController();
      expect(await rejection(importVersions(target(driver), [{ name: 'a.pl', data: 'x' }], { signal: controller.signal }))).toBe(failure);
      // And without a signal at all.
      expect(await rejection(importVersions(target(driver), [{ name: 'b.pl', data: 'x' }]))).toBe(failure);
    });
  });
});
