import { closeSync, fstatSync, statSync } from 'node:fs';
import { InvalidConfigError, isGittyError } from '@gitty/core';
import { compactHeadLog, type CompactReport } from './compact-log.js';
import { removeRetiredLogs } from './epoch-follow.js';
import { openIfExists, type Durability } from './fs-sync.js';
import type { HeadLog } from './head-log.js';
import { FileLock } from './lock.js';
import { readLogHeader } from './log-header.js';

/** When a head log is compacted on its own (see {@link HeadLogCompaction}). */
export interface CompactionPolicy {
  /** Least log size in bytes before a write considers compacting; `false`: never by size (gc still compacts). */
  compactAt: number | false;
  /**
   * Compact once the log is this many times its size right after its last compaction (about
   * lines per live head; a log never compacted is compacted once it reaches `compactAt`).
   */
  compactRatio: number;
}

/** Default {@link CompactionPolicy.compactAt}: 64 MiB (about half a million changes). */
export const DEFAULT_COMPACT_AT = 64 * 1024 * 1024;
/** Default {@link CompactionPolicy.compactRatio}. */
export const DEFAULT_COMPACT_RATIO = 4;
/**
 * The {@link CompactionPolicy} from a driver config's `compactAt` / `compactRatio` (defaults
 * filled in); INVALID_CONFIG names a bad one. For drivers that write a gitty head log.
 */
export function compactionPolicyOf(options: Record<string, unknown>, driver: string): CompactionPolicy {
  const { compactAt, compactRatio } = options;
  if (compactAt !== undefined && compactAt !== false && (typeof compactAt !== 'number' || !(compactAt >= 0))) {
    throw new InvalidConfigError(`The ${driver} driver's "compactAt" must be a number of bytes >= 0 or false`);
  }
  if (compactRatio !== undefined && (typeof compactRatio !== 'number' || !(compactRatio >= 1.5) || !Number.isFinite(compactRatio))) {
    throw new InvalidConfigError(`The ${driver} driver's "compactRatio" must be a number >= 1.5`);
  }
  return { compactAt: (compactAt as number | false | undefined) ?? DEFAULT_COMPACT_AT, compactRatio: (compactRatio as number | undefined) ?? DEFAULT_COMPACT_RATIO };
}

/** How long a retired log stays for readers still in its epoch (a reader further behind reads the whole new log). */
export const RETIRED_LOG_KEEP_MS = 10 * 60_000;

/**
 * What a compacted log's size was right after its compaction (snapshot and copied tail), or 0
 * for a log never compacted; undefined when there is no trustworthy log.
 */
function compactedSize(file: string): { size: number; compacted: number; ino: number } | undefined {
  const fd = openIfExists(file);
  if (fd === undefined) return undefined;
  try {
    const info = fstatSync(fd);
    const header = readLogHeader(fd, info.size);
    if (!header) return undefined;
    const link = header.links[0];
    return { size: info.size, compacted: link ? link.start + link.end - link.offset : 0, ino: info.ino };
  } finally {
    closeSync(fd);
  }
}

/**
 * Compaction of one store's head log, for the driver that writes it (files or SQLite):
 * {@link afterWrite} starts one in the background when the policy says the log is due,
 * {@link compact} runs one now (gc), {@link idle} waits for a running one (close). One
 * process compacts at a time (a `head.compact.lock` next to the log); the others go on
 * writing, and follow the new epoch like every reader.
 */
export class HeadLogCompaction {
  private running: Promise<unknown> | undefined;
  /** The compacted size of the log file last looked at (by inode): its header never changes. */
  private known: { ino: number; compacted: number } | undefined;
  private readonly busy: FileLock;
  private readonly waiting: FileLock;
  /** Compactions this instance made. */
  compactions = 0;
  /** The last error of a background compaction, for diagnostics (the store is intact: it failed before switching, or after). */
  lastError: unknown;

  constructor(
    readonly log: HeadLog,
    private readonly options: { durability: Durability; policy: CompactionPolicy; keepRetiredMs?: number },
  ) {
    // Background compactions skip when another process compacts; gc waits for it.
    this.busy = new FileLock(`${log.file}.compact`, { timeoutMs: 0 });
    this.waiting = new FileLock(`${log.file}.compact`);
  }

  /**
   * After a write to the log: a cheap look (one stat), and a compaction in the background when
   * due. Never throws: the write it follows is acknowledged (a failure is in {@link lastError}).
   * `logSize`, the log's size as the write left it, spares the stat while it is below `compactAt`.
   */
  afterWrite(logSize?: number): void {
    try {
      const { compactAt } = this.options.policy;
      if (logSize !== undefined && (compactAt === false || logSize < compactAt)) return;
      this.considerCompacting();
    } catch (err) {
      this.lastError = err;
    }
  }

  private considerCompacting(): void {
    const { compactAt, compactRatio } = this.options.policy;
    if (this.running || compactAt === false) return;
    const info = statSync(this.log.file, { throwIfNoEntry: false });
    if (!info || info.size < compactAt) return;
    const compacted = this.known?.ino === info.ino ? this.known.compacted : compactedSize(this.log.file)?.compacted;
    if (compacted === undefined) return;
    this.known = { ino: info.ino, compacted };
    if (info.size < compactRatio * compacted) return;
    this.start(() => this.busy.withLock(() => this.compactIf((size, done) => size >= compactAt && size >= compactRatio * done)))
      .catch((err: unknown) => {
        // Another process compacting (its lock held) is no failure.
        if (!isGittyError(err, "LOCK_TIMEOUT")) this.lastError = err;
      });
  }

  /**
   * Compact now unless nothing was written since the last compaction (`gitty gc` calls this
   * through the driver's prune), waiting for another process's compaction first. Also removes
   * retired logs older than the keep period.
   */
  async compact(): Promise<CompactReport | undefined> {
    await this.idle();
    const report = await this.start(() => this.waiting.withLock(() => this.compactIf((size, done) => size > done || done === 0)));
    removeRetiredLogs(this.log.file, this.options.keepRetiredMs ?? RETIRED_LOG_KEEP_MS);
    return report;
  }

  /** Wait for a running compaction of this instance (errors are in {@link lastError}). */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  private start<T>(work: () => Promise<T>): Promise<T> {
    const run = work();
    const tracked = run.finally(() => {
      if (this.running === tracked) this.running = undefined;
    });
    this.running = tracked;
    tracked.catch(() => undefined);
    return run;
  }

  // Inside the compaction lock: look again (another process may have just compacted), then compact.
  private async compactIf(due: (size: number, compacted: number) => boolean): Promise<CompactReport | undefined> {
    const now = compactedSize(this.log.file);
    if (!now || !due(now.size, now.compacted)) return undefined;
    const report = await compactHeadLog(this.log, { durability: this.options.durability });
    if (report) {
      this.compactions++;
      removeRetiredLogs(this.log.file, this.options.keepRetiredMs ?? RETIRED_LOG_KEEP_MS);
    }
    return report;
  }
}
