// HeadWatch over a stand-in head log (a list of lines; every read and lock recorded): what it
// reports, from where it reads, what it leaves out (own changes, void lines, a rewritten log),
// how concurrent polls coalesce, and the read under the lock after a line holding NUL bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watch as watchFs, writeFileSync, type FSWatcher } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '@gitty/driver-test/harness';
import type { HeadChange } from '@gitty/core';
import type { HeadLogAccess, LogPosition } from '../src/head-log-port.js';
import { HeadWatch } from '../src/head-watch.js';

const h = (c: string) => c.repeat(40);
const change = (name: string, old: string | null, next: string | null): HeadChange => ({ name, old, new: next });

class StandInLog implements Pick<HeadLogAccess, 'readFrom' | 'scan' | 'strict' | 'withLock' | 'file'> {
  lines: HeadChange[] = [];
  epoch = 'E';
  /** Index of a line that reads as NUL bytes without the lock. */
  nulAt: number | undefined;
  calls: string[] = [];
  strict: boolean | undefined = true;
  constructor(readonly file: string) {}

  async readFrom(from?: LogPosition) {
    this.calls.push(`readFrom ${from?.offset}`);
    const reset = !from || from.epoch !== this.epoch;
    return { epoch: this.epoch, offset: this.lines.length, reset, events: this.lines.slice(reset ? 0 : from.offset) };
  }

  async scan(from: LogPosition | undefined, visit: (c: HeadChange) => void, options: { stopAtNul?: boolean }) {
    this.calls.push(`scan ${from?.epoch}:${from?.offset} ${options.stopAtNul}`);
    const reset = !from || from.epoch !== this.epoch;
    let offset = reset ? 0 : from.offset;
    for (; offset < this.lines.length; offset++) {
      if (offset === this.nulAt && options.stopAtNul) return { epoch: this.epoch, offset, reset, stoppedAtNul: true };
      visit(this.lines[offset]!);
    }
    return { epoch: this.epoch, offset, reset, stoppedAtNul: false };
  }

  async withLock<T>(work: () => Promise<T>): Promise<T> {
    this.calls.push('lock');
    return work();
  }
}

describe('HeadWatch', () => {
  let dir: string;
  let log: StandInLog;
  let watch: HeadWatch;
  let seen: HeadChange[];
  const record = (c: HeadChange) => seen.push(c);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-watch-'));
    log = new StandInLog(join(dir, 'head'));
    // A poll interval far beyond any test: only the test's own polls read the log.
    watch = new HeadWatch(log, 1_000_000);
    seen = [];
  });
  afterEach(() => {
    watch.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads nothing without listeners', async () => {
    log.lines.push(change('a', null, h('1')));
    await watch.poll();
    expect(log.calls).toEqual([]);
  });

  it('reports the changes appended after the position it was given, then only newer ones', async () => {
    log.lines.push(change('old', null, h('0')));
    watch.add(record, { epoch: 'E', offset: 1 });
    log.lines.push(change('a', null, h('1')), change('b', null, h('2')));
    await watch.poll();
    expect(seen).toEqual([change('a', null, h('1')), change('b', null, h('2'))]);
    log.lines.push(change('a', h('1'), h('3')));
    await watch.poll();
    expect(seen.slice(2)).toEqual([change('a', h('1'), h('3'))]);
    expect(log.calls).toEqual(['scan E:1 true', 'scan E:3 true']);
  });

  it('reports to every listener, one failing listener stopping none', async () => {
    const other: HeadChange[] = [];
    watch.add(() => { throw new Error('listener bug'); }, { epoch: 'E', offset: 0 });
    watch.add(record, { epoch: 'X', offset: 99 });
    watch.add((c) => other.push(c), undefined);
    log.lines.push(change('a', null, h('1')), change('b', null, h('2')));
    await watch.poll();
    expect(seen).toHaveLength(2);
    expect(other).toEqual(seen);
  });

  it('leaves out each change this process noted, once per note', async () => {
    // Not strict, so the repeated lines below are not void for the replay rule.
    log.strict = undefined;
    watch.add(record, { epoch: 'E', offset: 0 });
    const mine = change('a', null, h('1'));
    watch.noteOwn(mine);
    watch.noteOwn(change('c', null, h('5')));
    watch.noteOwn(change('c', null, h('5')));
    log.lines.push(mine, change('b', null, h('2')), change('c', null, h('5')), change('c', null, h('5')), change('c', null, h('5')));
    await watch.poll();
    expect(seen).toEqual([change('b', null, h('2')), change('c', null, h('5'))]);
    // The notes are used up: the same change again is someone else's.
    log.lines.push(mine);
    await watch.poll();
    expect(seen.slice(2)).toEqual([mine]);
  });

  it('notes nothing while nobody listens', async () => {
    const mine = change('a', null, h('1'));
    watch.noteOwn(mine);
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(mine);
    await watch.poll();
    expect(seen).toEqual([mine]);
  });

  it('leaves out a void line on a strict log (a second change from a head already moved away from)', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', h('1'), h('2')), change('a', h('1'), h('7')), change('a', h('2'), h('1')), change('a', h('1'), h('8')));
    await watch.poll();
    // The third line moves back to 1, so a change from 1 applies again.
    expect(seen).toEqual([change('a', h('1'), h('2')), change('a', h('2'), h('1')), change('a', h('1'), h('8'))]);
  });

  it('reports every line on a log that is not strict (SWISH\'s: the last line wins)', async () => {
    log.strict = undefined;
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', h('1'), h('2')), change('a', h('1'), h('7')));
    await watch.poll();
    expect(seen).toHaveLength(2);
  });

  it('forgets the oldest spent head beyond 10,000, so its void line is reported again', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('first', h('1'), h('2')));
    for (let i = 0; i < 9_999; i++) log.lines.push(change(`f${i}`, h('1'), h('2')));
    await watch.poll();
    expect(seen).toHaveLength(10_000);
    log.lines.push(change('first', h('1'), h('3')));
    await watch.poll();
    expect(seen).toHaveLength(10_000);
    log.lines.push(change('last', h('1'), h('2')), change('first', h('1'), h('4')));
    await watch.poll();
    expect(seen.slice(10_000)).toEqual([change('last', h('1'), h('2')), change('first', h('1'), h('4'))]);
  });

  it('reports nothing from a rewritten log, carries on from its end, and forgets spent heads', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', h('1'), h('2')));
    await watch.poll();
    log.epoch = 'F';
    log.lines = [change('a', null, h('2')), change('b', null, h('3'))];
    await watch.poll();
    expect(seen).toEqual([change('a', h('1'), h('2'))]);
    log.lines.push(change('a', h('1'), h('9')));
    await watch.poll();
    expect(seen.slice(1)).toEqual([change('a', h('1'), h('9'))]);
    expect(log.calls).toEqual(['scan E:0 true', 'scan E:1 true', 'scan F:2 true']);
  });

  it('reads a line holding NUL bytes again under the lock, where it is final', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', null, h('1')), change('b', null, h('2')));
    log.nulAt = 1;
    await watch.poll();
    expect(log.calls).toEqual(['scan E:0 true', 'lock', 'scan E:0 false']);
    expect(seen).toEqual([change('a', null, h('1')), change('b', null, h('2'))]);
  });

  it('reads nothing when there is no log', async () => {
    const none = { ...log, file: log.file, scan: async () => undefined, readFrom: async () => undefined, withLock: log.withLock.bind(log) };
    const w = new HeadWatch(none, 1_000_000);
    try {
      w.add(record, { epoch: 'E', offset: 0 });
      await w.poll();
      expect(seen).toEqual([]);
    } finally {
      w.stop();
    }
  });

  it('coalesces polls during a read into one more read after it', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', null, h('1')));
    const first = watch.poll();
    const second = watch.poll();
    const third = watch.poll();
    expect(second).toBe(first);
    expect(third).toBe(first);
    await first;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(log.calls).toEqual(['scan E:0 true', 'scan E:1 true']);
  });

  it('stops with its last listener, and a new one starts from its own position', async () => {
    const off = watch.add(record, { epoch: 'E', offset: 0 });
    watch.noteOwn(change('z', null, h('9')));
    log.lines.push(change('a', null, h('1')));
    off();
    await watch.poll();
    expect(log.calls).toEqual([]);
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('z', null, h('9')));
    await watch.poll();
    // The note was dropped with the last listener: the change is reported.
    expect(seen).toEqual([change('a', null, h('1')), change('z', null, h('9'))]);
  });

  it('keeps reading while one of two listeners is left', async () => {
    const off = watch.add(record, { epoch: 'E', offset: 0 });
    const other: HeadChange[] = [];
    watch.add((c) => other.push(c), { epoch: 'E', offset: 5 });
    off();
    log.lines.push(change('a', null, h('1')));
    await watch.poll();
    expect(other).toEqual([change('a', null, h('1'))]);
    expect(seen).toEqual([]);
  });

  it('reads when the log file in its folder changes (fs.watch), without waiting for the timer', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', null, h('1')));
    writeFileSync(log.file, 'changed');
    await waitFor(() => seen.length === 1);
    expect(seen).toEqual([change('a', null, h('1'))]);
  });

  /** Resolves once a second watcher on the log's folder saw `name` change, and every callback of that event ran. */
  const eventSeen = (name: string, write: () => void) =>
    new Promise<void>((resolve) => {
      const other = watchFs(dir, { persistent: false }, (_event, changed) => {
        if (changed !== name) return;
        other.close();
        setImmediate(resolve);
      });
      write();
    });
  const watcherOf = (w: HeadWatch) => (w as unknown as { watcher: FSWatcher | undefined }).watcher;

  it('does not read when another file in the log\'s folder changes', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', null, h('1')));
    await eventSeen('other', () => writeFileSync(join(dir, 'other'), 'x'));
    expect(log.calls).toEqual([]);
    await eventSeen('head', () => writeFileSync(log.file, 'changed'));
    await waitFor(() => seen.length === 1);
    expect(log.calls[0]).toBe('scan E:0 true');
  });

  it('closes its folder watcher when it fails, and reads no more on file events', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    log.lines.push(change('a', null, h('1')));
    const watcher = watcherOf(watch)!;
    expect(() => watcher.emit('error', new Error('watch failed'))).not.toThrow();
    await eventSeen('head', () => writeFileSync(log.file, 'changed'));
    expect(log.calls).toEqual([]);
    // The timer still reads.
    await watch.poll();
    expect(seen).toEqual([change('a', null, h('1'))]);
  });

  it('a folder watcher that fails after stop() is left alone', async () => {
    watch.add(record, { epoch: 'E', offset: 0 });
    const watcher = watcherOf(watch)!;
    watch.stop();
    expect(watcherOf(watch)).toBeUndefined();
    expect(() => watcher.emit('error', new Error('watch failed'))).not.toThrow();
  });

  it('reads on its timer where no file event comes', async () => {
    const quiet = new StandInLog(join(dir, 'never-written', 'head'));
    const polled = new HeadWatch(quiet, 50);
    try {
      polled.add(record, { epoch: 'E', offset: 0 });
      quiet.lines.push(change('a', null, h('1')));
      await waitFor(() => seen.length === 1);
      expect(seen).toEqual([change('a', null, h('1'))]);
    } finally {
      polled.stop();
    }
  });
});
