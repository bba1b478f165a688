// A head log held in memory for the *-exact tests: lines with line-number offsets, an epoch, an
// optional line that reads as NUL bytes without the lock, and every call recorded.
import type { HeadChange } from '@gitty/core';
import type { HeadLogAccess, LogPosition, LogScan } from '../../src/head-log-port.js';

export class StandInLog implements HeadLogAccess {
  lines: HeadChange[] = [];
  epoch = 'E';
  nulAt: number | undefined;
  calls: string[] = [];
  strict: boolean | undefined = true;
  /** When set, no log exists: reads answer undefined. */
  missing = false;
  /** Runs once before the next scan answers (to change the log "meanwhile"). */
  beforeNextScan: (() => void) | undefined;

  constructor(readonly file = '/stand-in/ref/head') {}

  async readFrom(from?: LogPosition) {
    this.calls.push(`readFrom ${from ? `${from.epoch}:${from.offset}` : 'start'}`);
    if (this.missing) return undefined;
    const reset = !from || from.epoch !== this.epoch;
    return { epoch: this.epoch, offset: this.lines.length, reset, events: this.lines.slice(reset ? 0 : from.offset) };
  }

  async scan(from: LogPosition | undefined, visit: (c: HeadChange) => void, options: { stopAtNul?: boolean }): Promise<LogScan | undefined> {
    this.calls.push(`scan ${from ? `${from.epoch}:${from.offset}` : 'start'}${options.stopAtNul ? ' stopAtNul' : ''}`);
    const hook = this.beforeNextScan;
    this.beforeNextScan = undefined;
    hook?.();
    if (this.missing) return undefined;
    const reset = !from || from.epoch !== this.epoch;
    let offset = reset ? 0 : from.offset;
    for (; offset < this.lines.length; offset++) {
      if (offset === this.nulAt && options.stopAtNul) return { epoch: this.epoch, offset, reset, stoppedAtNul: true };
      visit(this.lines[offset]!);
    }
    return { epoch: this.epoch, offset, reset, stoppedAtNul: false };
  }

  async append(at: LogPosition, changes: readonly HeadChange[]): Promise<LogPosition> {
    this.calls.push(`append ${at.epoch}:${at.offset} ${changes.length}`);
    this.lines.push(...changes);
    return { epoch: this.epoch, offset: this.lines.length };
  }

  async withLock<T>(work: () => Promise<T>): Promise<T> {
    this.calls.push('lock');
    return work();
  }
}
