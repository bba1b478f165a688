import { closeSync, fstatSync, fsyncSync, linkSync, openSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { HeadChange } from '@gitty/core';
import { retiredLogFile } from './epoch-follow.js';
import { stageNewLog, switchToStagedLog, unstage } from './compaction-fence.js';
import { openIfExists, syncFolder, type Durability } from './fs-sync.js';
import { parseEventLine, type HeadLog } from './head-log.js';
import { COMPACTED_HEADER_BYTES, compactedHeaderLine, readLogHeader, type CompactionLink } from './log-header.js';
import { CHUNK_BYTES, completeLines, readRangeSync } from './log-lines.js';
import { tempName } from './temp-files.js';
import { asStorageError, writeFullySync } from './write-fully.js';

/**
 * Seams between the steps of a compaction, so tests can kill a real process (SIGKILL) at each
 * one. Nothing sets them outside tests; each is a synchronous call.
 */
export const compactionTestHooks: {
  /** The old log was read (no lock held) and its heads computed. */
  afterScan?: () => void;
  /** The snapshot is in the temp file (no lock held). */
  afterSnapshot?: () => void;
  /** Inside the lock: the new log is staged in `head.compacting/` (the switch announced), its tail not yet copied. */
  afterStage?: () => void;
  /** Inside the lock: the lines written since the scan are copied to the temp file. */
  afterTailCopy?: () => void;
  /** Inside the lock: the temp file has its header and is flushed. */
  afterSync?: () => void;
  /** Inside the lock: the old log is linked as `head.retired-<epoch>`. */
  afterLink?: () => void;
  /** Inside the lock: the new log is renamed into place (the folder not yet flushed). */
  afterRename?: () => void;
} = {};

/** What {@link compactHeadLog} did. */
export interface CompactReport {
  /** The new log's epoch. */
  epoch: string;
  /** The epoch it replaced (kept as `head.retired-<epoch>` for readers still in it). */
  previousEpoch: string;
  bytesBefore: number;
  bytesAfter: number;
  /** Live heads (snapshot lines). */
  heads: number;
  /** Lines the old log held (events and skipped lines). */
  lines: number;
}

/** Lines read or written between two yields to the event loop (a compaction runs beside a live store). */
const LINES_PER_YIELD = 20_000;

/**
 * Compact the head log `log`: a new epoch holding one line per live head, switched atomically
 * for every process. Most of the work runs without the lock, so writers go on meanwhile:
 * 1. read the log (streaming) and replay it: the heads at place `P` of epoch `A`;
 * 2. write them to a temp file in the log's folder, after room for the header;
 * then, holding the log's lock (writers wait only for this part):
 * 2b. stage the temp file in `head.compacting/`, announcing the switch (see compaction-fence.ts:
 *    a writer that took the lock over and appends meanwhile vetoes it, and the old log stays);
 * 3. copy the lines written after `P` (complete ones) to the temp file as they are, so they
 *    apply to the snapshot exactly as they did in the old log;
 * 4. write the header (the new epoch, and the link `{A, P, end, start}` readers use to carry
 *    their place over), flush the file;
 * 5. hard-link the old log as `head.retired-A` (readers behind `P` finish it there);
 * 6. rename the staged file over the log (failing when vetoed), flush the folder.
 * A crash before 6 leaves the old log in place (and a staging folder the next writer clears);
 * after it the new one, equivalent. A writer that appended to the old log after step 3 either
 * vetoed the switch, or reads the new log and finds its line was not copied: nothing of it is
 * acknowledged, it retries (see {@link HeadLog.append}). Resolves undefined when there is
 * nothing to compact (no trustworthy log), another process replaced the log meanwhile, or a
 * writer vetoed the switch.
 */
export async function compactHeadLog(log: HeadLog, options: { durability?: Durability } = {}): Promise<CompactReport | undefined> {
  const durability = options.durability ?? 'fsync';
  const scanned = await scanHeads(log.file);
  if (!scanned) return undefined;
  compactionTestHooks.afterScan?.();
  const folder = path.dirname(log.file);
  let temp = path.join(folder, tempName());
  let tempFd: number | undefined;
  let renamed = false;
  let staged = false;
  try {
    tempFd = openSync(temp, 'wx');
    const snapshotBytes = await writeSnapshot(tempFd, scanned.heads, temp);
    const start = COMPACTED_HEADER_BYTES + snapshotBytes;
    compactionTestHooks.afterSnapshot?.();
    const fd = tempFd;
    const report = await log.withLock(async () => {
      const stagedFile = stageNewLog(log.file, temp);
      if (stagedFile === undefined) return undefined;
      temp = stagedFile;
      staged = true;
      try {
        compactionTestHooks.afterStage?.();
        const copied = copyTail(log.file, scanned, fd, start, temp);
        if (!copied) return undefined;
        compactionTestHooks.afterTailCopy?.();
        const epoch = randomBytes(8).toString('hex');
        const link: CompactionLink = { epoch: scanned.epoch, offset: scanned.offset, end: copied.end, start };
        writeFullySync(fd, compactedHeaderLine(epoch, [link, ...scanned.links]), 0, temp);
        if (durability === 'fsync') fsyncSync(fd);
        closeSync(fd);
        tempFd = undefined;
        compactionTestHooks.afterSync?.();
        retire(log.file, scanned.epoch);
        compactionTestHooks.afterLink?.();
        if (!switchToStagedLog(log.file, temp)) return undefined;
        renamed = true;
        compactionTestHooks.afterRename?.();
        if (durability === 'fsync') await syncFolder(folder);
        return {
          epoch, previousEpoch: scanned.epoch, bytesBefore: copied.size, bytesAfter: start + copied.end - scanned.offset,
          heads: scanned.heads.size, lines: scanned.lines,
        };
      } finally {
        // Still inside the lock, so the staging folder removed is ours.
        if (!renamed) unstage(temp);
      }
    });
    return report;
  } catch (err) {
    throw asStorageError(err, temp);
  } finally {
    if (tempFd !== undefined) closeSync(tempFd);
    if (!staged) {
      try {
        unlinkSync(temp);
      } catch {
        // never created
      }
    }
  }
}

/** The log's epoch, its compaction links, the heads after replaying it to `offset`, and how many lines that took. */
interface ScannedLog {
  epoch: string;
  offset: number;
  links: CompactionLink[];
  heads: Map<string, string>;
  lines: number;
  /** The line that ends at `offset` (none: `offset` is where events start), checked again under the lock. */
  last?: { start: number; bytes: Buffer };
}

// Step 1: replay the log by its rule (a line applies only when its `old` is the head), up to
// its last complete line — or to a line of NUL bytes (NFS: its bytes may not have arrived;
// step 3 copies it under the lock, where it is final).
async function scanHeads(file: string): Promise<ScannedLog | undefined> {
  const fd = openIfExists(file);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    const header = readLogHeader(fd, size);
    if (!header) return undefined;
    const heads = new Map<string, string>();
    let offset = header.eventsStart;
    let lines = 0;
    let last: ScannedLog['last'];
    for (const line of completeLines(fd, offset, size)) {
      if (!line.oversized && line.bytes.includes(0)) break;
      lines++;
      // No copy per line: each chunk is a buffer of its own, so the last line's bytes stay valid.
      last = line.oversized ? undefined : { start: line.start, bytes: line.bytes };
      const change = line.oversized ? undefined : parseEventLine(line.bytes.toString('utf8'));
      if (change && (heads.get(change.name) ?? null) === change.old) setHead(heads, change);
      offset = line.end;
      if (lines % LINES_PER_YIELD === 0) await yieldToEventLoop();
    }
    return { epoch: header.epoch, offset, links: header.links, heads, lines, last };
  } finally {
    closeSync(fd);
  }
}

// Step 2: one creation line per head, from COMPACTED_HEADER_BYTES on, in chunks. Returns the bytes written.
async function writeSnapshot(fd: number, heads: Map<string, string>, file: string): Promise<number> {
  let position = COMPACTED_HEADER_BYTES;
  let pending: string[] = [];
  let pendingLength = 0;
  const flushPending = () => {
    const bytes = Buffer.from(pending.join(''), 'utf8');
    writeFullySync(fd, bytes, position, file);
    position += bytes.length;
    pending = [];
    pendingLength = 0;
  };
  let count = 0;
  for (const [name, head] of heads) {
    const line = `${JSON.stringify({ name, old: null, new: head })}\n`;
    pending.push(line);
    pendingLength += line.length;
    if (pendingLength >= CHUNK_BYTES) flushPending();
    if (++count % LINES_PER_YIELD === 0) await yieldToEventLoop();
  }
  flushPending();
  return position - COMPACTED_HEADER_BYTES;
}

// Step 3 (inside the lock): the log must still be the one scanned — its epoch, and the line the
// scan ended with still there (a writer whose flush failed takes its lines back) — then copy
// its complete lines from there to the temp file at `at`. Undefined when it is not.
function copyTail(file: string, scanned: ScannedLog, to: number, at: number, temp: string): { end: number; size: number } | undefined {
  const from = scanned.offset;
  const fd = openIfExists(file);
  if (fd === undefined) return undefined;
  try {
    const size = fstatSync(fd).size;
    if (readLogHeader(fd, size)?.epoch !== scanned.epoch || size < from) return undefined;
    const last = scanned.last;
    if (last && !readRangeSync(fd, last.start, from - last.start).subarray(0, last.bytes.length).equals(last.bytes)) return undefined;
    // An incomplete last line (a writer crashed mid-line) is left behind: nobody acknowledged it.
    let end = from;
    for (const line of completeLines(fd, from, size)) end = line.end;
    for (let position = from; position < end; position += CHUNK_BYTES) {
      const chunk = readRangeSync(fd, position, Math.min(CHUNK_BYTES, end - position));
      writeFullySync(to, chunk, at + (position - from), temp);
    }
    return { end, size };
  } finally {
    closeSync(fd);
  }
}

// Step 5: readers behind the snapshot finish the old epoch here. Already there: a compaction
// that crashed after this step (the same epoch, so the same file). Where the file system has
// no hard links the old log is not kept: readers behind the snapshot read the new log whole.
function retire(file: string, epoch: string): void {
  try {
    linkSync(file, retiredLogFile(file, epoch));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
  }
}

function setHead(heads: Map<string, string>, change: HeadChange): void {
  if (change.new === null) heads.delete(change.name);
  else heads.set(change.name, change.new);
}
