import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  NotAtHeadError, PrologSyntaxError, StorageFullError, isHash, readClause, writeAtom, type HeadChange, type HeadEntry, type Term,
} from '@gitty/core';
import { ensureFolder, isMissing, syncFolder, type Durability } from '../fs-sync.js';
import type { HeadLogOptions, HeadLogPosition, HeadLogRead } from '../head-log.js';
import { FileLock } from '../lock.js';
import { readRangeSync } from '../log-lines.js';
import { tempName } from '../temp-files.js';
import { headLogTestHooks } from '../test-hooks.js';
import { asStorageError, writeFullySync } from '../write-fully.js';
import { OldsSeen, overriddenHeads, swishStartCorrections, type OverriddenHead } from './replay.js';

const NEWLINE = 0x0a;

/** A line of SWISH's `ref/head` that is not a term gitty understands. */
export interface MalformedHeadLine {
  /** 1-based line number. */
  line: number;
  /** Why it was skipped. */
  reason: string;
}

/** The text of one atom-like argument (`-` is none), or undefined when the term is no such thing. */
function hashArg(term: Term): string | null | undefined {
  if (term.kind !== 'atom') return undefined;
  if (term.name === '-') return null;
  return isHash(term.name) ? term.name : undefined;
}

/**
 * One line of SWISH's head log as a change: `head(Name, Old, New).` with `-` for none, or a
 * string giving why it is not one. Epoch lines are handled by the caller.
 */
export function parseSwishHeadLine(line: string): HeadChange | string {
  let term: Term;
  try {
    term = readClause(line);
  } catch (err) {
    return err instanceof PrologSyntaxError ? `not a Prolog term (${err.message})` : String(err);
  }
  if (term.kind !== 'compound' || term.name !== 'head' || term.args.length !== 3) return 'not a head/3 term';
  const [nameTerm, oldTerm, newTerm] = term.args as [Term, Term, Term];
  const name = nameTerm.kind === 'atom' ? nameTerm.name : nameTerm.kind === 'string' ? nameTerm.text : undefined;
  const old = hashArg(oldTerm);
  const next = hashArg(newTerm);
  if (name === undefined || name.length === 0) return 'the name is not an atom';
  if (old === undefined || next === undefined || next === null) return 'old or new is not a hash (or - for none)';
  return { name, old, new: next };
}

/** `epoch(T).` → "T", or undefined when the line is no epoch term. */
function parseEpochLine(line: string): string | undefined {
  const match = /^epoch\((\d+)\)\.\s*$/.exec(line.trim());
  return match?.[1];
}

/** The line SWISH's gitty_update_head appends: `head(Name,Old,New).` quoted as `~q` would. */
export function swishHeadLine(change: HeadChange): string {
  if (change.new === null) throw new Error('SWISH head logs cannot record a deletion');
  return `head(${writeAtom(change.name)},${change.old === null ? '-' : writeAtom(change.old)},${writeAtom(change.new)}).\n`;
}

/**
 * SWISH's head log, `<store>/ref/head`: `epoch(T).`, a blank line, then one
 * `head(Name, Old, New).` per head change (`-` for none), appended by SWISH's processes and by
 * gitty alike. Same interface as the JSON {@link HeadLog}, so {@link SharedHeads} keeps heads,
 * watches and does the CAS over it unchanged.
 *
 * Replay: what a SWISH process starting now reads (see {@link swishStartCorrections}): a line
 * sets the head of Name to New whatever its Old says (`restore_heads`), then a second pass from
 * the start applies lines whose Old is the head — which changes something only when a head
 * returns to a commit an earlier line moved away from; a tail holding such a line is read as a
 * whole log again. gitty's CAS runs under gitty's lock (`ref/head.lock`) after reading to the end;
 * SWISH appends under its own `fcntl` lock, which Node cannot take, so just before writing the
 * append checks that the file did not grow since the read and otherwise refuses with
 * NOT_AT_HEAD when a new line touched the same name (the caller retries).
 *
 * SWISH never records deletions in this file, so neither can gitty (see {@link swishHeadLine}).
 */
export class SwishHeadLog {
  readonly lock: FileLock;
  private readonly durability: Durability;
  /** The Olds of the log up to `oldsCover` (kept covering it whatever position a read starts at). */
  private readonly olds = new OldsSeen();
  private oldsCover: HeadLogPosition | undefined;

  constructor(
    readonly file: string,
    options: HeadLogOptions = {},
  ) {
    this.durability = options.durability ?? 'fsync';
    this.lock = new FileLock(file, options.lock);
  }

  async exists(): Promise<boolean> {
    return stat(this.file).then(() => true, (err) => (isMissing(err) ? false : Promise.reject(err)));
  }

  async size(): Promise<number> {
    return stat(this.file).then((s) => s.size, (err) => (isMissing(err) ? 0 : Promise.reject(err)));
  }

  /** As {@link HeadLog.readFrom}: the changes after `from`, or the whole log (`reset`) when `from` no longer applies. */
  async readFrom(from?: HeadLogPosition): Promise<HeadLogRead | undefined> {
    const read = await this.readLines(from);
    if (!read) return undefined;
    const { malformed: _lines, numbered: _numbered, ...result } = read;
    return result;
  }

  // Reads from `from` (any reader's position: the files driver's and an index's share this
  // instance), keeping the Olds of the whole log up to date alongside.
  private async readLines(from: HeadLogPosition | undefined): Promise<WholeRead | undefined> {
    const read = this.readLinesOnce(from);
    if (!read) return undefined;
    if (read.reset) {
      this.rememberOlds(read, true);
      // Where SWISH's second pass ends elsewhere, one more event per name takes the head there.
      read.events.push(...swishStartCorrections(read.events));
      return read;
    }
    if (this.oldsCover?.epoch !== read.epoch) {
      const whole = this.readLinesOnce(undefined);
      if (whole) this.rememberOlds(whole, true);
    } else if (this.oldsCover.offset < read.offset) {
      const rest = this.readLinesOnce(this.oldsCover);
      if (rest) this.rememberOlds(rest, rest.reset);
    }
    // Only a name's last line in the tail decides its head; if that head was an Old anywhere in
    // the log, SWISH's second pass may move it: read the whole log instead.
    const last = new Map<string, HeadChange>();
    for (const event of read.events) last.set(event.name, event);
    if ([...last.values()].some((event) => this.olds.mayReturnToEarlierHead(event))) return this.readLines(undefined);
    return read;
  }

  private rememberOlds(read: WholeRead, fromStart: boolean): void {
    if (fromStart) this.olds.clear();
    for (const event of read.events) this.olds.add(event);
    this.oldsCover = { epoch: read.epoch, offset: read.offset };
  }

  private readLinesOnce(from: HeadLogPosition | undefined): WholeRead | undefined {
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
      const epoch = firstNewline < 0 ? undefined : parseEpochLine(head.subarray(0, firstNewline).toString('utf8'));
      const start = epoch === undefined ? 0 : firstNewline + 1;
      const resume = from !== undefined && from.epoch === (epoch ?? '') && from.offset >= start && from.offset <= size;
      const offset = resume ? from.offset : start;
      const bytes = readRangeSync(fd, offset, size - offset);
      const end = bytes.lastIndexOf(NEWLINE) + 1;
      const events: HeadChange[] = [];
      const numbered: { line: number; change: HeadChange }[] = [];
      const malformed: MalformedHeadLine[] = [];
      // Line numbers count from the file's start only on a whole read.
      let lineNo = resume ? Number.NaN : epoch === undefined ? 0 : 1;
      let lineStart = 0;
      while (lineStart < end) {
        const lineEnd = bytes.indexOf(NEWLINE, lineStart);
        const line = bytes.subarray(lineStart, lineEnd).toString('utf8');
        lineStart = lineEnd + 1;
        lineNo++;
        if (line.trim() === '') continue;
        const parsed = parseSwishHeadLine(line);
        if (typeof parsed === 'string') {
          malformed.push({ line: lineNo, reason: parsed });
        } else {
          events.push(parsed);
          numbered.push({ line: lineNo, change: parsed });
        }
      }
      return { epoch: epoch ?? '', offset: offset + end, reset: !resume, events, skipped: malformed.length, malformed, numbered };
    } finally {
      closeSync(fd);
    }
  }

  /** Every line of the whole log that is no head change (fsck names them; SWISH's own reader would stop there). */
  async malformedLines(): Promise<MalformedHeadLine[]> {
    return (await this.inspect()).malformed;
  }

  /**
   * One read of the whole log for fsck: lines that are no head change, and lines that overrode
   * a head (their Old was not the head: an update racing with another writer, see
   * {@link overriddenHeads}) — each names an acknowledged version that dropped out of a history.
   */
  async inspect(): Promise<{ malformed: MalformedHeadLine[]; overridden: OverriddenHead[] }> {
    const read = this.readLinesOnce(undefined);
    if (!read) return { malformed: [], overridden: [] };
    // A head SWISH's second pass returns to is the head, not lost.
    const returnedTo = new Set(swishStartCorrections(read.events).map((c) => `${c.name}\0${c.new}`));
    const overridden = overriddenHeads(read.numbered).filter((o) => !returnedTo.has(`${o.name}\0${o.overridden}`));
    return { malformed: read.malformed, overridden };
  }

  withLock<T>(work: () => Promise<T>): Promise<T> {
    return this.lock.withLock(work);
  }

  /**
   * Append changes (inside {@link withLock}, after reading to `at`). When the file grew since
   * (a SWISH process appended without our lock), the new lines are checked first: if one moved
   * a head being changed here, nothing is written and NOT_AT_HEAD names the head it set.
   */
  async append(at: HeadLogPosition, changes: readonly HeadChange[]): Promise<HeadLogPosition> {
    const fd = openSync(this.file, 'a+');
    try {
      const size = fstatSync(fd).size;
      if (size > at.offset) {
        const grown = readRangeSync(fd, at.offset, size - at.offset).toString('utf8');
        for (const line of grown.split('\n')) {
          const parsed = line.trim() === '' ? undefined : parseSwishHeadLine(line);
          if (parsed === undefined || typeof parsed === 'string') continue;
          const mine = changes.find((c) => c.name === parsed.name);
          if (mine) throw new NotAtHeadError(mine.name, parsed.new, mine.old);
        }
      }
      const torn = size > 0 && readRangeSync(fd, size - 1, 1)[0] !== NEWLINE;
      const bytes = Buffer.from((torn ? '\n' : '') + changes.map(swishHeadLine).join(''), 'utf8');
      headLogTestHooks.beforeWrite?.();
      // One write call with O_APPEND: SWISH's concurrent appends land before or after it, never inside.
      let written: number;
      try {
        written = writeSync(fd, bytes, 0, bytes.length, null);
      } catch (err) {
        throw asStorageError(err, this.file);
      }
      if (written !== bytes.length) {
        // A partial line is a syntax error to SWISH, which then cannot open the store: cut it off.
        cutOffTail(fd, bytes.subarray(0, written));
        throw new StorageFullError(this.file);
      }
      const othersBefore = this.putBackOverridden(fd, size, bytes, changes);
      if (this.durability === 'fsync') fsyncSync(fd);
      // Lines others appended between `at` and our line (checked above, or of other names): the
      // position stays at `at`, so the next read applies them.
      return { epoch: at.epoch, offset: size > at.offset || othersBefore ? at.offset : size + bytes.length };
    } finally {
      closeSync(fd);
    }
  }

  /**
   * SWISH may append between the growth check and our write: with last-line-wins replay our line
   * would then silently undo SWISH's acknowledged update. Find what landed between `size` and our
   * bytes; for each name SWISH moved there, append a line setting its head back to SWISH's and
   * refuse our change with NOT_AT_HEAD (readers may briefly see ours; none can build on it, since
   * every CAS reads to the end under the lock first). A name some line after ours moved already
   * has that line as its head: putting SWISH's earlier head back would undo it, so it is left.
   * Returns true when lines of other names landed before ours (the caller's position must stay before them).
   */
  private putBackOverridden(fd: number, size: number, bytes: Buffer, changes: readonly HeadChange[]): boolean {
    headLogTestHooks.afterWrite?.();
    let end = fstatSync(fd).size;
    if (end === size + bytes.length) return false;
    const landed = readRangeSync(fd, size, end - size);
    const ours = landed.indexOf(bytes);
    if (ours <= 0) return false;
    const before = headsMovedIn(landed.subarray(0, ours), changes);
    if (before.size === 0) return true;
    const after = headsMovedIn(landed.subarray(ours + bytes.length), changes);
    const restore = new Map([...before].filter(([name]) => !after.has(name)));
    while (restore.size > 0) {
      const text = changes
        .filter((c) => restore.has(c.name))
        .map((c) => swishHeadLine({ name: c.name, old: c.new, new: restore.get(c.name)! }))
        .join('');
      // Checked once more right before the write: the window left is that of every append.
      const now = fstatSync(fd).size;
      if (now > end) {
        for (const name of headsMovedIn(readRangeSync(fd, end, now - end), changes).keys()) restore.delete(name);
        end = now;
        continue;
      }
      writeFullySync(fd, Buffer.from(text, 'utf8'), null, this.file);
      if (this.durability === 'fsync') fsyncSync(fd);
      break;
    }
    const [name, head] = before.entries().next().value as [string, string];
    throw new NotAtHeadError(name, after.get(name) ?? head, changes.find((c) => c.name === name)!.old);
  }

  /** Write a whole new log (as SWISH's save_heads does: epoch, blank line, one creation per head), replacing any by rename. */
  async create(heads: Iterable<HeadEntry>): Promise<HeadLogPosition> {
    const folder = path.dirname(this.file);
    await ensureFolder(folder, this.durability);
    const epoch = String(Math.round(Date.now() / 1000));
    let text = `epoch(${epoch}).\n\n`;
    for (const { name, head } of heads) text += swishHeadLine({ name, old: null, new: head });
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

  /** Write a log holding what `rebuild` computes when none exists (under the lock). */
  async initialize(rebuild: () => Promise<Iterable<HeadEntry>>): Promise<boolean> {
    if (await this.exists()) return false;
    return this.withLock(async () => {
      if (await this.exists()) return false;
      await this.create(await rebuild());
      return true;
    });
  }
}

/** Truncate the file by `tail` when it still ends with those bytes (nothing was appended after them). */
function cutOffTail(fd: number, tail: Buffer): void {
  const end = fstatSync(fd).size;
  if (tail.length === 0 || end < tail.length) return;
  if (readRangeSync(fd, end - tail.length, tail.length).equals(tail)) ftruncateSync(fd, end - tail.length);
}

/** For each of `changes`' names that a line in `text` moved: the last head such a line set. */
function headsMovedIn(text: Buffer, changes: readonly HeadChange[]): Map<string, string> {
  const moved = new Map<string, string>();
  for (const line of text.toString('utf8').split('\n')) {
    const parsed = line.trim() === '' ? undefined : parseSwishHeadLine(line);
    if (parsed === undefined || typeof parsed === 'string' || parsed.new === null) continue;
    if (changes.some((c) => c.name === parsed.name)) moved.set(parsed.name, parsed.new);
  }
  return moved;
}

/** A read with what fsck needs besides the changes. */
type WholeRead = HeadLogRead & { malformed: MalformedHeadLine[]; numbered: { line: number; change: HeadChange }[] };

