// IndexCatchUp where the exact tests left its outcome open: another writer of the shared index
// moving it (to another line, another epoch, or clearing it) while a tail or a resync loads
// objects, the log vanishing between two reads, a resync that leaves unchanged heads alone,
// a catch-up with nothing to apply writing nothing, and a rebuild over an index that already
// holds the head a later line sets. A real index file; the head log held in memory (StandInLog).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, encodeCommit, hashObject, openStore, type GitObject, type Store } from '@gitty/core';
import { HeadLog, createDriver as createFilesDriver, storeLayout, type FilesDriver } from '@gitty/driver-files';
import { tempDir } from '@gitty/driver-test/harness';
import { IndexCatchUp } from '../src/catch-up.js';
import type { IndexDb } from '../src/index-db.js';
import { CatchUpBench, change } from './support/catch-up-bench.js';
import { freshIndex, hash } from './support/exact-index.js';
import { StandInLog } from './support/stand-in-log.js';

describe('IndexCatchUp (mutants)', () => {
  let bench: CatchUpBench;
  let index: IndexDb, log: StandInLog, objects: Map<string, GitObject>, loads: string[], catchUp: IndexCatchUp;
  beforeEach(() => ({ index, log, objects, loads, catchUp } = bench = new CatchUpBench()));
  afterEach(() => bench.remove());
  const changes = () => index.db.prepare<[], { n: number }>('SELECT total_changes() AS n').get()!.n;
  /** Once, at the first object load: what another process does to the shared index meanwhile. */
  const meanwhile = (work: () => void) => {
    bench.onLoad = () => {
      bench.onLoad = undefined;
      work();
    };
  };

  /** a.pl at a1 in the log and the index, then a line a1 → a2 the index's (wrong) head voids. */
  async function voidedTail(): Promise<{ a1: { commit: string; data: string }; a2: { commit: string; data: string } }> {
    const a1 = bench.version('a.pl', 'one');
    const a2 = bench.version('a.pl', 'two', a1.commit);
    log.lines.push(change('a.pl', null, a1.commit));
    await catchUp.rebuild();
    index.transaction(() => index.setHead('a.pl', { commit: { commit: hash('7'), name: 'a.pl', data: hash('8'), time: 1 }, body: null, text: null }));
    log.lines.push(change('a.pl', a1.commit, a2.commit));
    loads.length = 0;
    return { a1, a2 };
  }

  describe('a tail whose index another writer changed while it loaded objects', () => {
    it('moved to another epoch at the same offset: not applied over it, a rebuild is asked for', async () => {
      const a1 = bench.version('a.pl', 'one');
      await catchUp.rebuild();
      log.lines.push(change('a.pl', null, a1.commit));
      meanwhile(() => index.transaction(() => index.setPosition({ epoch: 'F', offset: 0 })));
      expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
      expect(index.getHead('a.pl')).toBeUndefined();
      expect(index.position()).toEqual({ epoch: 'F', offset: 0 });
    });

    it('cleared: not applied, a rebuild is asked for', async () => {
      const a1 = bench.version('a.pl', 'one');
      await catchUp.rebuild();
      log.lines.push(change('a.pl', null, a1.commit));
      meanwhile(() => index.transaction(() => index.clear()));
      expect(await catchUp.catchUp()).toEqual({ rebuild: 'missing' });
      expect(index.headCount()).toBe(0);
    });
  });

  describe('a resync (after a line the index\'s heads void)', () => {
    it('whose index another writer moved on meanwhile starts over from the new position', async () => {
      const { a2 } = await voidedTail();
      meanwhile(() => index.transaction(() => {
        index.setHead('a.pl', { commit: { commit: a2.commit, name: 'a.pl', data: a2.data, time: 2 }, body: '{}', text: 'two' });
        index.setPosition({ epoch: 'E', offset: 2 });
      }));
      expect(await catchUp.catchUp()).toEqual({ applied: 0, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
      expect(log.calls.slice(-3)).toEqual(['scan E:1', 'scan start', 'scan E:2']);
      expect(bench.text('a.pl')).toBe('two');
    });

    it('whose index another writer moved to another epoch meanwhile asks for a rebuild', async () => {
      await voidedTail();
      meanwhile(() => index.transaction(() => index.setPosition({ epoch: 'F', offset: 1 })));
      expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
      expect(index.getHead('a.pl')).toBe(hash('7'));
      expect(index.position()).toEqual({ epoch: 'F', offset: 1 });
    });

    it('whose index another writer cleared meanwhile asks for a rebuild', async () => {
      await voidedTail();
      meanwhile(() => index.transaction(() => index.clear()));
      expect(await catchUp.catchUp()).toEqual({ rebuild: 'missing' });
      expect(index.headCount()).toBe(0);
    });

    it('that finds the log gone asks for a rebuild', async () => {
      await voidedTail();
      // The tail's scan sees the log; the whole-log read that follows finds none.
      log.beforeNextScan = () => {
        log.beforeNextScan = () => { log.missing = true; };
      };
      expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
      expect(log.calls.slice(-3)).toEqual(['scan E:1', 'scan start', 'readFrom start']);
      expect(index.position()).toEqual({ epoch: 'E', offset: 1 });
    });

    it('that finds the log exactly as long as the index\'s position sets the heads that differ', async () => {
      await voidedTail();
      // The log read whole has lost the void line again: just the line the index is at.
      log.beforeNextScan = () => {
        log.beforeNextScan = () => { log.lines = log.lines.slice(0, 1); };
      };
      const a1 = log.lines[0]!.new!;
      expect(await catchUp.catchUp()).toEqual({ applied: 1, position: { epoch: 'E', offset: 1 }, stoppedAtNul: false });
      expect(index.getHead('a.pl')).toBe(a1);
      expect(bench.text('a.pl')).toBe('one');
    });

    it('counts and loads only the heads that differ from the log\'s', async () => {
      const b1 = bench.version('b.pl', 'bee');
      const a1 = bench.version('a.pl', 'same text');
      // Same data as a1: its text is indexed already.
      const a2 = bench.version('a.pl', 'same text', a1.commit);
      log.lines.push(change('a.pl', null, a1.commit), change('b.pl', null, b1.commit));
      await catchUp.rebuild();
      // The index went wrong for a.pl only (its text row kept).
      index.transaction(() => index.setHead('a.pl', { commit: { commit: hash('7'), name: 'a.pl', data: a1.data, time: 1 }, body: null }));
      log.lines.push(change('a.pl', a1.commit, a2.commit));
      loads.length = 0;
      expect(await catchUp.catchUp()).toEqual({ applied: 1, position: { epoch: 'E', offset: 3 }, stoppedAtNul: false });
      // b.pl is the log's head already: neither counted nor read; a.pl's data is the indexed one.
      expect(loads).toEqual([a2.commit]);
      expect(index.heads()).toEqual([{ name: 'a.pl', head: a2.commit }, { name: 'b.pl', head: b1.commit }]);
      expect(bench.text('a.pl')).toBe('same text');
      expect(index.position()).toEqual({ epoch: 'E', offset: 3 });
    });
  });

  describe('loads', () => {
    it('a head whose commit is missing is read once, and no data is asked for', async () => {
      log.lines.push(change('gone.pl', null, hash('9')));
      await catchUp.rebuild();
      expect(loads).toEqual([hash('9')]);
    });

    it('a blob holding a commit\'s bytes is no commit: the head waits for one', async () => {
      const bytes = encodeCommit({ name: 'a.pl', data: hash('d'), time: 1 } as never);
      const blob = hashObject('blob', bytes);
      objects.set(blob, { type: 'blob', data: bytes });
      log.lines.push(change('a.pl', null, blob));
      await catchUp.rebuild();
      expect(index.db.prepare('SELECT name, head, data, time FROM heads').all()).toEqual([{ name: 'a.pl', head: blob, data: '', time: 0 }]);
      expect(index.waitingFor(blob)).toEqual(['a.pl']);
      expect(index.hasCommit(blob)).toBe(false);
    });

    it('a tail back to a commit of the history takes it from the index, reading only its data', async () => {
      const a1 = bench.version('a.pl', 'one');
      const a2 = bench.version('a.pl', 'two', a1.commit);
      log.lines.push(change('a.pl', null, a2.commit));
      await catchUp.rebuild();
      expect(index.hasCommit(a1.commit)).toBe(true);
      loads.length = 0;
      log.lines.push(change('a.pl', a2.commit, a1.commit));
      expect(await catchUp.catchUp()).toEqual({ applied: 1, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
      expect(loads).toEqual([a1.data]);
      expect(bench.text('a.pl')).toBe('one');
    });

    it('a tail that moves a head away and back reads nothing, though its commit is missing', async () => {
      const a2 = bench.version('a.pl', 'two');
      log.lines.push(change('a.pl', null, hash('1')));
      await catchUp.rebuild();
      loads.length = 0;
      log.lines.push(change('a.pl', hash('1'), a2.commit), change('a.pl', a2.commit, hash('1')));
      expect(await catchUp.catchUp()).toEqual({ applied: 2, position: { epoch: 'E', offset: 3 }, stoppedAtNul: false });
      expect(loads).toEqual([]);
      expect(index.waitingFor(hash('1'))).toEqual(['a.pl']);
    });
  });

  describe('progress', () => {
    it('a rebuild of 1000 heads reports the 1000th with its phase, and needs no listener', async () => {
      for (let i = 0; i < 1000; i++) log.lines.push(change(`f${i}`, null, hash('a')));
      const progress: unknown[] = [];
      await catchUp.rebuild((p) => progress.push(p));
      expect(progress).toEqual([
        { phase: 'sqlite-reindex', done: 0, total: 1000 },
        { phase: 'sqlite-reindex', done: 1000, total: 1000 },
        { phase: 'sqlite-reindex', done: 1000, total: 1000 },
      ]);
      expect(await catchUp.rebuild()).toEqual({ position: { epoch: 'E', offset: 1000 }, stoppedAtNul: false, committed: true });
    });
  });

  it('a tail of a log that is not strict applies every line by the last-line rule, with no resync', async () => {
    log.strict = undefined;
    const lax = new IndexCatchUp(index, log, async (h) => objects.get(h));
    log.lines.push(change('a.pl', null, hash('1')));
    await lax.rebuild();
    log.lines.push(change('a.pl', hash('9'), hash('3')), change('a.pl', hash('8'), hash('4')));
    expect(await lax.catchUp()).toEqual({ applied: 2, position: { epoch: 'E', offset: 3 }, stoppedAtNul: false });
    expect(log.calls.slice(-1)).toEqual(['scan E:1']);
    expect(index.getHead('a.pl')).toBe(hash('4'));
  });

  it('a tail carried over a compaction whose end is at the same offset moves the index to the new epoch', async () => {
    // driver-files' scan from a position of a compacted (retired) log: the new epoch, not a reset.
    const carrying = new StandInLog();
    carrying.lines.push(change('a.pl', null, hash('1')), change('b.pl', null, hash('2')));
    const follow = new IndexCatchUp(index, carrying, async (h) => objects.get(h));
    await follow.rebuild();
    const scan = carrying.scan.bind(carrying);
    carrying.scan = async (from, visit, options) => {
      if (from?.epoch !== 'E') return scan(from, visit, options);
      return { epoch: 'F', offset: 2, reset: false, stoppedAtNul: false };
    };
    carrying.epoch = 'F';
    expect(await follow.catchUp()).toEqual({ applied: 0, position: { epoch: 'F', offset: 2 }, stoppedAtNul: false });
    expect(index.position()).toEqual({ epoch: 'F', offset: 2 });
  });

  it('a catch-up with nothing to apply writes nothing to the index', async () => {
    log.lines.push(change('a.pl', null, hash('1')));
    await catchUp.rebuild();
    const before = changes();
    expect(await catchUp.catchUp()).toEqual({ applied: 0, position: { epoch: 'E', offset: 1 }, stoppedAtNul: false });
    expect(await catchUp.catchUp(true)).toEqual({ applied: 0, position: { epoch: 'E', offset: 1 }, stoppedAtNul: false });
    expect(changes()).toBe(before);
  });

  describe('a rebuild', () => {
    it('stopped at a line holding NUL bytes says so though the log is gone when it reads on', async () => {
      log.lines.push(change('a.pl', null, hash('1')), change('b.pl', null, hash('2')));
      log.nulAt = 1;
      meanwhile(() => { log.missing = true; });
      expect(await catchUp.rebuild(undefined, true)).toEqual({ position: { epoch: 'E', offset: 1 }, stoppedAtNul: true, committed: true });
      expect(index.heads()).toEqual([{ name: 'a.pl', head: hash('1') }]);
      expect(log.calls).toEqual(['scan start stopAtNul', 'scan E:1 stopAtNul', 'readFrom E:1']);
    });

    it('behind the shared index gives up after 100 looks when the log is gone meanwhile', async () => {
      log.lines.push(change('a.pl', null, hash('1')));
      index.transaction(() => index.setPosition({ epoch: 'E', offset: 5 }));
      meanwhile(() => { log.missing = true; });
      await expect(catchUp.rebuild()).rejects.toThrow(new Error('The sqlite index of /stand-in/ref/head is ahead of its head log\'s end (1); reindex after removing it'));
      expect(log.calls.filter((c) => c === 'scan E:1')).toHaveLength(100);
      expect(index.position()).toEqual({ epoch: 'E', offset: 5 });
    });

    it('indexes a head a line read meanwhile sets though the old index already holds it', async () => {
      const a1 = bench.version('a.pl', 'one');
      const a2 = bench.version('a.pl', 'two', a1.commit);
      // An index of another epoch whose head of a.pl is a2 already.
      index.transaction(() => {
        index.setHead('a.pl', { commit: { commit: a2.commit, name: 'a.pl', data: a2.data, time: 2 }, body: '{}', text: 'two' });
        index.setPosition({ epoch: 'OLD', offset: 9 });
      });
      log.lines.push(change('a.pl', null, a1.commit));
      meanwhile(() => log.lines.push(change('a.pl', a1.commit, a2.commit)));
      expect(await catchUp.rebuild()).toEqual({ position: { epoch: 'E', offset: 2 }, stoppedAtNul: false, committed: true });
      expect(index.heads()).toEqual([{ name: 'a.pl', head: a2.commit }]);
      expect(bench.text('a.pl')).toBe('two');
      expect(loads).toEqual([a1.commit, a1.data, a2.commit, a2.data, a1.commit]);
    });
  });

  it('indexWaiting reads nothing for a waiting row whose file has no head', async () => {
    index.db.prepare("INSERT INTO waiting (hash, name) VALUES (?, 'gone.pl')").run(hash('9'));
    await catchUp.indexWaiting([hash('9')]);
    expect(loads).toEqual([]);
    expect(index.headCount()).toBe(0);
  });
});

describe('IndexCatchUp over a real head log another driver compacts (in this process)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let files: FilesDriver;
  let store: Store;
  let index: IndexDb;
  let removeIndex: () => void;
  beforeEach(async () => {
    ({ dir, remove: cleanup } = await tempDir('gitty-sqlite-carry-'));
    files = (await createFilesDriver({ dir, durability: 'none', pollInterval: 0, compactAt: false }, defaultDriverContext())) as FilesDriver;
    store = await openStore(files);
    ({ index, remove: removeIndex } = freshIndex());
  });
  afterEach(async () => {
    removeIndex();
    await store.close();
    await cleanup();
  });

  it('a rebuild whose log is compacted while it loads objects carries on in the new epoch, though its end is before the old one', async () => {
    let head = (await store.create('f.txt', 'v0')).commit;
    for (let i = 1; i <= 20; i++) head = (await store.update('f.txt', `v${i}`, { previous: head })).commit;
    const log = new HeadLog(storeLayout(dir).headLog, { durability: 'none' });
    const oldEpoch = (await log.scan(undefined, () => undefined))!;
    let latest = head;
    let once = true;
    const catchUp = new IndexCatchUp(index, log, async (hash) => {
      if (once) {
        once = false;
        latest = (await store.update('f.txt', 'after', { previous: head })).commit;
        await files.compaction!.compact();
      }
      return files.loadObject(hash);
    });
    const result = await catchUp.rebuild();
    const now = (await log.scan(undefined, () => undefined))!;
    expect(now.epoch).not.toBe(oldEpoch.epoch);
    // One line per head and the update after it: shorter than the 21 lines read first.
    expect(now.offset).toBeLessThan(oldEpoch.offset);
    expect(result).toEqual({ position: { epoch: now.epoch, offset: now.offset }, stoppedAtNul: false, committed: true });
    expect(index.heads()).toEqual([{ name: 'f.txt', head: latest }]);
    expect(index.position()).toEqual({ epoch: now.epoch, offset: now.offset });
  });
});
