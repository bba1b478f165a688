// log-read.ts over head logs whose answers the test states exactly: which of scan and readFrom
// is asked, with what, and what the read and the replayed heads then are.
import { describe, expect, it } from 'vitest';
import type { HeadChange } from '@gitty/core';
import type { HeadLogAccess, LogPosition, LogRead, LogScan } from '../src/head-log-port.js';
import { headsAfter, readAllHeads, readLog, replayRead, type TailRead } from '../src/log-read.js';

const h = (c: string) => c.repeat(40);
const change = (name: string, old: string | null, next: string | null): HeadChange => ({ name, old, new: next });

type Log = Pick<HeadLogAccess, 'readFrom' | 'scan' | 'strict'>;

/** A log whose scan visits `scanned` and answers `scanResult`, and whose readFrom answers `read`. */
function fakeLog(options: { scanned?: HeadChange[]; scanResult?: LogScan; read?: LogRead; strict?: boolean; noScan?: boolean }) {
  const calls: string[] = [];
  const log: Log = {
    strict: options.strict,
    readFrom: async (from?: LogPosition) => {
      calls.push(`readFrom ${JSON.stringify(from)}`);
      return options.read;
    },
  };
  if (!options.noScan) {
    log.scan = async (from, visit, opts) => {
      calls.push(`scan ${JSON.stringify(from)} ${JSON.stringify(opts)}`);
      for (const c of options.scanned ?? []) visit(c);
      return options.scanResult;
    };
  }
  return { log, calls };
}

const events = [change('a', null, h('1')), change('a', h('1'), h('2'))];

describe('readLog', () => {
  it('streams through scan when the log has one, passing the position and stopAtNul', async () => {
    const { log, calls } = fakeLog({ scanned: events, scanResult: { epoch: 'E', offset: 77, reset: false, stoppedAtNul: true } });
    expect(await readLog(log, { epoch: 'E', offset: 5 }, true)).toEqual({ epoch: 'E', offset: 77, reset: false, events, stoppedAtNul: true });
    expect(calls).toEqual(['scan {"epoch":"E","offset":5} {"stopAtNul":true}']);
    const again = fakeLog({ scanResult: { epoch: 'E', offset: 7, reset: true, stoppedAtNul: false } });
    expect(await readLog(again.log, undefined, false)).toEqual({ epoch: 'E', offset: 7, reset: true, events: [], stoppedAtNul: false });
    expect(again.calls).toEqual(['scan undefined {"stopAtNul":false}']);
  });

  it('falls back to readFrom when scan finds no log, or a log without an epoch line', async () => {
    const read: LogRead = { epoch: '', offset: 40, reset: true, events };
    for (const scanResult of [undefined, { epoch: '', offset: 0, reset: true, stoppedAtNul: false }]) {
      const { log, calls } = fakeLog({ scanned: [change('x', null, h('9'))], scanResult, read });
      expect(await readLog(log, { epoch: 'E', offset: 5 }, true)).toEqual({ epoch: '', offset: 40, reset: true, events, stoppedAtNul: false });
      expect(calls).toEqual(['scan {"epoch":"E","offset":5} {"stopAtNul":true}', 'readFrom {"epoch":"E","offset":5}']);
    }
  });

  it('reads with readFrom alone on a log without scan (SWISH\'s), and answers undefined for no log', async () => {
    const read: LogRead = { epoch: 'S', offset: 3, reset: false, events };
    const { log, calls } = fakeLog({ noScan: true, read });
    expect(await readLog(log, undefined, true)).toEqual({ epoch: 'S', offset: 3, reset: false, events, stoppedAtNul: false });
    expect(calls).toEqual(['readFrom undefined']);
    expect(await readLog(fakeLog({ noScan: true }).log, undefined, false)).toBeUndefined();
  });
});

describe('readAllHeads', () => {
  const lines = [change('a', null, h('1')), change('b', null, h('5')), change('a', null, h('3')), change('a', h('1'), h('2')), change('b', h('5'), null)];

  it('streams the whole log by the replay rule on a strict log: a line applies only from the head', async () => {
    const { log, calls } = fakeLog({ strict: true, scanned: lines, scanResult: { epoch: 'E', offset: 90, reset: false, stoppedAtNul: true } });
    expect(await readAllHeads(log, true)).toEqual({
      read: { epoch: 'E', offset: 90, reset: true, events: [], stoppedAtNul: true },
      heads: new Map([['a', h('2')], ['b', null]]),
    });
    expect(calls).toEqual(['scan undefined {"stopAtNul":true}']);
  });

  it('lets the last line per name win on a log that is not strict', async () => {
    const { log } = fakeLog({ strict: undefined, scanned: lines, scanResult: { epoch: 'E', offset: 90, reset: false, stoppedAtNul: false } });
    expect((await readAllHeads(log, false))?.heads).toEqual(new Map([['a', h('2')], ['b', null]]));
    const last = fakeLog({ scanned: [change('a', null, h('1')), change('a', null, h('3'))], scanResult: { epoch: 'E', offset: 9, reset: false, stoppedAtNul: false } });
    expect((await readAllHeads(last.log, false))?.heads).toEqual(new Map([['a', h('3')]]));
    const strict = fakeLog({ strict: true, scanned: [change('a', null, h('1')), change('a', null, h('3'))], scanResult: { epoch: 'E', offset: 9, reset: false, stoppedAtNul: false } });
    expect((await readAllHeads(strict.log, false))?.heads).toEqual(new Map([['a', h('1')]]));
  });

  it('reads with readFrom from the start when scan finds no epoch line, or there is no scan', async () => {
    const read: LogRead = { epoch: '', offset: 12, reset: true, events: [change('a', null, h('1')), change('a', null, h('3'))] };
    const strict = fakeLog({ strict: true, scanResult: { epoch: '', offset: 0, reset: true, stoppedAtNul: false }, read });
    expect(await readAllHeads(strict.log, true)).toEqual({ read: { ...read, stoppedAtNul: false }, heads: new Map([['a', h('1')]]) });
    expect(strict.calls).toEqual(['scan undefined {"stopAtNul":true}', 'readFrom undefined']);
    const loose = fakeLog({ noScan: true, read });
    expect((await readAllHeads(loose.log, false))?.heads).toEqual(new Map([['a', h('3')]]));
    expect(await readAllHeads(fakeLog({ noScan: true, strict: true }).log, false)).toBeUndefined();
    // Read from the start, every name has no head before the read, even if the log does not say reset.
    const unflagged = fakeLog({ noScan: true, strict: true, read: { epoch: 'S', offset: 1, reset: false, events: [change('a', null, h('1'))] } });
    expect((await readAllHeads(unflagged.log, false))?.heads).toEqual(new Map([['a', h('1')]]));
  });
});

describe('replayRead and headsAfter', () => {
  const tail = (reset: boolean, evs: HeadChange[]): TailRead => ({ epoch: 'E', offset: 1, reset, events: evs, stoppedAtNul: false });
  const before = (name: string) => (name === 'a' ? h('1') : null);

  it('on a strict log applies a line only from the head before it, and counts the void ones', () => {
    const evs = [change('a', h('1'), h('2')), change('a', h('1'), h('7')), change('b', null, h('4'))];
    const replay = replayRead(tail(false, evs), true, before);
    expect([replay.heads, replay.voided]).toEqual([new Map([['a', h('2')], ['b', h('4')]]), 1]);
    expect(headsAfter(tail(false, evs), true, before)).toEqual(new Map([['a', h('2')], ['b', h('4')]]));
  });

  it('on a strict log read from its start (reset) ignores the heads before', () => {
    const evs = [change('a', null, h('5')), change('a', h('1'), h('2'))];
    const fromStart = replayRead(tail(true, evs), true, before);
    expect([fromStart.heads, fromStart.voided]).toEqual([new Map([['a', h('5')]]), 1]);
    const fromTail = replayRead(tail(false, evs), true, before);
    expect([fromTail.heads, fromTail.voided]).toEqual([new Map([['a', h('2')]]), 1]);
  });

  it('on a log that is not strict takes the last line per name and voids none', () => {
    const evs = [change('a', h('9'), h('2')), change('a', null, h('3'))];
    expect(replayRead(tail(false, evs), false, before)).toEqual({ heads: new Map([['a', h('3')]]), voided: 0 });
  });
});
