import { closeSync, linkSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { HeadLog, compactHeadLog, type CompactReport } from '@gitty/driver-files';
import type { BenchContext } from '../context.js';
import type { DriverRow, StorePlace } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import type { Row } from '../report.js';
import { rssRows } from './open-rss.js';
import { comparedRow, reasonOf } from './rows.js';

/** Updates per file in the long log: 100k files × 20 = 2M head changes. */
export const UPDATES_PER_FILE = 20;

const SINGLE = 'files (1 version each)';
const LONG = `files (${UPDATES_PER_FILE} updates each)`;
const COMPACTED = `files (${UPDATES_PER_FILE} updates each, compacted)`;

/** A made-up commit hash, distinct per (file, version): the intermediate versions of the long log. */
function fakeHash(file: number, version: number): string {
  return (file * 64 + version).toString(16).padStart(40, 'f');
}

/**
 * Write a head log in which each of the store's files went through `UPDATES_PER_FILE` versions
 * before its real head: round-robin passes (every file's first change, then every file's
 * second, …), the last pass leading to the head the store has. Generated directly (writing 2M
 * versions through the Store would take most of the bench's time): the intermediate commits
 * exist only as log lines — an open reads the log and the first `get` reads its file's head, so
 * neither ever reads them. Written in 1 MiB pieces.
 */
function writeLongLog(file: string, heads: ReadonlyArray<{ name: string; head: string }>): void {
  const fd = openSync(file, 'w');
  try {
    let chunk = `${JSON.stringify({ epoch: 'bench0000000long', created: Date.now() })}\n`;
    const flush = () => {
      writeSync(fd, chunk);
      chunk = '';
    };
    for (let version = 0; version < UPDATES_PER_FILE; version++) {
      heads.forEach(({ name, head }, f) => {
        const old = version === 0 ? null : fakeHash(f, version - 1);
        const next = version === UPDATES_PER_FILE - 1 ? head : fakeHash(f, version);
        chunk += `${JSON.stringify({ name, old, new: next })}\n`;
        if (chunk.length >= 1 << 20) flush();
      });
    }
    flush();
  } finally {
    closeSync(fd);
  }
}

/** The heads a files store's log holds (its replay from the start). */
async function headsOf(log: string): Promise<Array<{ name: string; head: string }>> {
  const read = await new HeadLog(log, { durability: 'none' }).readFrom();
  const heads = new Map<string, string>();
  for (const event of read?.events ?? []) {
    if (event.new === null) heads.delete(event.name);
    else heads.set(event.name, event.new);
  }
  return [...heads].map(([name, head]) => ({ name, head }));
}

/**
 * Open + first get of the open workload's store with a long head log (`UPDATES_PER_FILE`
 * changes per file), before and after compacting it, against the same store's log of one line
 * per file (goal after compaction: ≤ 1.5×), and the compaction's own time. The store's
 * original log is put back at the end.
 */
export async function longLogRows(
  ctx: BenchContext, files: DriverRow, place: StorePlace, size: number, name: string,
  openToFirstGet: (row: DriverRow, place: StorePlace, name: string) => Promise<number>,
): Promise<Row[]> {
  const ref = path.join(place.dir, 'ref');
  const log = path.join(ref, 'head');
  const logs: Record<string, string> = {
    [SINGLE]: path.join(ref, 'bench-single'),
    [LONG]: path.join(ref, 'bench-long'),
    [COMPACTED]: path.join(ref, 'bench-compacted'),
  };
  const metric = `open + first get, ${size.toLocaleString('en-US')} files, ${(size * UPDATES_PER_FILE).toLocaleString('en-US')} updates`;
  const rows: Row[] = [];
  renameSync(log, logs[SINGLE]!);
  try {
    ctx.log(`open: writing a head log of ${(size * UPDATES_PER_FILE).toLocaleString('en-US')} changes`);
    writeLongLog(logs[LONG]!, await headsOf(logs[SINGLE]!));
    // Compact a copy (the compaction renames its result over the log it compacts).
    linkSync(logs[LONG]!, log);
    const longBytes = statSync(log).size;
    let report: CompactReport | undefined;
    const compactMs = await timed(async () => {
      report = await compactHeadLog(new HeadLog(log, { durability: 'fsync' }), { durability: 'fsync' });
    });
    renameSync(log, logs[COMPACTED]!);
    const compactedBytes = report?.bytesAfter ?? 0;
    ctx.log(`open: compacted ${longBytes} bytes to ${compactedBytes} in ${compactMs.toFixed(0)} ms`);
    rows.push({
      workload: 'open', subject: 'files compaction', metric: `compact a log of ${(size * UPDATES_PER_FILE).toLocaleString('en-US')} changes`, unit: 'ms', value: compactMs,
      note: `${(longBytes / 2 ** 20).toFixed(0)} MiB → ${(compactedBytes / 2 ** 20).toFixed(1)} MiB, fsync; measured once`,
    });
    const failures = new Map<string, string>();
    const openWith = async (subject: string) => {
      linkSync(logs[subject]!, log);
      try {
        return await openToFirstGet(files, place, name);
      } finally {
        rmSync(log);
      }
    };
    // The long log takes ten times as long to open as the others: measured once, and every
    // round's ratio taken against that (as the open workload does with its scan).
    const rounds = Math.min(ctx.options.rounds, 3);
    let longOnce: number | undefined;
    try {
      longOnce = await openWith(LONG);
    } catch (err) {
      failures.set(LONG, reasonOf(err));
    }
    const values = await interleave([SINGLE, COMPACTED], rounds, openWith, (subject, err) => failures.set(subject, reasonOf(err)));
    if (longOnce !== undefined) values.set(LONG, Array.from({ length: rounds }, () => longOnce));
    rows.push(comparedRow('open', values, SINGLE, undefined, metric.replace(/, [\d,]+ updates$/, ', 1 version each'), 'ms', { note: failures.get(SINGLE) }));
    rows.push(comparedRow('open', values, LONG, SINGLE, metric, 'ms', { note: failures.get(LONG) ?? 'before compaction (log generated directly; measured once)' }));
    rows.push(comparedRow('open', values, COMPACTED, SINGLE, metric, 'ms', {
      goal: { text: 'after compaction ≤ 1.5× a store of single-version files', on: 'ratio', op: '<=', target: 1.5 },
      note: failures.get(COMPACTED) ?? 'after compaction',
    }));
    rows.push(...(await rssRows([{ subject: LONG, driver: 'files' }, { subject: COMPACTED, driver: 'files' }], place, name, size, async (subject) => {
      linkSync(logs[subject]!, log);
      return async () => rmSync(log);
    })));
  } finally {
    rmSync(log, { force: true });
    renameSync(logs[SINGLE]!, log);
    for (const file of [logs[LONG]!, logs[COMPACTED]!]) rmSync(file, { force: true });
    for (const retired of readdirSync(ref)) {
      if (retired.startsWith('head.retired-')) rmSync(path.join(ref, retired), { force: true });
    }
  }
  return rows;
}
