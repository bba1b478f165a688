import type { HeadChange } from '@gitty/core';

/** What a read of the head log from a byte offset found. */
export interface LogTail {
  /** The log's epoch: changes when the log is rewritten, so offsets of another epoch mean nothing. */
  epoch: string;
  /** The complete head changes after the offset, in log order. */
  changes: HeadChange[];
  /** The byte offset just after the last complete line read (where the next read starts). */
  offset: number;
}

/**
 * The part of driver-files' head log this driver reads: the epoch and the changes after a byte
 * offset. The log stays the truth for heads; the index only remembers how far it has applied it.
 */
export interface HeadLogReader {
  /**
   * The changes after `offset`. When `offset` is past the end of the log, or the log's epoch
   * differs from `epoch` (when given), the result's epoch tells the caller to rebuild.
   */
  readFrom(offset: number): Promise<LogTail>;
}
