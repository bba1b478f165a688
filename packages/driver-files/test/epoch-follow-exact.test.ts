import { afterEach, describe, expect, it } from 'vitest';
import fs, { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { HeadChange } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { patch, undoPatches } from './support/patch-fs.js';
import { HeadLog, parseEventLine, removeRetiredLogs, retiredLogFile } from '@gitty/driver-files';
import { followCompaction, planFollow, visitSegment } from '../src/epoch-follow.js';
import { readLogHeader, type CompactionLink } from '../src/log-header.js';

const h = (digit: string) => digit.repeat(40);
const line = (change: HeadChange) => `${JSON.stringify(change)}\n`;
const len = (text: string) => Buffer.byteLength(text);

async function withFolder(use: (file: string, dir: string) => Promise<void> | void): Promise<void> {
  const { dir, remove } = await tempDir('gitty-follow-');
  try {
    mkdirSync(path.join(dir, 'ref'));
    await use(path.join(dir, 'ref', 'head'), path.join(dir, 'ref'));
  } finally {
    await remove();
  }
}

function header(epoch: string, links: CompactionLink[] = []): string {
  return `${JSON.stringify(links.length > 0 ? { epoch, created: 1, compacted: links } : { epoch, created: 1 })}\n`;
}

/**
 * Epoch A (retired): its header, then a1, a2, a3. A compaction read it to after a2 (P) and
 * copied a3 to epoch B's log after B's header and snapshot line.
 */
function compacted(file: string) {
  const a1 = line({ name: 'x', old: null, new: h('1') });
  const a2 = line({ name: 'x', old: h('1'), new: h('2') });
  const a3 = line({ name: 'y', old: null, new: h('3') });
  const headerA = header('A');
  const retired = headerA + a1 + a2 + a3;
  writeFileSync(retiredLogFile(file, 'A'), retired);
  const P = len(headerA + a1 + a2);
  const E = len(retired);
  const snapshot = line({ name: 'x', old: null, new: h('2') });
  // The header's length depends on S, which depends on the header's length: iterate to the fixed point.
  let S = 0;
  while (S !== len(header('B', [{ epoch: 'A', offset: P, end: E, start: S }])) + len(snapshot)) S = len(header('B', [{ epoch: 'A', offset: P, end: E, start: S }])) + len(snapshot);
  const headerB = header('B', [{ epoch: 'A', offset: P, end: E, start: S }]);
  const b1 = line({ name: 'x', old: h('2'), new: h('4') });
  const current = headerB + snapshot + a3 + b1;
  writeFileSync(file, current);
  return { a1, a2, a3, b1, P, E, S, startA: len(headerA), startB: len(headerB), size: len(current) };
}

function plan(file: string, from: { epoch: string; offset: number }) {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const result = planFollow(file, readLogHeader(fd, size)!, size, from);
    if (!result) return undefined;
    for (const s of result.segments) closeSync(s.fd);
    return { offset: result.offset, segments: result.segments.map(({ start, end }) => ({ start, end })) };
  } finally {
    closeSync(fd);
  }
}

describe('following a compaction (planFollow)', () => {
  it('a place in the copied tail maps into the new log; behind the snapshot it reads the retired log first; past the copy it cannot', async () => {
    await withFolder((file) => {
      const c = compacted(file);
      expect(plan(file, { epoch: 'A', offset: c.P })).toEqual({ offset: c.S, segments: [] });
      expect(plan(file, { epoch: 'A', offset: c.E })).toEqual({ offset: c.S + c.E - c.P, segments: [] });
      expect(plan(file, { epoch: 'A', offset: c.P + 3 })).toEqual({ offset: c.S + 3, segments: [] });
      expect(plan(file, { epoch: 'A', offset: c.startA })).toEqual({ offset: c.S, segments: [{ start: c.startA, end: c.P }] });
      expect(plan(file, { epoch: 'A', offset: c.P - 1 })).toEqual({ offset: c.S, segments: [{ start: c.P - 1, end: c.P }] });
      expect(plan(file, { epoch: 'A', offset: c.E + 1 })).toBeUndefined();
      // Before the retired log's first event (inside its header): not a place of that log.
      expect(plan(file, { epoch: 'A', offset: c.startA - 1 })).toBeUndefined();
      expect(plan(file, { epoch: 'Z', offset: c.P })).toBeUndefined();
    });
  });

  it('a reader behind the snapshot cannot follow when the retired log is gone, of another epoch, or shorter than the link says', async () => {
    await withFolder((file) => {
      const c = compacted(file);
      const retired = retiredLogFile(file, 'A');
      writeFileSync(retired, header('Q') + c.a1 + c.a2 + c.a3);
      expect(plan(file, { epoch: 'A', offset: c.startA })).toBeUndefined();
      writeFileSync(retired, (header('A') + c.a1 + c.a2).slice(0, c.P - 1));
      expect(plan(file, { epoch: 'A', offset: c.startA })).toBeUndefined();
      writeFileSync(retired, header('A') + c.a1 + c.a2);
      expect(plan(file, { epoch: 'A', offset: c.startA })).toEqual({ offset: c.S, segments: [{ start: c.startA, end: c.P }] });
      writeFileSync(retired, '');
      expect(plan(file, { epoch: 'A', offset: c.startA })).toBeUndefined();
    });
  });

  it('a reader two compactions behind goes back through the retired log\'s own header', async () => {
    await withFolder((file) => {
      // Epoch Z was compacted into A (a link in A's header), then A into B.
      const z1 = line({ name: 'w', old: null, new: h('9') });
      const headerZ = header('Z');
      writeFileSync(retiredLogFile(file, 'Z'), headerZ + z1);
      const Pz = len(headerZ + z1);
      const snapshotA = line({ name: 'w', old: null, new: h('9') });
      const draftA = header('A', [{ epoch: 'Z', offset: Pz, end: Pz, start: 100 }]);
      const Sa = len(draftA) + len(snapshotA);
      const headerA = header('A', [{ epoch: 'Z', offset: Pz, end: Pz, start: Sa }]);
      const a1 = line({ name: 'x', old: null, new: h('1') });
      const retiredA = headerA + snapshotA + a1;
      writeFileSync(retiredLogFile(file, 'A'), retiredA);
      const Pa = len(retiredA);
      const draftB = header('B', [{ epoch: 'A', offset: Pa, end: Pa, start: 100 }]);
      const snapshotB = line({ name: 'w', old: null, new: h('9') }) + line({ name: 'x', old: null, new: h('1') });
      const Sb = len(draftB) + len(snapshotB);
      writeFileSync(file, header('B', [{ epoch: 'A', offset: Pa, end: Pa, start: Sb }]) + snapshotB);
      // From Z's end: through A's header to Sa in A, then A's [Sa, Pa) as a segment, then B at Sb.
      expect(plan(file, { epoch: 'Z', offset: Pz })).toEqual({ offset: Sb, segments: [{ start: Sa, end: Pa }] });
      // From inside Z: Z's tail first, then A's.
      expect(plan(file, { epoch: 'Z', offset: len(headerZ) })).toEqual({ offset: Sb, segments: [{ start: len(headerZ), end: Pz }, { start: Sa, end: Pa }] });
      // A retired log without links (or gone) ends the way back.
      writeFileSync(retiredLogFile(file, 'A'), header('A') + snapshotA + a1);
      expect(plan(file, { epoch: 'Z', offset: Pz })).toBeUndefined();
      writeFileSync(retiredLogFile(file, 'A'), `${JSON.stringify({ epoch: 'Q', created: 1, compacted: [{ epoch: 'Z', offset: Pz, end: Pz, start: Sa }] })}\n`);
      expect(plan(file, { epoch: 'Z', offset: Pz })).toBeUndefined();
    });
  });

  it('a place mapped outside the new log\'s events is refused', async () => {
    await withFolder((file) => {
      const c = compacted(file);
      const fd = openSync(file, 'r');
      try {
        const h0 = readLogHeader(fd, c.size)!;
        // The new log is shorter than the mapped place.
        expect(planFollow(file, h0, c.S + 2, { epoch: 'A', offset: c.P + 3 })).toBeUndefined();
        expect(planFollow(file, h0, c.S + 3, { epoch: 'A', offset: c.P + 3 })).toEqual({ segments: [], offset: c.S + 3 });
        // A link whose start lies before the events.
        const bad = { ...h0, links: [{ ...h0.links[0]!, start: h0.eventsStart - 1 }] };
        expect(planFollow(file, bad, c.size, { epoch: 'A', offset: c.P })).toBeUndefined();
        expect(planFollow(file, { ...bad, links: [{ ...h0.links[0]!, start: h0.eventsStart }] }, c.size, { epoch: 'A', offset: c.P })).toEqual({ segments: [], offset: h0.eventsStart });
        // Past MAX_FOLLOW_DEPTH retired headers it gives up.
        expect(planFollow(file, h0, c.size, { epoch: 'Z', offset: 1 }, 64)).toBeUndefined();
        // followCompaction: a header without links is no compaction.
        expect(followCompaction(file, fd, c.size, { epoch: 'A', offset: c.P })).toMatchObject({ offset: c.S });
      } finally {
        closeSync(fd);
      }
      writeFileSync(`${file}.plain`, header('B') + c.a3);
      const plain = openSync(`${file}.plain`, 'r');
      try {
        expect(followCompaction(`${file}.plain`, plain, statSync(`${file}.plain`).size, { epoch: 'A', offset: c.P })).toBeUndefined();
      } finally {
        closeSync(plain);
      }
    });
  });

  it('a reader of the old epoch reads the retired tail, then the new log on, through HeadLog.scan and readFrom', async () => {
    await withFolder(async (file) => {
      const c = compacted(file);
      const log = new HeadLog(file, { durability: 'none' });
      const seen: HeadChange[] = [];
      let reset: boolean | undefined;
      const scanned = await log.scan({ epoch: 'A', offset: c.startA + len(c.a1) }, (e) => seen.push(e), { onStart: (r) => (reset = r) });
      expect(scanned).toEqual({ epoch: 'B', offset: c.size, reset: false, skipped: 0, stoppedAtNul: false });
      expect(reset).toBe(false);
      expect(seen).toEqual([parseEventLine(c.a2), parseEventLine(c.a3), parseEventLine(c.b1)]);
      expect(await log.readFrom({ epoch: 'A', offset: c.P })).toEqual({ epoch: 'B', offset: c.size, reset: false, skipped: 0, events: [parseEventLine(c.a3), parseEventLine(c.b1)] });
      log.close();
    });
  });
});

afterEach(() => undoPatches());

/** Epoch Z compacted into A (retired, its header links Z), then A into B (the current log): Z's reader must go through A's header. */
function twoCompactions(file: string) {
  const z1 = line({ name: 'w', old: null, new: h('9') });
  const headerZ = header('Z');
  writeFileSync(retiredLogFile(file, 'Z'), headerZ + z1);
  const Pz = len(headerZ + z1);
  const snapshotA = line({ name: 'w', old: null, new: h('9') });
  const Sa = len(header('A', [{ epoch: 'Z', offset: Pz, end: Pz, start: 100 }])) + len(snapshotA);
  const retiredA = header('A', [{ epoch: 'Z', offset: Pz, end: Pz, start: Sa }]) + snapshotA + line({ name: 'x', old: null, new: h('1') });
  writeFileSync(retiredLogFile(file, 'A'), retiredA);
  const Pa = len(retiredA);
  const snapshotB = line({ name: 'w', old: null, new: h('9') }) + line({ name: 'x', old: null, new: h('1') });
  const Sb = len(header('B', [{ epoch: 'A', offset: Pa, end: Pa, start: 100 }])) + len(snapshotB);
  const current = header('B', [{ epoch: 'A', offset: Pa, end: Pa, start: Sb }]) + snapshotB;
  writeFileSync(file, current);
  return { Pz, Sa, Pa, Sb, size: len(current) };
}

/** planFollow on the log at `file` from `depth`, its segments' descriptors closed. */
function planAt(file: string, from: { epoch: string; offset: number }, depth: number) {
  const fd = openSync(file, 'r');
  try {
    const size = statSync(file).size;
    const result = planFollow(file, readLogHeader(fd, size)!, size, from, depth);
    if (!result) return undefined;
    for (const s of result.segments) closeSync(s.fd);
    return { offset: result.offset, segments: result.segments.map(({ start, end }) => ({ start, end })) };
  } finally {
    closeSync(fd);
  }
}

describe('going back through retired logs (planThroughRetired)', () => {
  it('a reader two compactions behind whose middle retired log is gone reads the whole log (undefined, no throw)', async () => {
    await withFolder((file) => {
      const c = twoCompactions(file);
      expect(plan(file, { epoch: 'Z', offset: c.Pz })).toEqual({ offset: c.Sb, segments: [{ start: c.Sa, end: c.Pa }] });
      rmSync(retiredLogFile(file, 'A'));
      expect(plan(file, { epoch: 'Z', offset: c.Pz })).toBeUndefined();
    });
  });

  it('the way back goes through at most 64 retired headers: from depth 63 it still arrives, from 64 it gives up', async () => {
    await withFolder((file) => {
      const c = twoCompactions(file);
      expect(planAt(file, { epoch: 'Z', offset: c.Pz }, 63)).toEqual({ offset: c.Sb, segments: [{ start: c.Sa, end: c.Pa }] });
      expect(planAt(file, { epoch: 'Z', offset: c.Pz }, 64)).toBeUndefined();
    });
  });

  it('retired logs whose headers name each other in a ring end after exactly 64 retired opens, every one closed', async () => {
    await withFolder((file) => {
      const link = (epoch: string) => [{ epoch, offset: 200, end: 200, start: 200 }];
      writeFileSync(retiredLogFile(file, 'A'), header('A', link('Q')));
      writeFileSync(retiredLogFile(file, 'Q'), header('Q', link('A')));
      writeFileSync(file, header('B', link('A')));
      const opened: number[] = [];
      const closed: number[] = [];
      patch('openSync', (original) => ((...args: Parameters<typeof original>) => {
        const fd = original(...args);
        if (String(args[0]).includes('.retired-')) opened.push(fd);
        return fd;
      }) as typeof original);
      patch('closeSync', (original) => ((fd: number) => {
        closed.push(fd);
        original(fd);
      }) as typeof original);
      expect(plan(file, { epoch: 'Z', offset: 10 })).toBeUndefined();
      expect(opened.length).toBe(64);
      expect(opened.every((fd) => closed.includes(fd))).toBe(true);
    });
  });
});

describe('retired logs that are not what their name says', () => {
  it('a middle retired log whose header names another epoch, or no header at all, ends the way back (undefined, no throw)', async () => {
    await withFolder((file) => {
      const c = twoCompactions(file);
      const retiredA = retiredLogFile(file, 'A');
      const text = readFileSync(retiredA, 'utf8');
      // The same bytes under a header of epoch Q (the same length as A's).
      writeFileSync(retiredA, text.replace('"epoch":"A"', '"epoch":"Q"'));
      expect(readFileSync(retiredA).length).toBe(len(text));
      expect(plan(file, { epoch: 'Z', offset: c.Pz })).toBeUndefined();
      writeFileSync(retiredA, 'garbage\n');
      expect(plan(file, { epoch: 'Z', offset: c.Pz })).toBeUndefined();
    });
  });

  it('a reader behind the snapshot whose retired log was removed reads the whole log (undefined, no throw)', async () => {
    await withFolder((file) => {
      const c = compacted(file);
      rmSync(retiredLogFile(file, 'A'));
      expect(plan(file, { epoch: 'A', offset: c.startA })).toBeUndefined();
    });
  });

  it('followCompaction of a log without a header line: undefined', async () => {
    await withFolder((file) => {
      writeFileSync(file, 'garbage\n');
      const fd = openSync(file, 'r');
      try {
        expect(followCompaction(file, fd, statSync(file).size, { epoch: 'A', offset: 1 })).toBeUndefined();
      } finally {
        closeSync(fd);
      }
    });
  });
});

describe('descriptors and removal edges', () => {
  it('a plan that fails after opening retired segments closes every one; so does a retired log of another epoch', async () => {
    await withFolder((file) => {
      const c = twoCompactions(file);
      const open = new Set<number>();
      patch('openSync', (original) => ((...args: Parameters<typeof original>) => {
        const fd = original(...args);
        if (String(args[0]).includes('.retired-')) open.add(fd);
        return fd;
      }) as typeof original);
      patch('closeSync', (original) => ((fd: number) => {
        open.delete(fd);
        original(fd);
      }) as typeof original);
      const fd = openSync(file, 'r');
      try {
        const h0 = readLogHeader(fd, c.size)!;
        // From inside Z: Z's tail and A's are opened, then the place lands past a log of size Sb - 1.
        expect(planFollow(file, h0, c.Sb - 1, { epoch: 'Z', offset: len(header('Z')) })).toBeUndefined();
        expect([...open]).toEqual([]);
        writeFileSync(retiredLogFile(file, 'A'), header('Q'));
        expect(planFollow(file, h0, c.size, { epoch: 'A', offset: 1 })).toBeUndefined();
        expect([...open]).toEqual([]);
      } finally {
        closeSync(fd);
      }
    });
  });

  it('a retired log\'s age is its newer time: a fresh change time keeps a log whose mtime is old', async () => {
    await withFolder((file) => {
      const retired = retiredLogFile(file, 'A');
      writeFileSync(retired, 'x');
      const past = new Date(Date.now() - 3_600_000);
      utimesSync(retired, past, past);
      const info = statSync(retired);
      expect(info.ctimeMs).toBeGreaterThan(info.mtimeMs);
      expect(removeRetiredLogs(file, 1000, info.ctimeMs + 999)).toBe(0);
      expect(removeRetiredLogs(file, 1000, info.ctimeMs + 1000)).toBe(1);
    });
  });

  it('ages at whole milliseconds: a log stamped within the current millisecond is 0 ms old, so keepMs 0 removes it', async () => {
    await withFolder((file) => {
      const retired = retiredLogFile(file, 'B');
      writeFileSync(retired, 'x');
      // An mtime half a millisecond into a millisecond a minute ahead (newer than its ctime), and
      // "now" at the start of that millisecond, as Date.now() gives it for a log retired just then.
      const stamp = Math.floor(Date.now()) + 60_000 + 0.5;
      utimesSync(retired, stamp / 1000, stamp / 1000);
      const info = statSync(retired);
      const now = Math.floor(info.mtimeMs);
      expect(now).toBe(stamp - 0.5);
      expect(info.mtimeMs).toBeGreaterThan(now);
      expect(info.mtimeMs).toBeGreaterThan(info.ctimeMs);
      expect(removeRetiredLogs(file, 1, now)).toBe(0);
      expect(removeRetiredLogs(file, 0, now)).toBe(1);
    });
  });

  it('a retired log gone between listing and stat is skipped; a folder that cannot be listed for another reason throws', async () => {
    await withFolder((file, dir) => {
      patch('readdirSync', (original) => ((...args: Parameters<typeof original>) => [...(original(...args) as unknown as string[]), 'head.retired-gone']) as unknown as typeof original);
      expect(removeRetiredLogs(file, 0)).toBe(0);
      undoPatches();
      const eacces = Object.assign(new Error('EACCES: permission denied, scandir'), { code: 'EACCES' });
      patch('readdirSync', () => (() => {
        throw eacces;
      }) as unknown as typeof fs.readdirSync);
      expect(() => removeRetiredLogs(file, 0)).toThrow(eacces);
      expect(dir).toBeDefined();
    });
  });
});

describe('visitSegment', () => {
  it('visits valid changes, skips blank lines silently and counts garbage, NUL and oversized lines', async () => {
    await withFolder((file) => {
      const good = line({ name: 'x', old: null, new: h('1') });
      const text = `${good}\n   \ngarbage\n\0\0\n${good}tail-without-newline`;
      writeFileSync(file, text);
      const fd = openSync(file, 'r');
      try {
        const seen: HeadChange[] = [];
        expect(visitSegment({ fd, start: 0, end: len(text) }, parseEventLine, (c) => seen.push(c))).toBe(2);
        expect(seen).toEqual([parseEventLine(good), parseEventLine(good)]);
      } finally {
        closeSync(fd);
      }
    });
  });
});

describe('removeRetiredLogs', () => {
  it('removes retired logs exactly keepMs old or older, and vetoed staging folders; leaves everything else', async () => {
    await withFolder(async (file, dir) => {
      writeFileSync(retiredLogFile(file, 'A'), 'x');
      writeFileSync(path.join(dir, 'head.other'), 'x');
      writeFileSync(path.join(dir, 'other.retired-A'), 'x');
      mkdirSync(path.join(dir, 'head.vetoed-123'));
      writeFileSync(path.join(dir, 'head.vetoed-123', 'f'), 'x');
      const info = statSync(retiredLogFile(file, 'A'));
      const changed = Math.max(info.ctimeMs, info.mtimeMs);
      expect(removeRetiredLogs(file, 1000, changed + 999)).toBe(0);
      expect((await readdir(dir)).sort()).toEqual(['head.other', 'head.retired-A', 'other.retired-A']);
      expect(removeRetiredLogs(file, 1000, changed + 1000)).toBe(1);
      expect((await readdir(dir)).sort()).toEqual(['head.other', 'other.retired-A']);
      expect(removeRetiredLogs(path.join(dir, 'missing', 'head'), 0)).toBe(0);
    });
  });
});
