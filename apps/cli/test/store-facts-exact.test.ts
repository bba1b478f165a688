import { describe, expect, it } from 'vitest';
import { openStore, type Progress } from '@gitty/core';
import { storeFacts, summarizeFacts, type StoreFacts } from '../src/store-facts.js';

// `gitty stats`: exact counts on a memory store, exact summary lines for each driver's keys.
describe('storeFacts', () => {
  it('counts files and versions, reports progress per file, and counts objects when the driver has no stats', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const a1 = await store.create('a.txt', 'one', { time: 1 });
      await store.update('a.txt', 'two', { previous: a1.commit, time: 2 });
      await store.create('b.txt', 'one', { time: 3 });
      const progress: Progress[] = [];
      const facts = await storeFacts(store, (p) => progress.push(p));
      // Objects: 2 blobs ("one" is shared) + 3 commits.
      expect(facts).toEqual({ driver: 'memory', files: 2, versions: 3, driverStats: { objects: 5 } });
      expect(progress).toEqual([{ phase: 'files', done: 1 }, { phase: 'files', done: 2 }]);
      expect(await storeFacts(store)).toEqual(facts);
    } finally {
      await store.close();
    }
  });

  it('counts a version two heads share once', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const a1 = await store.create('a.txt', 'one', { time: 1 });
      const a2 = await store.update('a.txt', 'two', { previous: a1.commit, time: 2 });
      // A second head onto the same history (as a raw driver could hold).
      await store.driver.updateHead('z.txt', null, a2.commit);
      const facts = await storeFacts(store);
      expect(facts.files).toBe(2);
      expect(facts.versions).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('is all zeros on an empty store', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      expect(await storeFacts(store)).toEqual({ driver: 'memory', files: 0, versions: 0, driverStats: { objects: 0 } });
    } finally {
      await store.close();
    }
  });

  it('keeps the driver\'s own stats as they are', async () => {
    const store = await openStore({ driver: 'memory' });
    try {
      const withStats = Object.assign(store, { driverStats: async () => ({ looseObjects: 3 }) });
      expect((await storeFacts(withStats)).driverStats).toEqual({ looseObjects: 3 });
    } finally {
      await store.close();
    }
  });
});

describe('summarizeFacts', () => {
  const facts = (driverStats: Record<string, number>): StoreFacts => ({ driver: 'x', files: 3, versions: 6, driverStats });

  it('names loose and packed objects and the packs', () => {
    expect(summarizeFacts(facts({ looseObjects: 0, packedObjects: 14, packs: 1, packBytes: 2048 }))).toBe(
      '3 files, 6 versions; objects 0 loose + 14 packed (1 pack); 2.0 KiB on disk',
    );
    expect(summarizeFacts(facts({ looseObjects: 2, packedObjects: 5, packs: 2 }))).toBe('3 files, 6 versions; objects 2 loose + 5 packed (2 packs)');
    expect(summarizeFacts(facts({ looseObjects: 2, packs: 0 }))).toBe('3 files, 6 versions; objects 2 loose + 0 packed (0 packs)');
    expect(summarizeFacts(facts({ packedObjects: 4 }))).toBe('3 files, 6 versions; objects 0 loose + 4 packed');
  });

  it('says how many objects when only a count is known, nothing when none is', () => {
    expect(summarizeFacts(facts({ objects: 5 }))).toBe('3 files, 6 versions; 5 objects');
    expect(summarizeFacts(facts({ objects: 0 }))).toBe('3 files, 6 versions; 0 objects');
    expect(summarizeFacts(facts({}))).toBe('3 files, 6 versions');
  });

  it('adds up every *bytes key but looseBytes, in any case', () => {
    expect(summarizeFacts(facts({ objects: 1, packBytes: 1000, indexBYTES: 24, looseBytes: 5000, bytesRead: 4096 }))).toBe(
      '3 files, 6 versions; 1 objects; 1.0 KiB on disk',
    );
    expect(summarizeFacts(facts({ looseBytes: 4096 }))).toBe('3 files, 6 versions');
    expect(summarizeFacts(facts({ diskBytes: 3 * 1024 * 1024 }))).toBe('3 files, 6 versions; 3.0 MiB on disk');
    expect(summarizeFacts(facts({ diskBytes: 0 }))).toBe('3 files, 6 versions');
  });
});
