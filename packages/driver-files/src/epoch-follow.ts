import { closeSync, fstatSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { isVetoedFolderName } from './compaction-fence.js';
import path from 'node:path';
import type { HeadChange } from '@gitty/core';
import { isMissing, openIfExists } from './fs-sync.js';
import { completeLines } from './log-lines.js';
import { readLogHeader, type LogHeader } from './log-header.js';

const RETIRED_INFIX = '.retired-';

/** Where a compaction keeps the log of `epoch` it replaced: `<log>.retired-<epoch>` (a hard link). */
export function retiredLogFile(logFile: string, epoch: string): string {
  return `${logFile}${RETIRED_INFIX}${epoch}`;
}

/** A stretch of a retired log a reader must read before it goes on in the current log. */
export interface RetiredSegment {
  fd: number;
  start: number;
  end: number;
}

/** How a reader positioned in an older epoch goes on in the current log without starting over. */
export interface FollowPlan {
  /** Read these first, in order (their descriptors are the caller's to close). */
  segments: RetiredSegment[];
  /** Then read the current log from here. */
  offset: number;
}

/** How many retired logs' headers a reader goes back through when its epoch is older than the current header records. */
const MAX_FOLLOW_DEPTH = 64;

/**
 * Carry a reader's place `from` (of an older epoch) over the compactions the current log's
 * `header` records: through the copied tail when `from` lies in it, else through the part of
 * the retired log between `from` and the snapshot's place. A reader more compactions behind
 * than a header keeps goes back through the retired logs' own headers. Undefined when it
 * cannot (the current log is no compaction of `from`'s epoch, `from` lies past what was copied
 * — lines a writer that had lost the lock added to the old log — or a retired log needed is
 * gone): the reader then reads the whole log, as after a rebuild.
 */
export function planFollow(logFile: string, header: LogHeader, size: number, from: { epoch: string; offset: number }, depth = 0): FollowPlan | undefined {
  let index = header.links.findIndex((link) => link.epoch === from.epoch);
  const segments: RetiredSegment[] = [];
  const fail = () => {
    for (const segment of segments) closeSync(segment.fd);
    return undefined;
  };
  let offset = from.offset;
  if (index < 0) {
    // Older than this header records: first reach a place in the oldest log it names.
    const oldest = header.links.at(-1);
    if (!oldest || depth >= MAX_FOLLOW_DEPTH) return undefined;
    const inner = planThroughRetired(logFile, oldest.epoch, from, depth + 1);
    if (!inner) return undefined;
    segments.push(...inner.segments);
    offset = inner.offset;
    index = header.links.length - 1;
  }
  for (let i = index; i >= 0; i--) {
    const link = header.links[i]!;
    if (offset > link.end) return fail();
    if (offset >= link.offset) {
      offset = link.start + (offset - link.offset);
      continue;
    }
    const segment = openRetired(logFile, link.epoch, offset, link.offset);
    if (!segment) return fail();
    segments.push(segment);
    offset = link.start;
  }
  if (offset < header.eventsStart || offset > size) return fail();
  return { segments, offset };
}

// How a reader at `from` reaches a place in the retired log of `epoch`, by that log's own header.
function planThroughRetired(logFile: string, epoch: string, from: { epoch: string; offset: number }, depth: number): FollowPlan | undefined {
  const fd = openIfExists(retiredLogFile(logFile, epoch));
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    const header = readLogHeader(fd, size);
    if (header?.epoch !== epoch || header.links.length === 0) return undefined;
    return planFollow(logFile, header, size, from, depth);
  } finally {
    closeSync(fd);
  }
}

// The retired log of `epoch`, checked to be that epoch's log holding `[start, end)` of events.
function openRetired(logFile: string, epoch: string, start: number, end: number): RetiredSegment | undefined {
  const fd = openIfExists(retiredLogFile(logFile, epoch));
  if (fd === undefined) return undefined;
  const size = fstatSync(fd).size;
  const header = readLogHeader(fd, size);
  if (header?.epoch !== epoch || start < header.eventsStart || end > size) {
    closeSync(fd);
    return undefined;
  }
  return { fd, start, end };
}

/**
 * Visit the changes of a retired segment (complete lines; torn or NUL lines are skipped: the
 * compaction read them as final). Returns how many lines were skipped.
 */
export function visitSegment(segment: RetiredSegment, parse: (line: string) => HeadChange | undefined, visit: (change: HeadChange) => void): number {
  let skipped = 0;
  for (const line of completeLines(segment.fd, segment.start, segment.end)) {
    if (line.oversized || line.bytes.includes(0)) {
      skipped++;
      continue;
    }
    const text = line.bytes.toString('utf8');
    if (text.trim() === '') continue;
    const change = parse(text);
    if (change) visit(change);
    else skipped++;
  }
  return skipped;
}

/**
 * Remove retired logs retired (or last written) more than `keepMs` ago: readers further behind
 * than that read the whole log instead. Also removes what a crashed veto left (see compaction-fence.ts). The age is the inode's change time, which the hard link
 * that retires a log sets. Returns how many it removed.
 */
export function removeRetiredLogs(logFile: string, keepMs: number, now = Date.now()): number {
  // Synchronous: a handful of names, and a busy thread pool (object writes) would delay it for long.
  const folder = path.dirname(logFile);
  const prefix = `${path.basename(logFile)}${RETIRED_INFIX}`;
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (err) {
    if (isMissing(err)) return 0;
    throw err;
  }
  let removed = 0;
  for (const name of names) {
    // A veto that crashed before it removed the staging folder it moved aside.
    if (isVetoedFolderName(logFile, name)) {
      rmSync(path.join(folder, name), { recursive: true, force: true });
      continue;
    }
    if (!name.startsWith(prefix)) continue;
    const file = path.join(folder, name);
    const info = statSync(file, { throwIfNoEntry: false });
    // At Date.now()'s whole milliseconds: a log retired within this millisecond carries a
    // fraction past `now` (and the kernel's coarse clock may stamp it there), which made it
    // younger than 0 ms, so keepMs 0 kept it.
    if (!info || now - Math.floor(Math.max(info.ctimeMs, info.mtimeMs)) < keepMs) continue;
    try {
      unlinkSync(file);
      removed++;
    } catch {
      // removed by another process meanwhile
    }
  }
  return removed;
}

/**
 * {@link planFollow} for the log open as `fd` (`size` bytes) at `logFile`: how a reader at `from`
 * (another epoch) carries on, or undefined when it must read the whole log.
 */
export function followCompaction(logFile: string, fd: number, size: number, from: { epoch: string; offset: number }): FollowPlan | undefined {
  const header = readLogHeader(fd, size);
  return header && header.links.length > 0 ? planFollow(logFile, header, size, from) : undefined;
}
