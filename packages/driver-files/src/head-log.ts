import { closeSync, fstatSync, fsyncSync, openSync, readSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isHash, type HeadChange, type HeadEntry } from '@gitty/core';
import { ensureFolder, isMissing, syncFolder, type Durability } from './fs-sync.js';
import { FileLock, type FileLockOptions } from './lock.js';
import { tempName } from './temp-files.js';

/** A reader's place in a head log: which log (its epoch) and how far (bytes). Persist both. */
export interface HeadLogPosition {
  epoch: string;
  offset: number;
}

/** What {@link HeadLog.readFrom} read. */
export interface HeadLogRead extends HeadLogPosition {
  /**
   * True when reading started from the beginning of the log — no position was given, the
   * epoch changed (the log was rebuilt or compacted), or the file shrank. The reader must then
   * replace its heads with `events` instead of applying them to what it had.
   */
  reset: boolean;
  /** Head changes in log order, from complete lines only. */
  events: HeadChange[];
  /** Complete lines that were not valid events (e.g. a torn line a crash left), skipped. */
  skipped: number;
}

/** Options of {@link HeadLog}. */
export interface HeadLogOptions {
  /** `fsync` (default): appends and new logs are flushed before they return. */
  durability?: Durability;
  /** The cross-process lock's stale and timeout settings. */
  lock?: FileLockOptions;
}

const NEWLINE = 0x0a;

/** The first line of a log: `{"epoch":"<hex>","created":<ms>}`. */
function epochLine(epoch: string): string {
  return `${JSON.stringify({ epoch, created: Date.now() })}\n`;
}

function eventLine(change: HeadChange): string {
  return `${JSON.stringify({ name: change.name, old: change.old, new: change.new })}\n`;
}

/** A head change from one log line, or undefined when the line is not a valid event. */
export function parseEventLine(line: string): HeadChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const v = value as Partial<HeadChange> | null;
  if (typeof v !== 'object' || v === null || typeof v.name !== 'string' || v.name.length === 0) return undefined;
  const okHash = (h: unknown) => h === null || isHash(h);
  if (!okHash(v.old) || !okHash(v.new) || (v.old === null && v.new === null)) return undefined;
  return { name: v.name, old: v.old ?? null, new: v.new ?? null };
}

function parseEpoch(line: string): string | undefined {
  try {
    const value = JSON.parse(line) as { epoch?: unknown } | null;
    return typeof value?.epoch === 'string' ? value.epoch : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The head log `<store>/ref/head` (DESIGN §4): JSON lines, an epoch line first, then one
 * `{"name","old","new"}` line per head change. It is append-only while its epoch lasts;
 * rebuilding or compacting writes a whole new file (new epoch) and renames it into place.
 *
 * Writers append under {@link lock} (a proper-lockfile lock that works on NFS) and must read
 * the log to its end inside the lock before deciding (the CAS). Readers need no lock: they
 * remember a {@link HeadLogPosition} and call {@link readFrom}, which reads only complete
 * lines — an incomplete last line (a writer in progress, or torn by a crash) is left for a
 * later read, and the next append starts on a fresh line so a torn line becomes one skipped
 * garbage line. Reused by the packs and SQLite drivers (the SQLite index persists its
 * position and catches up from it).
 */
export class HeadLog {
  /** The lock every writer holds while appending or replacing the log. */
  readonly lock: FileLock;
  private readonly durability: Durability;

  constructor(
    /** The log file, normally `<store>/ref/head`. */
    readonly file: string,
    options: HeadLogOptions = {},
  ) {
    this.durability = options.durability ?? 'fsync';
    this.lock = new FileLock(file, options.lock);
  }

  /** True when the log file exists. */
  async exists(): Promise<boolean> {
    return stat(this.file).then(() => true, (err) => (isMissing(err) ? false : Promise.reject(err)));
  }

  /** The log's size in bytes (0 when absent). */
  async size(): Promise<number> {
    return stat(this.file).then((s) => s.size, (err) => (isMissing(err) ? 0 : Promise.reject(err)));
  }

  /**
   * Read the changes after `from` (or the whole log when `from` is undefined, its epoch is
   * not the log's, or the file is shorter than its offset — then `reset` is true). Resolves
   * undefined when the log does not exist. The returned epoch and offset are the position to
   * pass next time.
   */
  async readFrom(from?: HeadLogPosition): Promise<HeadLogRead | undefined> {
    // Synchronous reads: a tail is usually empty or one line, and a thread-pool round trip per
    // call would cost more than the read (every CAS does one).
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      const head = readRangeSync(fd, 0, Math.min(size, 4096));
      const firstNewline = head.indexOf(NEWLINE);
      if (firstNewline < 0) return { epoch: '', offset: 0, reset: true, events: [], skipped: 0 };
      const firstLine = head.subarray(0, firstNewline).toString('utf8');
      const epoch = parseEpoch(firstLine);
      // A log whose first line is no epoch (written by hand?) is read whole, as events.
      const start = epoch === undefined ? 0 : firstNewline + 1;
      const resume = from !== undefined && from.epoch === (epoch ?? '') && from.offset >= start && from.offset <= size;
      const offset = resume ? from.offset : start;
      const bytes = readRangeSync(fd, offset, size - offset);
      const end = bytes.lastIndexOf(NEWLINE) + 1;
      const events: HeadChange[] = [];
      let skipped = 0;
      let lineStart = 0;
      while (lineStart < end) {
        const lineEnd = bytes.indexOf(NEWLINE, lineStart);
        const line = bytes.subarray(lineStart, lineEnd).toString('utf8');
        lineStart = lineEnd + 1;
        if (line.trim() === '') continue;
        const event = parseEventLine(line);
        if (event) events.push(event);
        else skipped++;
      }
      return { epoch: epoch ?? '', offset: offset + end, reset: !resume, events, skipped };
    } finally {
      closeSync(fd);
    }
  }

  /** The log's current epoch (from its first line; '' when it has none), or undefined when there is no log. */
  async readEpoch(): Promise<string | undefined> {
    let handle;
    try {
      handle = await open(this.file, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      const head = await readRange(handle, 0, 4096);
      const newline = head.indexOf(NEWLINE);
      return newline < 0 ? '' : (parseEpoch(head.subarray(0, newline).toString('utf8')) ?? '');
    } finally {
      await handle.close();
    }
  }

  /** Run `work` holding the log's cross-process lock. */
  withLock<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.withLock(work);
  }

  /**
   * Append changes. Call only inside {@link withLock}, after reading the log to its end
   * (`readFrom`) and checking the CAS against what was read; `at` is the position that read
   * returned. Returns the position after the appended lines.
   */
  async append(at: HeadLogPosition, changes: readonly HeadChange[]): Promise<HeadLogPosition> {
    const fd = openSync(this.file, 'a+');
    try {
      const size = fstatSync(fd).size;
      // A torn last line (a writer crashed mid-line): start ours on a fresh line.
      const torn = size > 0 && readRangeSync(fd, size - 1, 1)[0] !== NEWLINE;
      const text = (torn ? '\n' : '') + changes.map(eventLine).join('');
      const bytes = Buffer.from(text, 'utf8');
      writeSync(fd, bytes, 0, bytes.length, null);
      if (this.durability === 'fsync') fsyncSync(fd);
      // Under the lock nobody else appends, so what lies between `at` and `size` is only an
      // incomplete line: skip it together with ours.
      return { epoch: at.epoch, offset: Math.max(at.offset, size) + bytes.length };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Write a whole new log with a fresh epoch holding `heads` (as creations), replacing any log
   * atomically (temp file, rename). Call only inside {@link withLock}. Readers see the new
   * epoch and start over. Returns the position at its end.
   */
  async create(heads: Iterable<HeadEntry>): Promise<HeadLogPosition> {
    const folder = path.dirname(this.file);
    await ensureFolder(folder, this.durability);
    const epoch = randomBytes(8).toString('hex');
    let text = epochLine(epoch);
    for (const { name, head } of heads) text += eventLine({ name, old: null, new: head });
    const bytes = Buffer.from(text, 'utf8');
    const temp = path.join(folder, tempName());
    const handle = await open(temp, 'wx');
    try {
      await handle.writeFile(bytes);
      if (this.durability === 'fsync') await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temp, this.file);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw err;
    }
    if (this.durability === 'fsync') await syncFolder(folder);
    return { epoch, offset: bytes.length };
  }

  /**
   * Make sure a log exists: when absent, take the lock, check again, and write one holding the
   * heads `rebuild` computes (e.g. {@link rebuildHeads}). Resolves true when it wrote one.
   */
  async initialize(rebuild: () => Promise<Iterable<HeadEntry>>): Promise<boolean> {
    if (await this.exists()) return false;
    return this.withLock(async () => {
      if (await this.exists()) return false;
      await this.create(await rebuild());
      return true;
    });
  }
}

async function readRange(handle: import('node:fs/promises').FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < buffer.length) {
    const { bytesRead } = await handle.read(buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}

function readRangeSync(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(Math.max(0, length));
  let done = 0;
  while (done < buffer.length) {
    const bytesRead = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buffer.subarray(0, done);
}
