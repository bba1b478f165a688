import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { CorruptObjectError, type HeadChange } from '@gitty/core';
import type { HeadLogReader, LogTail } from './head-log-port.js';

/** The head log's path inside a store (driver-files' format, DESIGN.md §4). */
export function headLogPath(dir: string): string {
  return join(dir, 'ref', 'head');
}

/** Bytes read per chunk while tailing. */
const CHUNK = 1 << 20;

/**
 * Reads driver-files' head log (`<store>/ref/head`: an epoch line, then one JSON line
 * `{"name","old","new"}` per head change, appended under the log lock) from a byte offset.
 *
 * It only reads: appends stay with the files driver's CAS. The epoch is the first line's text
 * as written, so any rewrite of the log that changes its first line is seen as a new epoch.
 * A line without its newline yet is an append in progress: it is left for the next read.
 */
export class LogFileReader implements HeadLogReader {
  constructor(private readonly path: string) {}

  async readFrom(offset: number): Promise<LogTail> {
    let handle;
    try {
      handle = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { epoch: '', changes: [], offset: 0 };
      throw err;
    }
    try {
      const { size } = await handle.stat();
      const epoch = await this.epoch(handle);
      if (!epoch) return { epoch: '', changes: [], offset: 0 };
      // Offset 0 means "from the start": the first change follows the epoch line.
      const from = offset === 0 ? epochEnd(epoch) : offset;
      if (from > size || from < epochEnd(epoch)) return { epoch: `${epoch} (offset ${offset} outside the log)`, changes: [], offset };
      const changes: HeadChange[] = [];
      let at = from;
      let pending = Buffer.alloc(0);
      while (at < size) {
        const chunk = Buffer.alloc(Math.min(CHUNK, size - at));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, at);
        if (bytesRead === 0) break;
        at += bytesRead;
        pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        let start = 0;
        for (let nl = pending.indexOf(10, start); nl >= 0; nl = pending.indexOf(10, start)) {
          const line = pending.toString('utf8', start, nl);
          if (line.trim()) changes.push(this.parse(line, at - pending.length + start));
          start = nl + 1;
        }
        pending = pending.subarray(start);
      }
      return { epoch, changes, offset: at - pending.length };
    } finally {
      await handle.close();
    }
  }

  /** The first line: the log's epoch (read on every tail, so a rewritten log is noticed). */
  private async epoch(handle: Awaited<ReturnType<typeof open>>): Promise<string> {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const nl = head.subarray(0, bytesRead).indexOf(10);
    const line = nl < 0 ? '' : head.toString('utf8', 0, nl);
    return line;
  }

  private parse(line: string, at: number): HeadChange {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new CorruptObjectError(undefined, this.path, `line at byte ${at} is not JSON`, { cause: err });
    }
    const change = value as Partial<HeadChange>;
    if (typeof change.name !== 'string' || !isHeadValue(change.old) || !isHeadValue(change.new)) {
      throw new CorruptObjectError(undefined, this.path, `line at byte ${at} is not a head change`);
    }
    return { name: change.name, old: change.old ?? null, new: change.new ?? null };
  }
}

function isHeadValue(value: unknown): value is string | null | undefined {
  return value === undefined || value === null || typeof value === 'string';
}

/** Where the first change line starts: after the epoch line and its newline. */
function epochEnd(epoch: string): number {
  return Buffer.byteLength(epoch) + 1;
}
