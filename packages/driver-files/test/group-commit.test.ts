import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { appendFileSync } from 'node:fs';
import { isGittyError, openStore, type Store } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { headLogTestHooks } from '../src/test-hooks.js';
import { HeadLog } from '../src/head-log.js';
import { SharedHeads } from '../src/shared-heads.js';
import { noSpace, recordFs, type FsEvent, type RecordingFs } from './recording-fs.js';
import { openFiles } from './support.js';

const WRITERS = 16;

async function withRecordedStore(
  options: Record<string, unknown>,
  use: (store: Store, fs: RecordingFs, dir: string) => Promise<void>,
): Promise<void> {
  const { dir, remove } = await tempDir('gitty-group-');
  const store = await openStore(await openFiles(dir, { durability: 'fsync', ...options }));
  const fs = recordFs();
  try {
    await use(store, fs, dir);
  } finally {
    fs.restore();
    await store.close();
    await remove();
  }
}

function objectFile(dir: string, hash: string): string {
  return path.join(dir, 'objects', hash.slice(0, 2), hash.slice(2));
}

/** Index of the first event at or after `from` matching `test`, or -1. */
function find(events: readonly FsEvent[], test: (e: FsEvent) => boolean, from = 0): number {
  for (let i = from; i < events.length; i++) if (test(events[i]!)) return i;
  return -1;
}

/** Writers each create a file and update it twice, all at once; every acknowledgement is recorded in the event log. */
async function concurrentWrites(store: Store, fs: RecordingFs, versions = 3): Promise<PromiseSettledResult<void>[]> {
  return Promise.allSettled(Array.from({ length: WRITERS }, async (_, w) => {
    const name = `writer-${w}.txt`;
    let previous: string | undefined;
    for (let v = 0; v < versions; v++) {
      const data = `writer ${w} version ${v}\n`.repeat(20);
      const commit = previous ? await store.update(name, data, { previous }) : await store.create(name, data);
      fs.events.push({ op: 'ack', name, commit: commit.commit });
      previous = commit.commit;
    }
  }));
}

describe('group commit', () => {
  it('syncs every object\'s data before placing it, its folder and the data before the head line naming it, and that line before the acknowledgement — sharing flushes', async () => {
    await withRecordedStore({}, async (store, fs, dir) => {
      const results = await concurrentWrites(store, fs);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const { events } = fs;
      const headLog = path.join(dir, 'ref', 'head');
      const acks = events.flatMap((e, i) => (e.op === 'ack' ? [{ ...e, at: i }] : []));
      expect(acks).toHaveLength(WRITERS * 3);
      for (const ack of acks) {
        const commit = await store.commit(ack.commit);
        const write = find(events, (e) => e.op === 'write' && e.path === headLog && e.text.includes(`"new":"${ack.commit}"`));
        expect(write, `head line of ${ack.commit}`).toBeGreaterThanOrEqual(0);
        const headSync = find(events, (e) => e.op === 'fsync' && e.path === headLog, write + 1);
        expect(headSync, 'the head line is flushed before the acknowledgement').toBeGreaterThan(write);
        expect(headSync).toBeLessThan(ack.at);
        for (const hash of [ack.commit, commit.data]) {
          const file = objectFile(dir, hash);
          const placed = find(events, (e) => (e.op === 'link' || e.op === 'rename') && e.to === file);
          expect(placed, `object ${hash} placed`).toBeGreaterThanOrEqual(0);
          const temp = (events[placed] as { from: string }).from;
          const dataSync = find(events, (e) => e.op === 'fsync' && e.path === temp);
          expect(dataSync, `object ${hash}: data flushed before it is placed`).toBeGreaterThanOrEqual(0);
          expect(dataSync).toBeLessThan(placed);
          const folderSync = find(events, (e) => e.op === 'fsync' && e.path === path.dirname(file), placed + 1);
          expect(folderSync, `object ${hash}: folder flushed after it is placed, before the head line`).toBeGreaterThan(placed);
          expect(folderSync).toBeLessThan(write);
        }
      }
      // Shared: far fewer flushes of the head log than head changes.
      const headSyncs = events.filter((e) => e.op === 'fsync' && e.path === headLog).length;
      expect(headSyncs).toBeLessThan(acks.length / 2);
      const dataSyncs = events.filter((e) => e.op === 'fsync' && e.path.includes('.tmp-')).length;
      expect(dataSyncs).toBe(acks.length * 2);
    });
  });

  it('without fsync, concurrent head changes still share lock acquisitions and writes', async () => {
    await withRecordedStore({ durability: 'none' }, async (store, fs, dir) => {
      const results = await concurrentWrites(store, fs);
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const headLog = path.join(dir, 'ref', 'head');
      const acks = fs.events.filter((e) => e.op === 'ack').length;
      const headWrites = fs.events.filter((e) => e.op === 'write' && e.path === headLog).length;
      expect(headWrites).toBeLessThan(acks / 2);
      expect(fs.events.filter((e) => e.op === 'fsync')).toEqual([]);
      await expectHeadsAreAcknowledged(dir, fs.events);
    });
  });

  it('a batch whose lines another writer\'s line got in front of (a lost lock): each change gets the replay rule\'s verdict', async () => {
    const { dir, remove } = await tempDir('gitty-group-lost-');
    const h = (d: string) => d.repeat(40);
    const file = path.join(dir, 'head');
    try {
      const log = new HeadLog(file, { durability: 'none' });
      await log.withLock(() => log.create([{ name: 'a', head: h('1') }, { name: 'b', head: h('1') }, { name: 'c', head: h('1') }]));
      const heads = new SharedHeads(log, { pollInterval: 60_000, watchFile: false, groupCommit: true });
      await heads.refresh(true);
      const theirs = { name: 'b', old: h('1'), new: h('9') };
      headLogTestHooks.beforeWrite = () => {
        headLogTestHooks.beforeWrite = undefined;
        appendFileSync(file, `${JSON.stringify(theirs)}\n`);
      };
      const outcomes = await Promise.allSettled([
        heads.compareAndSwap('a', h('1'), h('2')),
        heads.compareAndSwap('b', h('1'), h('2')),
        heads.compareAndSwap('c', h('1'), h('2')),
        heads.compareAndSwap('a', h('2'), h('3')),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'NOT_AT_HEAD', head: h('9') });
      expect(heads.entries()).toEqual([{ name: 'a', head: h('3') }, { name: 'b', head: h('9') }, { name: 'c', head: h('2') }]);
      const fresh = new SharedHeads(log, { pollInterval: 60_000, watchFile: false });
      await fresh.refresh(true);
      expect(fresh.entries()).toEqual(heads.entries());
      await heads.close();
      await fresh.close();
    } finally {
      headLogTestHooks.beforeWrite = undefined;
      await remove();
    }
  });

  it('a failed object flush fails every write it covered with STORAGE_FULL, and none of them becomes a head', async () => {
    await withRecordedStore({}, async (store, fs, dir) => {
      // The first object flush fails (one file's data sync): every create in it must fail.
      let failed = false;
      fs.fault = (file, sync) => {
        if (sync || failed || !file.includes('.tmp-')) return undefined;
        failed = true;
        return noSpace(file);
      };
      const results = await concurrentWrites(store, fs, 1);
      const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(rejected.length).toBeGreaterThan(1);
      for (const err of rejected) expect(isGittyError(err, 'STORAGE_FULL'), String(err)).toBe(true);
      await expectHeadsAreAcknowledged(dir, fs.events);
    });
  });

  for (const groupCommit of [true, false]) {
    it(`a failed head log flush fails every change it covered and leaves none of them in the log (groupCommit ${groupCommit})`, async () => {
      await withRecordedStore({ groupCommit }, async (store, fs, dir) => {
        const headLog = path.join(dir, 'ref', 'head');
        let failed = false;
        fs.fault = (file) => {
          if (failed || file !== headLog) return undefined;
          failed = true;
          return noSpace(file);
        };
        const results = await concurrentWrites(store, fs, 1);
        const rejected = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
        expect(rejected.length).toBeGreaterThan(0);
        if (groupCommit) expect(rejected.length).toBeGreaterThan(1);
        for (const err of rejected) expect(isGittyError(err, 'STORAGE_FULL'), String(err)).toBe(true);
        await expectHeadsAreAcknowledged(dir, fs.events);
        // And the store goes on: the same writes succeed now.
        const again = await concurrentWrites(store, fs, 1);
        expect(again.filter((r) => r.status === 'fulfilled').length).toBe(rejected.length);
      });
    });
  }
});

/** A fresh driver sees exactly the acknowledged heads, each of them with its objects; fsck is clean. */
async function expectHeadsAreAcknowledged(dir: string, events: readonly FsEvent[]): Promise<void> {
  const acked = new Map(events.flatMap((e) => (e.op === 'ack' ? [[e.name, e.commit] as const] : [])));
  const driver = await openFiles(dir);
  const store = await openStore(driver);
  try {
    const heads = new Map<string, string>();
    for await (const entry of driver.heads()) heads.set(entry.name, entry.head);
    expect(heads).toEqual(acked);
    expect((await store.fsck()).errors).toEqual([]);
  } finally {
    await store.close();
  }
}
