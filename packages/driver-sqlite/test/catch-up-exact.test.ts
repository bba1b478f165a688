// IndexCatchUp on a real index file, over a head log held in memory and objects in a Map (every
// load recorded): what a catch-up and a rebuild return and leave in the index, when they need
// a rebuild, the resync after a void line, placeholders for missing or damaged commits, the
// races with another writer of the shared index, and the progress a rebuild reports.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GitObject, Progress } from '@gitty/core';
import { IndexCatchUp } from '../src/catch-up.js';
import type { IndexDb } from '../src/index-db.js';
import { CatchUpBench, change } from './support/catch-up-bench.js';
import { hash } from './support/exact-index.js';
import { StandInLog } from './support/stand-in-log.js';

describe('IndexCatchUp', () => {
  let bench: CatchUpBench;
  let index: IndexDb, log: StandInLog, objects: Map<string, GitObject>, loads: string[], catchUp: IndexCatchUp;
  beforeEach(() => ({ index, log, objects, loads, catchUp } = bench = new CatchUpBench()));
  afterEach(() => bench.remove());
  const commitsRows = () => index.db.prepare<[], { hash: string }>('SELECT hash FROM commits ORDER BY hash').all().map((r) => r.hash);

  it('asks for a rebuild of an index without a position, reading nothing', async () => {
    log.lines.push(change('a', null, hash('1')));
    expect(await catchUp.catchUp()).toEqual({ rebuild: 'missing' });
    expect(log.calls).toEqual([]);
  });

  it('rebuilds from the whole log: heads, texts, every history commit, the position and progress', async () => {
    const a1 = bench.version('a.pl', 'one');
    const a2 = bench.version('a.pl', 'two', a1.commit);
    const b1 = bench.version('b.pl', 'bee');
    log.lines.push(change('a.pl', null, a1.commit), change('b.pl', null, b1.commit), change('a.pl', a1.commit, a2.commit), change('b.pl', b1.commit, null));
    const progress: Progress[] = [];
    expect(await catchUp.rebuild((p) => progress.push(p))).toEqual({ position: { epoch: 'E', offset: 4 }, stoppedAtNul: false, committed: true });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: a2.commit }]);
    expect(bench.text('a.pl')).toBe('two');
    expect(index.position()).toEqual({ epoch: 'E', offset: 4 });
    expect(commitsRows()).toEqual([a1.commit, a2.commit].sort());
    expect(progress).toEqual([{ phase: 'sqlite-reindex', done: 0, total: 2 }, { phase: 'sqlite-reindex', done: 2, total: 2 }]);
    expect(log.calls).toEqual(['scan start', 'scan E:4']);
  });

  it('rebuilds with stopAtNul up to a line holding NUL bytes and says so', async () => {
    const a1 = bench.version('a.pl', 'one');
    const b1 = bench.version('b.pl', 'bee');
    log.lines.push(change('a.pl', null, a1.commit), change('b.pl', null, b1.commit));
    log.nulAt = 1;
    expect(await catchUp.rebuild(undefined, true)).toEqual({ position: { epoch: 'E', offset: 1 }, stoppedAtNul: true, committed: true });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: a1.commit }]);
    expect(log.calls).toEqual(['scan start stopAtNul', 'scan E:1 stopAtNul']);
    // The caller reads it again without stopping: a tail of one line.
    expect(await catchUp.catchUp(false)).toEqual({ applied: 1, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
    expect(index.getHead('b.pl')).toBe(b1.commit);
  });

  it('rebuilds an empty index when there is no log', async () => {
    log.missing = true;
    expect(await catchUp.rebuild()).toEqual({ position: { epoch: '', offset: 0 }, stoppedAtNul: false, committed: true });
    expect(index.position()).toEqual({ epoch: '', offset: 0 });
    expect(log.calls).toEqual(['scan start', 'readFrom start']);
  });

  it('reports progress every 1000 heads', async () => {
    for (let i = 0; i < 1001; i++) log.lines.push(change(`f${i}`, null, hash('a')));
    const progress: number[] = [];
    await catchUp.rebuild((p) => progress.push(p.done));
    expect(progress).toEqual([0, 1000, 1001]);
    expect(index.headCount()).toBe(1001);
  });

  it('applies a tail: new heads, changed texts, a deletion; the text is not read again for the same data', async () => {
    const a1 = bench.version('a.pl', 'one');
    const b1 = bench.version('b.pl', 'bee');
    log.lines.push(change('a.pl', null, a1.commit), change('b.pl', null, b1.commit));
    await catchUp.rebuild();
    expect(await catchUp.catchUp()).toEqual({ applied: 0, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
    loads.length = 0;
    const a2 = bench.version('a.pl', 'one', a1.commit, { author: 'ann' });
    const c1 = bench.version('c.pl', 'sea');
    log.lines.push(change('a.pl', a1.commit, a2.commit), change('b.pl', b1.commit, null), change('c.pl', null, c1.commit));
    expect(await catchUp.catchUp()).toEqual({ applied: 3, position: { epoch: 'E', offset: 5 }, stoppedAtNul: false });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: a2.commit }, { name: 'c.pl', head: c1.commit }]);
    expect([bench.text('a.pl'), bench.text('c.pl')]).toEqual(['one', 'sea']);
    // a.pl's data is unchanged: only its commit is loaded; c.pl needs both.
    expect(loads).toEqual([a2.commit, c1.commit, c1.data]);
    expect(index.getCommit(a2.commit)).toMatchObject({ author: 'ann', previous: a1.commit });
  });

  it('stops a tail before a line holding NUL bytes when asked to', async () => {
    const a1 = bench.version('a.pl', 'one');
    await catchUp.rebuild();
    log.lines.push(change('a.pl', null, a1.commit), change('b.pl', null, hash('9')));
    log.nulAt = 1;
    expect(await catchUp.catchUp(true)).toEqual({ applied: 1, position: { epoch: 'E', offset: 1 }, stoppedAtNul: true });
    expect(await catchUp.catchUp(true)).toEqual({ applied: 0, position: { epoch: 'E', offset: 1 }, stoppedAtNul: true });
    expect(await catchUp.catchUp(false)).toEqual({ applied: 1, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
  });

  it('asks for a rebuild when the log was rewritten or is gone', async () => {
    log.lines.push(change('a.pl', null, hash('1')));
    await catchUp.rebuild();
    log.epoch = 'F';
    expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
    log.epoch = 'E';
    log.missing = true;
    expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
  });

  it('indexes a head whose commit is missing, not a commit, or damaged as a placeholder waiting for it', async () => {
    const blob = bench.version('x', 'just a blob').data;
    const damaged = hash('d');
    objects.set(damaged, { type: 'commit', data: new TextEncoder().encode('{not json') });
    log.lines.push(change('gone.pl', null, hash('9')), change('blob.pl', null, blob), change('bad.pl', null, damaged));
    await catchUp.rebuild();
    expect(index.heads()).toEqual([{ name: 'bad.pl', head: damaged }, { name: 'blob.pl', head: blob }, { name: 'gone.pl', head: hash('9') }]);
    expect(index.db.prepare('SELECT name, data, time, author, tags FROM heads ORDER BY name').all()).toEqual([
      { name: 'bad.pl', data: '', time: 0, author: null, tags: '[]' },
      { name: 'blob.pl', data: '', time: 0, author: null, tags: '[]' },
      { name: 'gone.pl', data: '', time: 0, author: null, tags: '[]' },
    ]);
    expect(commitsRows()).toEqual([]);
    expect(index.waitedFor().sort()).toEqual([blob, damaged, hash('9')].sort());
    expect(bench.text('gone.pl')).toBeUndefined();
  });

  it('waits for a missing blob, and indexes the head again once it is stored', async () => {
    const a1 = bench.version('a.pl', 'late text');
    const blob = objects.get(a1.data)!;
    objects.delete(a1.data);
    log.lines.push(change('a.pl', null, a1.commit));
    await catchUp.rebuild();
    expect(index.waitingFor(a1.data)).toEqual(['a.pl']);
    expect(bench.text('a.pl')).toBeUndefined();
    objects.set(a1.data, blob);
    await catchUp.indexWaiting([hash('0'), a1.data]);
    expect(bench.text('a.pl')).toBe('late text');
    expect(index.waitedFor()).toEqual([]);
  });

  it('indexWaiting leaves a head that moved on, and does nothing without waiting heads', async () => {
    const a1 = bench.version('a.pl', 'one');
    objects.delete(a1.commit);
    log.lines.push(change('a.pl', null, a1.commit));
    await catchUp.rebuild();
    loads.length = 0;
    await catchUp.indexWaiting([hash('7')]);
    expect(loads).toEqual([]);
    // Another writer moved the head while the object was stored.
    const a2 = bench.version('a.pl', 'two');
    bench.onLoad = () => {
      bench.onLoad = undefined;
      index.transaction(() => index.setHead('a.pl', { commit: { commit: a2.commit, name: 'a.pl', data: a2.data, time: 1 }, body: '{}', text: 'two' }));
    };
    bench.version('a.pl', 'one');
    await catchUp.indexWaiting([a1.commit]);
    expect(index.getHead('a.pl')).toBe(a2.commit);
    expect(bench.text('a.pl')).toBe('two');
  });

  it('rethrows a load error that is not a damaged object', async () => {
    log.lines.push(change('a.pl', null, hash('1')));
    const failing = new IndexCatchUp(index, log, async () => { throw Object.assign(new Error('EIO'), { code: 'EIO' }); });
    await expect(failing.rebuild()).rejects.toThrow('EIO');
    expect(index.position()).toBeUndefined();
  });

  it('resyncs with the whole log after a line that does not apply to the index\'s heads', async () => {
    const a1 = bench.version('a.pl', 'one');
    const a2 = bench.version('a.pl', 'two', a1.commit);
    log.lines.push(change('a.pl', null, a1.commit));
    await catchUp.rebuild();
    // An index that went wrong: a head the log never had, and a file the log does not hold.
    index.transaction(() => {
      index.setHead('a.pl', { commit: { commit: hash('7'), name: 'a.pl', data: hash('8'), time: 1 }, body: null, text: null });
      index.setHead('ghost.pl', { commit: { commit: hash('6'), name: 'ghost.pl', data: hash('8'), time: 1 }, body: null, text: null });
    });
    log.lines.push(change('a.pl', a1.commit, a2.commit));
    expect(await catchUp.catchUp()).toEqual({ applied: 2, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: a2.commit }]);
    expect(bench.text('a.pl')).toBe('two');
    expect(log.calls.slice(-2)).toEqual(['scan E:1', 'scan start']);
  });

  it('a resync that meets a line holding NUL bytes leaves the index where it was, for a read under the lock', async () => {
    const a1 = bench.version('a.pl', 'one');
    log.lines.push(change('a.pl', null, a1.commit));
    await catchUp.rebuild();
    log.lines.push(change('a.pl', hash('5'), hash('6')), change('b.pl', null, hash('4')));
    log.nulAt = 2;
    expect(await catchUp.catchUp(true)).toEqual({ applied: 0, position: { epoch: 'E', offset: 1 }, stoppedAtNul: true });
    expect(index.position()).toEqual({ epoch: 'E', offset: 1 });
    // Under the lock the void line is skipped and the rest applies.
    expect(await catchUp.catchUp(false)).toEqual({ applied: 1, position: { epoch: 'E', offset: 3 }, stoppedAtNul: false });
    expect(index.getHead('a.pl')).toBe(a1.commit);
    expect(index.getHead('b.pl')).toBe(hash('4'));
  });

  it('a resync that finds the log rewritten asks for a rebuild', async () => {
    log.lines.push(change('a.pl', null, hash('1')));
    await catchUp.rebuild();
    log.lines.push(change('a.pl', hash('5'), hash('6')));
    log.beforeNextScan = () => {
      // The first scan (the tail) sees epoch E; the whole-log read then finds a new log.
      log.beforeNextScan = () => { log.epoch = 'F'; };
    };
    expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
  });

  it('a resync that finds the log shorter than the index\'s position asks for a rebuild', async () => {
    log.lines.push(change('a.pl', null, hash('1')), change('b.pl', null, hash('2')));
    await catchUp.rebuild();
    log.lines.push(change('a.pl', hash('5'), hash('6')));
    log.beforeNextScan = () => {
      log.beforeNextScan = () => { log.lines = [change('a.pl', null, hash('1'))]; };
    };
    expect(await catchUp.catchUp()).toEqual({ rebuild: 'epoch' });
  });

  it('starts a tail over when another writer moved the shared index meanwhile', async () => {
    const a1 = bench.version('a.pl', 'one');
    await catchUp.rebuild();
    log.lines.push(change('a.pl', null, a1.commit));
    const b1 = bench.version('b.pl', 'bee');
    bench.onLoad = () => {
      bench.onLoad = undefined;
      // The other writer applies the same line and one more.
      log.lines.push(change('b.pl', null, b1.commit));
      index.transaction(() => {
        index.setHead('a.pl', { commit: { commit: a1.commit, name: 'a.pl', data: a1.data, time: 1 }, body: '{}', text: 'one' });
        index.setPosition({ epoch: 'E', offset: 1 });
      });
    };
    expect(await catchUp.catchUp()).toEqual({ applied: 1, position: { epoch: 'E', offset: 2 }, stoppedAtNul: false });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: a1.commit }, { name: 'b.pl', head: b1.commit }]);
    expect(log.calls.slice(-2)).toEqual(['scan E:0', 'scan E:1']);
  });

  it('a rebuild reads the lines appended while it loaded objects, and commits the log\'s end', async () => {
    const a1 = bench.version('a.pl', 'one');
    const a2 = bench.version('a.pl', 'two', a1.commit);
    log.lines.push(change('a.pl', null, a1.commit));
    bench.onLoad = () => {
      bench.onLoad = undefined;
      log.lines.push(change('a.pl', a1.commit, a2.commit), change('a.pl', a1.commit, hash('9')));
    };
    const progress: Progress[] = [];
    expect(await catchUp.rebuild((p) => progress.push(p))).toEqual({ position: { epoch: 'E', offset: 3 }, stoppedAtNul: false, committed: true });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: a2.commit }]);
    expect(bench.text('a.pl')).toBe('two');
    expect(commitsRows()).toEqual([a1.commit, a2.commit].sort());
    expect(log.calls).toEqual(['scan start', 'scan E:1', 'scan E:3']);
    expect(progress.at(-1)).toEqual({ phase: 'sqlite-reindex', done: 1, total: 1 });
  });

  it('a rebuild starts over when the log is rewritten while it loads', async () => {
    const a1 = bench.version('a.pl', 'one');
    const b1 = bench.version('b.pl', 'bee');
    log.lines.push(change('a.pl', null, a1.commit));
    bench.onLoad = () => {
      bench.onLoad = undefined;
      log.epoch = 'F';
      log.lines = [change('b.pl', null, b1.commit)];
    };
    expect(await catchUp.rebuild()).toEqual({ position: { epoch: 'F', offset: 1 }, stoppedAtNul: false, committed: true });
    expect(index.heads()).toEqual([{ name: 'b.pl', head: b1.commit }]);
  });

  it('a rebuild never moves the shared index back: it reads on, and gives up when the index is past the log\'s end', async () => {
    log.lines.push(change('a.pl', null, hash('1')));
    index.transaction(() => index.setPosition({ epoch: 'E', offset: 5 }));
    await expect(catchUp.rebuild()).rejects.toThrow(new Error('The sqlite index of /stand-in/ref/head is ahead of its head log\'s end (1); reindex after removing it'));
    expect(log.calls).toHaveLength(101);
    expect(index.position()).toEqual({ epoch: 'E', offset: 5 });
  });

  it('a rebuild stopped at a line holding NUL bytes that the index is past does not commit', async () => {
    log.lines.push(change('a.pl', null, hash('1')), change('b.pl', null, hash('2')));
    log.nulAt = 1;
    index.transaction(() => index.setPosition({ epoch: 'E', offset: 2 }));
    expect(await catchUp.rebuild(undefined, true)).toEqual({ position: { epoch: 'E', offset: 1 }, stoppedAtNul: true, committed: false });
    expect(index.headCount()).toBe(0);
    expect(index.position()).toEqual({ epoch: 'E', offset: 2 });
  });

  it('a rebuild over an index of another epoch, or one behind, replaces it', async () => {
    log.lines.push(change('a.pl', null, hash('1')));
    index.transaction(() => {
      index.setHead('old.pl', { commit: { commit: hash('2'), name: 'old.pl', data: hash('3'), time: 1 }, body: null, text: null });
      index.setPosition({ epoch: 'OLD', offset: 50 });
    });
    expect(await catchUp.rebuild()).toMatchObject({ position: { epoch: 'E', offset: 1 }, committed: true });
    expect(index.heads()).toEqual([{ name: 'a.pl', head: hash('1') }]);
    index.transaction(() => index.setPosition({ epoch: 'E', offset: 0 }));
    log.lines.push(change('b.pl', null, hash('4')));
    expect(await catchUp.rebuild()).toMatchObject({ position: { epoch: 'E', offset: 2 }, committed: true });
    // Exactly at the log's end is not ahead either.
    expect(await catchUp.rebuild()).toMatchObject({ position: { epoch: 'E', offset: 2 }, committed: true });
  });

  it('on a log that is not strict the last line per name wins, in a rebuild and a tail', async () => {
    log.strict = undefined;
    const lax = new IndexCatchUp(index, log, async (h) => objects.get(h));
    log.lines.push(change('a.pl', null, hash('1')), change('a.pl', null, hash('2')));
    await lax.rebuild();
    expect(index.getHead('a.pl')).toBe(hash('2'));
    log.lines.push(change('a.pl', hash('9'), hash('3')));
    expect(await lax.catchUp()).toEqual({ applied: 1, position: { epoch: 'E', offset: 3 }, stoppedAtNul: false });
    expect(index.getHead('a.pl')).toBe(hash('3'));
  });

  it('stops a history at a missing or non-commit object, and at a cycle', async () => {
    const a1 = bench.version('a.pl', 'one', hash('5'));
    const a2 = bench.version('a.pl', 'two', a1.commit);
    const b1 = bench.version('b.pl', 'one', bench.version('x', 'blob').data);
    log.lines.push(change('a.pl', null, a2.commit), change('b.pl', null, b1.commit), change('c.pl', null, a2.commit));
    await catchUp.rebuild();
    expect(commitsRows()).toEqual([a1.commit, a2.commit, b1.commit].sort());
    // a2's history is loaded once though two heads share it.
    expect(loads.filter((h) => h === a1.commit)).toHaveLength(1);
  });
});
