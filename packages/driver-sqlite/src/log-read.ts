import type { HeadChange } from '@gitty/core';
import { replayHeadChanges } from '@gitty/driver-files';
import type { HeadLogAccess, LogPosition } from './head-log-port.js';

/** A read of the head log: its changes as written, and where it ended. */
export interface TailRead extends LogPosition {
  /** True when the read started over from the log's beginning (no position, other epoch, shrunk). */
  reset: boolean;
  /** The changes read, in log order, as written (void lines included: see {@link headsAfter}). */
  events: HeadChange[];
  /**
   * True when the read stopped before a line holding NUL bytes (`offset` is that line's start):
   * NFS can show a line's place before its bytes, so it is read again under the log's lock.
   */
  stoppedAtNul: boolean;
}

/**
 * Read the changes after `from` (the whole log when `from` is absent or stale). With
 * `stopAtNul` (a reader without the lock) a line holding NUL bytes ends the read instead of
 * being skipped for good, as driver-files' `SharedHeads` does. Undefined when there is no log.
 */
export async function readLog(
  log: Pick<HeadLogAccess, 'readFrom' | 'scan'>,
  from: LogPosition | undefined,
  stopAtNul: boolean,
): Promise<TailRead | undefined> {
  if (log.scan) {
    const events: HeadChange[] = [];
    const scan = await log.scan(from, (change) => events.push(change), { stopAtNul });
    // A log without an epoch line is reported empty by scan; readFrom still reads its lines.
    if (scan && scan.epoch !== '') return { epoch: scan.epoch, offset: scan.offset, reset: scan.reset, events, stoppedAtNul: scan.stoppedAtNul };
  }
  const read = await log.readFrom(from);
  return read && { epoch: read.epoch, offset: read.offset, reset: read.reset, events: read.events, stoppedAtNul: false };
}

/**
 * The whole log's heads (null: deleted) by its rule, and where the read ended: streamed on
 * gitty's own log, so a rebuild holds one entry per name, never an array of every line (a
 * long-lived store's log has millions). SWISH's log is read with `readFrom`.
 */
export async function readAllHeads(
  log: Pick<HeadLogAccess, 'readFrom' | 'scan' | 'strict'>,
  stopAtNul: boolean,
): Promise<{ read: TailRead; heads: Map<string, string | null> } | undefined> {
  const strict = log.strict === true;
  if (log.scan) {
    const heads = new Map<string, string | null>();
    const scan = await log.scan(undefined, (change) => {
      if (!strict || (heads.get(change.name) ?? null) === change.old) heads.set(change.name, change.new);
    }, { stopAtNul });
    if (scan && scan.epoch !== '') {
      return { read: { epoch: scan.epoch, offset: scan.offset, reset: true, events: [], stoppedAtNul: scan.stoppedAtNul }, heads };
    }
  }
  const read = await readLog({ readFrom: log.readFrom.bind(log) }, undefined, stopAtNul);
  return read && { read, heads: headsAfter(read, strict, () => null) };
}

/**
 * The head each name a read touches has after it (null: none). On gitty's own log (`strict`)
 * by the log's replay rule (driver-files' `replayHeadChanges`): a line applies only when its
 * `old` is the head at its place, so a line a writer wrote after losing the lock to a stall is
 * void here as for the files driver; `headBefore` gives the heads at the read's start (none for
 * a read from the log's beginning). On SWISH's log the last line per name wins, as SWISH does.
 */
export function headsAfter(read: TailRead, strict: boolean, headBefore: (name: string) => string | null): Map<string, string | null> {
  return replayRead(read, strict, headBefore).heads;
}

/** As {@link headsAfter}, also counting the void lines. */
export function replayRead(read: TailRead, strict: boolean, headBefore: (name: string) => string | null): { heads: Map<string, string | null>; voided: number } {
  if (strict) return replayHeadChanges(read.events, read.reset ? () => null : headBefore);
  const heads = new Map<string, string | null>();
  for (const change of read.events) heads.set(change.name, change.new);
  return { heads, voided: 0 };
}
