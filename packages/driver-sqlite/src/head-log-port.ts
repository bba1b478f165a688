import type { HeadChange } from '@gitty/core';

/** A place in the head log: which log (its epoch) and how far into it (bytes). */
export interface LogPosition {
  epoch: string;
  offset: number;
}

/** What a read of the head log found (driver-files' `HeadLogRead`). */
export interface LogRead extends LogPosition {
  /** True when the read started over from the log's beginning (no position, other epoch, shrunk). */
  reset: boolean;
  /** The head changes read, in log order, from complete lines only. */
  events: HeadChange[];
}

/** What a streaming read of the log found (driver-files' `HeadLogScan`). */
export interface LogScan extends LogPosition {
  reset: boolean;
  /** True when the read stopped before a line holding NUL bytes (`offset` is that line's start). */
  stoppedAtNul: boolean;
}

/**
 * What this driver uses of driver-files' `HeadLog` (which satisfies it as it is): tail reads
 * from a persisted position, and appends under the log's cross-process lock. The log stays the
 * truth for heads; the index only remembers how far it has applied it. SWISH's Prolog log has
 * neither `strict` nor `scan`.
 */
export interface HeadLogAccess {
  /** The log file (`<store>/ref/head`). */
  readonly file: string;
  /**
   * True for gitty's own log, whose replay rule holds (driver-files' `replayHeadChanges`: a
   * line applies only when its `old` is the head); otherwise the last line per name wins.
   */
  readonly strict?: boolean;
  /** Let go of a log file kept open between appends (driver-files' `HeadLog` keeps one); called on close. */
  close?(): void;
  /** The changes after `from` (the whole log when `from` is absent or stale); undefined when there is no log. */
  readFrom(from?: LogPosition): Promise<LogRead | undefined>;
  /**
   * Stream the changes after `from` as written (no replay rule); with `stopAtNul` stop before a
   * line holding NUL bytes (NFS can show a line's place before its bytes) instead of skipping it.
   */
  scan?(
    from: LogPosition | undefined,
    visit: (change: HeadChange) => void,
    options: { stopAtNul?: boolean },
  ): Promise<LogScan | undefined>;
  /** Append changes at `at` (the end a read inside the lock found); returns the new end. */
  append(at: LogPosition, changes: readonly HeadChange[]): Promise<LogPosition>;
  /** Run `work` holding the log's cross-process lock. */
  withLock<T>(work: () => Promise<T>): Promise<T>;
}
