import { closeSync, constants, fstatSync, fsyncSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { GittyError, NotAtHeadError, isHash, type HeadChange, type HeadEntry } from '@gitty/core';
import { ensureFolder, isMissing, syncFolder, type Durability } from './fs-sync.js';
import { FileLock, type FileLockOptions } from './lock.js';
import { completeLines, holdsNewline, readRangeSync } from './log-lines.js';
import { replayHeadChanges } from './replay-rule.js';
import { followCompaction, visitSegment } from './epoch-follow.js';
import { vetoPendingCompaction } from './compaction-fence.js';
import { readLogHeader } from './log-header.js';
import { headLogTestHooks } from './test-hooks.js';
import { tempName, writerTag } from './temp-files.js';
import { asStorageError, writeFullySync } from './write-fully.js';

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
  /**
   * Complete lines that were not valid events (e.g. a torn line a crash left), skipped — on a
   * read from the start also lines whose `old` is not the head they claim to replace.
   */
  skipped: number;
}

/** Where an {@link HeadLog.append} left the log. */
export interface HeadLogAppended extends HeadLogPosition {
  /** True when the appended lines directly follow the position appended at (no other writer's lines in between). */
  alone: boolean;
}

/** What {@link HeadLog.appendEach} made of each change it appended. */
export interface HeadLogLanded extends HeadLogAppended {
  /** Per change: whether its line applies where it landed (the replay rule). */
  applied: boolean[];
  /** Per change: the head its name had where its line landed (another writer's, when it does not apply). */
  headsAt: (string | null)[];
}

/** What {@link HeadLog.scan} read (the events went to its visitor). */
export interface HeadLogScan extends HeadLogPosition {
  /** As {@link HeadLogRead.reset}: the visitor got the whole log, not a tail. */
  reset: boolean;
  /** Complete lines that were no events (torn lines, garbage), skipped. */
  skipped: number;
  /**
   * True when the read stopped before a line holding NUL bytes (only with `stopAtNul`): on NFS
   * a reader may see a line's place before its bytes. `offset` is that line's start; read it
   * again under the lock, where it is either the real line or garbage for good.
   */
  stoppedAtNul: boolean;
}

/**
 * A head log line that another process appended while this one believed it held the lock (its
 * lock was taken over after a stall longer than `lockStale`), or the log was replaced: nothing
 * of this append counts. Code LOCK_TIMEOUT (the lock was lost); read the log again and retry.
 */
export class HeadLogMovedError extends GittyError {
  constructor(readonly file: string) {
    super('LOCK_TIMEOUT', `The head log ${file} changed under its lock (the lock was lost after a stall longer than lockStale, or the log was replaced); nothing was acknowledged, retry`);
  }
}

/**
 * Appended in front of a change when the log ends in an incomplete line (a writer crashed, or
 * found the disk full, mid-line): it ends that line as garbage. A plain newline could complete
 * a line that lacked only its newline, and apply a change whose writer was told it failed.
 */
const TORN_LINE_END = ' #torn\n';

const NUL = 0x00;

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

const deletionTag = writerTag();
let deletions = 0;

// A deletion's line would be the same bytes whoever wrote it (`new` is null), so a writer
// reading the log back could take another writer's deletion of the same head for its own and
// acknowledge a change that did not apply. It carries its writer's tag and a count ("by",
// which readers ignore); other changes name a new commit, which is theirs.
function eventLine(change: HeadChange): string {
  const line = { name: change.name, old: change.old, new: change.new };
  return `${JSON.stringify(change.new === null ? { ...line, by: `${deletionTag}-${++deletions}` } : line)}\n`;
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
 * The head log `<store>/ref/head` (see the README's store layout): JSON lines, an epoch line first, then one
 * `{"name","old","new"}` line per head change. It is append-only while its epoch lasts;
 * rebuilding or compacting writes a whole new file (new epoch) and renames it into place.
 *
 * **Replay rule**: a line applies only when its `old` is the head its name has at that point of
 * the log (null: none); other lines are skipped by every reader. So the log alone decides
 * which of two changes from the same head won — the first — whatever happened to the lock.
 *
 * Writers append under {@link lock} after reading the log to its end inside the lock (the
 * CAS), and {@link append} verifies the outcome: no stall of any length (GC pause, SIGSTOP,
 * VM pause, slow NFS) can make two changes from one head both acknowledged. Readers need no
 * lock: they remember a {@link HeadLogPosition} and read on ({@link scan}, {@link readFrom}),
 * complete lines only, in chunks (a log of any size). An incomplete last line is left for a
 * later read; the next append ends it as garbage. Reused by the packs and SQLite drivers.
 */
export class HeadLog {
  /** The lock every writer holds while appending or replacing the log. */
  readonly lock: FileLock;
  /** gitty's own log: an epoch line first, and the replay rule (see the class comment) holds. */
  readonly strict = true;
  private readonly durability: Durability;
  /**
   * The log file this instance last appended to, kept open, and how that append left it: while
   * it is open its inode cannot be reused, so a `stat` of the path showing that inode, size and
   * change time proves that nobody wrote, truncated or replaced the log since, and its epoch is
   * known without a read. A single writer's CAS then costs one `stat` to learn that, instead
   * of open + read + close.
   */
  private own: { fd: number; dev: number; ino: number; epoch: string; start: number; end: number; ctimeMs: number } | undefined;

  constructor(
    /** The log file, normally `<store>/ref/head`. */
    readonly file: string,
    options: HeadLogOptions = {},
  ) {
    this.durability = options.durability ?? 'fsync';
    // A sequential writer's CASes share one acquisition while they do not yield (see FileLock).
    this.lock = new FileLock(file, { ...options.lock, holdAcrossBurst: true });
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
   * Stream the changes after `from` to `visit`, in log order, as written (the replay rule is the
   * caller's: it knows the heads at `from`); `onStart` learns first whether this is a tail or
   * the whole log. Reads the whole log (`reset`) when `from` is
   * undefined, of another epoch, or beyond the file's end. A log without an epoch line (empty,
   * or damaged) is reported with epoch '' and nothing visited: it is not to be trusted.
   * Resolves undefined when there is no log.
   */
  async scan(
    from: HeadLogPosition | undefined,
    visit: (change: HeadChange) => void,
    options: { stopAtNul?: boolean; onStart?: (reset: boolean) => void } = {},
  ): Promise<HeadLogScan | undefined> {
    return this.scanLines(from, visit, options.stopAtNul ?? false, false, options.onStart);
  }

  /**
   * Read the changes after `from` (see {@link scan}) into an array. A read from the start
   * applies the replay rule (lines whose `old` is not the head are dropped and counted in
   * `skipped`); a tail is returned as written, for the caller to apply the rule with its heads.
   * A log without an epoch line is read whole as events (epoch ''). Resolves undefined when
   * there is no log.
   */
  async readFrom(from?: HeadLogPosition): Promise<HeadLogRead | undefined> {
    const events: HeadChange[] = [];
    const result = await this.scanLines(from, (event) => events.push(event), false, true);
    if (!result) return undefined;
    const { stoppedAtNul: _nul, ...read } = result;
    if (!read.reset) return { ...read, events };
    const { applied, voided } = replayHeadChanges(events, () => null);
    return { ...read, events: applied, skipped: read.skipped + voided };
  }

  private async scanLines(
    from: HeadLogPosition | undefined,
    visit: (change: HeadChange) => void,
    stopAtNul: boolean,
    readEpochless: boolean,
    onStart?: (reset: boolean) => void,
  ): Promise<HeadLogScan | undefined> {
    // Synchronous reads: a tail is usually empty or one line, and a thread-pool round trip per
    // call would cost more than the read (every CAS does one).
    const known = this.ownFile();
    let fd: number;
    if (known) {
      fd = known.fd;
    } else {
      try {
        fd = openSync(this.file, 'r');
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    }
    try {
      const size = known ? known.size : fstatSync(fd).size;
      const { epoch, start }: { epoch: string | undefined; start: number } = known ?? readEpochSync(fd, size);
      if (epoch === undefined && !readEpochless) return { epoch: '', offset: 0, reset: true, skipped: 0, stoppedAtNul: false };
      const resume = from !== undefined && from.epoch === (epoch ?? '') && from.offset >= start && from.offset <= size;
      // A compaction replaced the log: carry on through what it recorded instead of starting over.
      const follow = !resume && from !== undefined && epoch !== undefined && from.epoch !== epoch ? followCompaction(this.file, fd, size, from) : undefined;
      const tail = resume || follow !== undefined;
      let offset = resume ? from.offset : (follow?.offset ?? start);
      onStart?.(!tail);
      let skipped = 0;
      try {
        for (const segment of follow?.segments ?? []) skipped += visitSegment(segment, parseEventLine, visit);
      } finally {
        for (const segment of follow?.segments ?? []) closeSync(segment.fd);
      }
      for (const line of completeLines(fd, offset, size)) {
        if (line.oversized) {
          skipped++;
        } else if (line.bytes.includes(NUL)) {
          if (stopAtNul) return { epoch: epoch ?? '', offset, reset: !tail, skipped, stoppedAtNul: true };
          skipped++;
        } else {
          const text = line.bytes.toString('utf8');
          const event = text.trim() === '' ? null : parseEventLine(text);
          if (event) visit(event);
          else if (event === undefined) skipped++;
        }
        offset = line.end;
      }
      return { epoch: epoch ?? '', offset, reset: !tail, skipped, stoppedAtNul: false };
    } finally {
      if (!known) closeSync(fd);
    }
  }

  // The kept file (see `own`) when the log at the path is still exactly as our last append
  // left it (and, given `epoch`, of that epoch); otherwise undefined, and the kept file is
  // closed (anything else is read from the path as usual).
  private ownFile(epoch?: string): { fd: number; size: number; epoch: string; start: number } | undefined {
    const own = this.own;
    if (!own || (epoch !== undefined && own.epoch !== epoch)) return undefined;
    const atPath = statSync(this.file, { throwIfNoEntry: false });
    if (atPath?.ino === own.ino && atPath.dev === own.dev && atPath.size === own.end && atPath.ctimeMs === own.ctimeMs) {
      return { fd: own.fd, size: own.end, epoch: own.epoch, start: own.start };
    }
    this.dropOwn();
    return undefined;
  }

  /** Release a lock kept across a burst and close the log file kept open since the last append (the next read or append opens the path again). */
  close(): void {
    this.lock.releaseKept();
    this.dropOwn();
  }

  private dropOwn(): void {
    const own = this.own;
    this.own = undefined;
    if (own) closeSync(own.fd);
  }

  /** The log's current epoch (from its first line; '' when it has none), or undefined when there is no log. */
  async readEpoch(): Promise<string | undefined> {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    try {
      return readEpochSync(fd, fstatSync(fd).size).epoch ?? '';
    } finally {
      closeSync(fd);
    }
  }

  /** Run `work` holding the log's cross-process lock; `keep: true` may keep it across a burst of such calls (see FileLock). */
  withLock<T>(work: () => Promise<T>, options: { keep?: boolean } = {}): Promise<T> {
    // Only a CAS asks to keep the lock across a burst: rebuilds and compactions let go at once.
    return this.lock.withLock(work, { keep: options.keep ?? false });
  }

  /**
   * Append changes. Call inside {@link withLock}, after reading the log to its end and checking
   * the CAS against what was read; `at` is the position that read returned. `headAt` gives the
   * heads as of `at` (omitted, they are replayed from the log when they are needed).
   *
   * The lock can have been lost by a stall (see {@link FileLock}), so:
   * 1. right before writing, the log must still end at `at` (else HeadLogMovedError, nothing
   *    written);
   * 2. the lines are written in one O_APPEND write (looping over short writes; ENOSPC, EDQUOT
   *    and EFBIG are STORAGE_FULL) and flushed;
   * 3. the log is read again from `at`: by the replay rule each line must apply where it landed
   *    — a line another writer put in between that moved one of these heads first makes this
   *    one void for every reader, and NOT_AT_HEAD names the head that won. A line that is not
   *    in the file at all (the log was replaced meanwhile) is HeadLogMovedError.
   * A stall between 1 and 2 is what 3 catches (when the file grew by exactly these bytes and
   * is still the log at its path, nobody wrote in between, and 3 needs no read). Only the
   * return acknowledges the changes; returns the position after the last of them, and
   * whether they directly follow `at` (`alone`; else read from `at` to see the others' lines).
   */
  async append(at: HeadLogPosition, changes: readonly HeadChange[], headAt?: (name: string) => string | null): Promise<HeadLogAppended> {
    const landed = await this.appendEach(at, changes, headAt);
    const lost = landed.applied.indexOf(false);
    if (lost >= 0) throw new NotAtHeadError(changes[lost]!.name, landed.headsAt[lost]!, changes[lost]!.old);
    return { epoch: landed.epoch, offset: landed.offset, alone: landed.alone };
  }

  /**
   * {@link append}, reporting for each change whether its line applies where it landed instead
   * of failing with NOT_AT_HEAD for the first that does not (several CASes appended at once,
   * each with its own outcome). HeadLogMovedError as for `append`: nothing of it counts.
   */
  async appendEach(at: HeadLogPosition, changes: readonly HeadChange[], headAt?: (name: string) => string | null): Promise<HeadLogLanded> {
    if (changes.length === 0) return { ...at, alone: true, applied: [], headsAt: [] };
    const lines = changes.map(eventLine);
    headLogTestHooks.beforeCheck?.();
    // The file appended to last time when the path still is it: no open, no epoch read.
    const known = this.ownFile(at.epoch);
    if (!known) return this.appendOpening(at, changes, lines, headAt);
    return this.appendTo(known.fd, known.size, known.start, at, changes, lines, headAt);
  }

  private async appendOpening(at: HeadLogPosition, changes: readonly HeadChange[], lines: readonly string[], headAt?: (name: string) => string | null): Promise<HeadLogLanded> {
    this.dropOwn();
    let fd: number;
    try {
      // No O_CREAT: a log deleted meanwhile must not come back as a file without an epoch.
      fd = openSync(this.file, constants.O_RDWR | constants.O_APPEND);
    } catch (err) {
      if (!isMissing(err)) throw err;
      // The caller read "no log" ({ epoch: '', offset: 0 }): start one, with an epoch line.
      if (at.epoch === '' && at.offset === 0 && !(await this.exists())) return this.appendEach(await this.create([]), changes, headAt);
      throw new HeadLogMovedError(this.file);
    }
    let size: number;
    let read: { epoch: string | undefined; start: number };
    try {
      size = fstatSync(fd).size;
      read = readEpochSync(fd, size);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    if (read.epoch !== at.epoch) {
      closeSync(fd);
      throw new HeadLogMovedError(this.file);
    }
    return this.appendTo(fd, size, read.start, at, changes, lines, headAt);
  }

  // Steps 1–3 of append on `fd`, the log file of `at`'s epoch, `size` bytes long as last looked at.
  // On the usual outcome (alone) `fd` is kept open for the next append; otherwise it is closed.
  private appendTo(
    fd: number, size: number, start: number, at: HeadLogPosition, changes: readonly HeadChange[], lines: readonly string[],
    headAt?: (name: string) => string | null,
  ): HeadLogLanded {
    let keep = false;
    try {
      if (size < at.offset || holdsNewline(fd, at.offset, size)) {
        throw new HeadLogMovedError(this.file);
      }
      const bytes = Buffer.from((size > at.offset ? TORN_LINE_END : '') + lines.join(''), 'utf8');
      headLogTestHooks.beforeWrite?.();
      writeFullySync(fd, bytes, null, this.file);
      if (this.durability === 'fsync') flushOrTakeBack(fd, this.file, size, size + bytes.length);
      headLogTestHooks.afterAppend?.();
      // A compaction announced meanwhile (we took its lock over, or it took ours) must not
      // rename its copy over our line: veto it, and read back below.
      const vetoed = vetoPendingCompaction(this.file);
      // The usual case, without reading back: the file grew by exactly our bytes (nobody
      // appended between the check and the write) and is still the log at the path.
      const after = fstatSync(fd);
      const atPath = statSync(this.file, { throwIfNoEntry: false });
      if (!vetoed && after.size === size + bytes.length && atPath?.ino === after.ino && atPath.dev === after.dev) {
        keep = true;
        this.own = { fd, dev: after.dev, ino: after.ino, epoch: at.epoch, start, end: after.size, ctimeMs: after.ctimeMs };
        return { epoch: at.epoch, offset: after.size, alone: true, applied: changes.map(() => true), headsAt: changes.map((c) => c.old) };
      }
      return { ...this.verifyAppended(at, changes, lines, fd, headAt), alone: false };
    } finally {
      if (!keep) {
        if (this.own?.fd === fd) this.own = undefined;
        closeSync(fd);
      }
    }
  }

  // Step 3 of append: find our lines after `at` in the file now at the log's path and replay
  // what precedes each of them. When a compaction replaced the log after our write (`written`
  // is the file we wrote to), our lines count only if it copied them: they then apply in the
  // new log exactly as they do in the old one.
  private verifyAppended(at: HeadLogPosition, changes: readonly HeadChange[], lines: readonly string[], written: number, headAt?: (name: string) => string | null): LandedLines {
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch (err) {
      if (isMissing(err)) throw new HeadLogMovedError(this.file);
      throw err;
    }
    try {
      const size = fstatSync(fd).size;
      const { epoch, start } = readEpochSync(fd, size);
      if (epoch === at.epoch) return this.findAppended(fd, start, size, at, changes, lines, headAt);
      const link = readLogHeader(fd, size)?.links.find((l) => l.epoch === at.epoch);
      if (!link) throw new HeadLogMovedError(this.file);
      const old = readEpochSync(written, fstatSync(written).size);
      if (old.epoch !== at.epoch) throw new HeadLogMovedError(this.file);
      return this.findAppended(written, old.start, link.end, at, changes, lines, headAt);
    } finally {
      closeSync(fd);
    }
  }

  // Our lines in `[at.offset, end)` of the log open as `fd` (events from `start`), and whether
  // each applies where it landed; HeadLogMovedError when they are not all there.
  private findAppended(
    fd: number, start: number, end: number, at: HeadLogPosition, changes: readonly HeadChange[], lines: readonly string[],
    headAt?: (name: string) => string | null,
  ): LandedLines {
    const ours = new Set(changes.map((c) => c.name));
    const moved = new Map<string, string | null>();
    // Without the caller's heads, replay the log up to `at` for our names (this path runs
    // only when another writer got in, i.e. after a lost lock).
    let before: Map<string, string | null> | undefined;
    const headOf = (name: string): string | null => {
      if (moved.has(name)) return moved.get(name) ?? null;
      if (headAt) return headAt(name);
      before ??= headsBefore(fd, start, at.offset, ours);
      return before.get(name) ?? null;
    };
    const applied: boolean[] = [];
    const headsAt: (string | null)[] = [];
    for (const line of completeLines(fd, at.offset, end)) {
      if (line.oversized || line.bytes.includes(NUL)) continue;
      const text = line.bytes.toString('utf8');
      const event = parseEventLine(text);
      // Only our names matter: a change to another name never voids ours.
      if (!event || !ours.has(event.name)) continue;
      const current = headOf(event.name);
      if (current === event.old) moved.set(event.name, event.new);
      if (applied.length < lines.length && `${text}\n` === lines[applied.length]) {
        applied.push(current === event.old);
        headsAt.push(current);
        if (applied.length === lines.length) return { epoch: at.epoch, offset: line.end, applied, headsAt };
      }
    }
    throw new HeadLogMovedError(this.file);
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
    try {
      const handle = await open(temp, 'wx');
      try {
        writeFullySync(handle.fd, bytes, 0, temp);
        if (this.durability === 'fsync') await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (err) {
      await unlink(temp).catch(() => undefined);
      throw asStorageError(err, temp);
    }
    if (this.durability === 'fsync') await syncFolder(folder);
    return { epoch, offset: bytes.length };
  }

  /**
   * Make sure a trustworthy log exists: when it is absent, or has no epoch line (empty, or a
   * damaged first line — reading it would show an empty or wrong store and let `create` accept
   * names that exist), take the lock, check again, and write one holding the heads `rebuild`
   * computes (e.g. {@link rebuildHeads}). A damaged log is kept aside as `head.broken-<ms>`.
   * Resolves true when it wrote one.
   */
  async initialize(rebuild: () => Promise<Iterable<HeadEntry>>): Promise<boolean> {
    if (await this.readEpoch()) return false;
    return this.withLock(async () => {
      if (await this.readEpoch()) return false;
      await this.replace(rebuild);
      return true;
    });
  }

  /**
   * Inside the lock: write a new log from `rebuild`, keeping a log without an epoch (if any)
   * aside as `head.broken-<ms>` for inspection. Returns the position at its end.
   */
  async replace(rebuild: () => Promise<Iterable<HeadEntry>>): Promise<HeadLogPosition> {
    const heads = await rebuild();
    if ((await this.readEpoch()) === '') await rename(this.file, `${this.file}.broken-${Date.now()}`).catch(() => undefined);
    return this.create(heads);
  }
}

/** Where appended lines ended, and per line whether it applies and the head it met. */
type LandedLines = HeadLogPosition & Pick<HeadLogLanded, 'applied' | 'headsAt'>;

/** The heads of `names` after replaying `[start, end)` of the log open as `fd` by the replay rule. */
function headsBefore(fd: number, start: number, end: number, names: ReadonlySet<string>): Map<string, string | null> {
  const heads = new Map<string, string | null>();
  for (const line of completeLines(fd, start, end)) {
    if (line.oversized || line.bytes.includes(NUL)) continue;
    const event = parseEventLine(line.bytes.toString('utf8'));
    if (!event || !names.has(event.name) || (heads.get(event.name) ?? null) !== event.old) continue;
    heads.set(event.name, event.new);
  }
  return heads;
}

/** The epoch of the log open as `fd` (undefined: none) and where its events start. */
function readEpochSync(fd: number, size: number): { epoch: string | undefined; start: number } {
  const head = readRangeSync(fd, 0, Math.min(size, 4096));
  const newline = head.indexOf(NEWLINE);
  const epoch = newline < 0 ? undefined : parseEpoch(head.subarray(0, newline).toString('utf8'));
  return { epoch, start: epoch === undefined ? 0 : newline + 1 };
}

// A failed flush (ext4 reports a full disk here under delayed allocation) must not leave
// lines that readers would apply while their writers are told they failed: they are cut off
// again, unless the file grew beyond them (a writer that took the lock over appended after).
function flushOrTakeBack(fd: number, file: string, start: number, end: number): void {
  try {
    fsyncSync(fd);
  } catch (err) {
    try {
      if (fstatSync(fd).size === end) ftruncateSync(fd, start);
    } catch {
      // the error below is what counts; the lines stay and are read as written
    }
    throw asStorageError(err, file);
  }
}
