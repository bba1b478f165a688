import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, stat, truncate, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { HeadChange, HeadEntry } from '@gitty/core';
import { fsyncDir, type Durability } from './fsync.js';

/** The head log's path inside a store: `<dir>/ref/head`. */
export function headLogFile(storeDir: string): string {
  return path.join(storeDir, 'ref', 'head');
}

/** What {@link HeadLog.readFrom} found: the epoch line, the complete changes after `offset`, and where they end. */
export interface LogTail {
  epoch: string;
  changes: HeadChange[];
  /** Byte offset just after the last complete line read. */
  offset: number;
}

/**
 * The head log `<store>/ref/head`: an epoch line (`{"epoch":…}`), then one JSON line
 * `{"name","old","new"}` per head change. It is the truth for heads: appended only under the
 * cross-process lock with the CAS checked against its latest state, tailed by every process
 * from a remembered byte offset, and read again from the start when the epoch changes or the
 * file shrank (rewritten). A final line without its newline is an append in progress (or a
 * crash's torn write, which was never acknowledged): readers leave it, the next appender
 * truncates it.
 */
export class HeadLog {
  /** The newest head of every file, as of {@link offset}. */
  readonly heads = new Map<string, string>();
  private epochLine = '';
  private position = 0;
  private inode = -1;
  /** Byte offsets of lines that are not head changes (skipped; reported by fsck). */
  readonly badLines = new Set<number>();

  constructor(
    readonly file: string,
    private readonly durability: Durability,
  ) {}

  /** The epoch line of the log as last read ('' before the first read or when there is no log). */
  get epoch(): string {
    return this.epochLine;
  }

  /** Byte offset up to which the log has been applied to {@link heads}. */
  get offset(): number {
    return this.position;
  }

  /** True when the log file exists. */
  async exists(): Promise<boolean> {
    try {
      await stat(this.file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Apply whatever was appended since the last read. Returns the changes applied, in order;
   * when the log was replaced (new epoch, shrank, other file), heads are rebuilt from the
   * start and the returned changes are the differences to the old view.
   */
  async catchUp(): Promise<HeadChange[]> {
    let info;
    try {
      info = await stat(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    if (info.ino === this.inode && info.size === this.position) return [];
    const replaced = info.ino !== this.inode || info.size < this.position;
    const tail = await this.readFrom(replaced ? 0 : this.position);
    if (!replaced && tail.epoch === this.epochLine) {
      for (const change of tail.changes) applyChange(this.heads, change);
      this.position = tail.offset;
      return tail.changes;
    }
    // A new log: rebuild from the start and report what differs from what we had.
    const full = replaced ? tail : await this.readFrom(0);
    const before = new Map(this.heads);
    this.heads.clear();
    for (const change of full.changes) applyChange(this.heads, change);
    this.epochLine = full.epoch;
    this.position = full.offset;
    this.inode = info.ino;
    return diffHeads(before, this.heads);
  }

  /**
   * Read the complete change lines after byte `offset` (0: from the first change). For index
   * builders that keep their own position: compare `epoch` with the one they stored.
   */
  async readFrom(offset: number): Promise<LogTail> {
    let handle: FileHandle;
    try {
      handle = await open(this.file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { epoch: '', changes: [], offset: 0 };
      throw err;
    }
    try {
      const { size } = await handle.stat();
      const first = Buffer.alloc(Math.min(size, 4096));
      await handle.read(first, 0, first.length, 0);
      const firstNl = first.indexOf(10);
      if (firstNl < 0) return { epoch: '', changes: [], offset: 0 };
      const epoch = first.toString('utf8', 0, firstNl);
      // Only the tail is read: tailing costs what was appended, not the whole log.
      const start = Math.max(offset, firstNl + 1);
      const bytes = Buffer.alloc(Math.max(0, size - start));
      if (bytes.length > 0) await handle.read(bytes, 0, bytes.length, start);
      let at = 0;
      const changes: HeadChange[] = [];
      for (let nl = bytes.indexOf(10, at); nl >= 0; nl = bytes.indexOf(10, at)) {
        const line = bytes.toString('utf8', at, nl);
        if (line.trim() !== '') {
          const change = parseChange(line);
          if (change) changes.push(change);
          else this.badLines.add(start + at);
        }
        at = nl + 1;
      }
      return { epoch, changes, offset: start + at };
    } finally {
      await handle.close();
    }
  }

  /**
   * Append a change. Call only while holding the log lock and after {@link catchUp}, so the
   * offset is the end of the complete lines; a torn final line left by a crash is cut first.
   */
  async append(change: HeadChange): Promise<void> {
    const info = await stat(this.file);
    if (info.size > this.position) await truncate(this.file, this.position);
    const handle = await open(this.file, 'a');
    const line = Buffer.from(JSON.stringify({ name: change.name, old: change.old, new: change.new }) + '\n');
    try {
      await handle.write(line);
      if (this.durability === 'fsync') await handle.sync();
    } finally {
      await handle.close();
    }
    applyChange(this.heads, change);
    this.position += line.length;
  }

  /**
   * Write a fresh log holding `heads` (a new epoch), atomically: temp file, then rename. Call
   * while holding the log lock.
   */
  async rewrite(heads: Iterable<HeadEntry>): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const epoch = JSON.stringify({ epoch: randomBytes(8).toString('hex'), created: Date.now() / 1000, format: 'gitty-head-log/1' });
    const lines = [epoch];
    for (const { name, head } of heads) lines.push(JSON.stringify({ name, old: null, new: head }));
    const temp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    await writeFile(temp, lines.join('\n') + '\n', { flush: this.durability === 'fsync' });
    await rename(temp, this.file);
    if (this.durability === 'fsync') await fsyncDir(path.dirname(this.file));
    this.inode = -1;
    await this.catchUp();
  }
}

function applyChange(heads: Map<string, string>, change: HeadChange): void {
  if (change.new === null) heads.delete(change.name);
  else heads.set(change.name, change.new);
}

function diffHeads(before: Map<string, string>, after: Map<string, string>): HeadChange[] {
  const changes: HeadChange[] = [];
  for (const [name, head] of after) if (before.get(name) !== head) changes.push({ name, old: before.get(name) ?? null, new: head });
  for (const [name, head] of before) if (!after.has(name)) changes.push({ name, old: head, new: null });
  return changes;
}

/** A head change, or undefined for a line that is not one (damage; skipped and reported by fsck). */
function parseChange(line: string): HeadChange | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const c = value as { name?: unknown; old?: unknown; new?: unknown };
  const isHead = (v: unknown) => v === null || (typeof v === 'string' && /^[0-9a-f]{40}$/.test(v));
  if (typeof c !== 'object' || c === null || typeof c.name !== 'string' || !isHead(c.old ?? null) || !isHead(c.new ?? null)) {
    return undefined;
  }
  return { name: c.name, old: (c.old as string | null) ?? null, new: (c.new as string | null) ?? null };
}
