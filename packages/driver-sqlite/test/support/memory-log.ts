import { MemoryBacking, MemoryDriver, type HeadChange } from '@gitty/core';
import type { HeadLogReader, LogTail } from '../../src/head-log-port.js';

/** A head log in memory, shared by every driver on one backing. Offsets count entries. */
export class MemoryLog {
  readonly changes: HeadChange[] = [];
  epoch = 'memory-epoch-1';
}

/**
 * A MemoryDriver whose head changes are also appended to an in-memory log, for testing the
 * index logic against the reference driver without a file system.
 */
export class LoggedMemoryDriver extends MemoryDriver implements HeadLogReader {
  constructor(
    backing: MemoryBacking = new MemoryBacking(),
    readonly log: MemoryLog = new MemoryLog(),
  ) {
    super(backing);
  }

  override updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
    // MemoryDriver's CAS runs synchronously, so checking here first keeps the log in CAS order.
    if (!this.isClosed() && (this.backing.heads.get(name) ?? null) === expected) {
      this.log.changes.push({ name, old: expected, new: next });
    }
    return super.updateHead(name, expected, next);
  }

  async readFrom(offset: number): Promise<LogTail> {
    const { changes, epoch } = this.log;
    if (offset > changes.length) return { epoch: `${epoch}-past-end`, changes: [], offset };
    return { epoch, changes: changes.slice(offset), offset: changes.length };
  }

  private isClosed(): boolean {
    return !this.backing.drivers.has(this);
  }
}
