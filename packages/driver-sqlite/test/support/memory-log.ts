import { MemoryDriver, type HeadChange } from '@gitty/core';
import type { HeadLogReader, LogTail } from '../../src/head-log-port.js';

/**
 * A MemoryDriver whose head changes are also appended to an in-memory log, for testing the
 * index against the reference driver without a file system. Offsets count log entries.
 */
export class LoggedMemoryDriver extends MemoryDriver implements HeadLogReader {
  readonly changes: HeadChange[] = [];
  epoch = 'memory-epoch-1';

  override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    await super.updateHead(name, expected, next);
    this.changes.push({ name, old: expected, new: next });
  }

  async readFrom(offset: number): Promise<LogTail> {
    if (offset > this.changes.length) return { epoch: `${this.epoch}-past-end`, changes: [], offset };
    return { epoch: this.epoch, changes: this.changes.slice(offset), offset: this.changes.length };
  }
}
