import path from 'node:path';
import { InvalidConfigError, checkDriverOptions, stringOption } from '@gitty/core';
import type { Durability } from './fs-sync.js';

/** Options of the files driver: `{ driver: 'files', dir, … }` in a store config. */
export interface FilesDriverOptions {
  /** The store folder (created when missing). Holds `objects/` and `ref/head`. */
  dir: string;
  /** `fsync` (default): objects and head changes are flushed to disk before a call returns. `none`: faster, for tests and caches. */
  durability?: Durability;
  /**
   * Group commit (default true): concurrent head changes in this process are appended together
   * under one lock acquisition, in one write — and with `fsync` one flush covers every object
   * file, folder and head change queued meanwhile; nothing is acknowledged before the flush
   * that covers it. `false`: each write takes the lock and flushes on its own.
   */
  groupCommit?: boolean;
  /** Read the head log at most once per this many ms for lookups, and poll it this often while watched (default 1000). */
  pollInterval?: number;
  /** Watch the head log with fs.watch as well as polling (default true; polling alone serves NFS). */
  watchLog?: boolean;
  /** A lock holder that crashed is taken over after this many ms (default 10,000; at least 2,000). */
  lockStale?: number;
  /** Give up waiting for the head log's lock after this many ms with LOCK_TIMEOUT (default 30,000). */
  lockTimeout?: number;
  /**
   * The on-disk layout: `git` (gitty's own, git-compatible objects) or `swish` (SWISH's gitty:
   * gzip objects at `<dir>/ab/cd/…`, SWISH packs, a Prolog head log). Default: what the folder
   * already holds, else `git`. Asking for the other format than the folder holds is INVALID_CONFIG.
   */
  format?: 'git' | 'swish';
  /**
   * Compact the head log (one line per live head, a new epoch) once a write finds it at least
   * this many bytes (default 64 MiB) and `compactRatio` times its size after its last
   * compaction; `false`: only `gc` compacts. Not for SWISH stores (SWISH appends without gitty's lock).
   */
  compactAt?: number | false;
  /** See `compactAt` (default 4, at least 1.5). */
  compactRatio?: number;
  /**
   * Append new objects to a journal file of this process instead of writing two loose files
   * per version (default false): one write, and with `fsync` one flush, per group of writes —
   * several times faster for single writes. Other gitty processes read the journal as it grows;
   * it is sealed into ordinary loose objects at `journalSealAt` bytes, `journalSealAfter` ms,
   * on `close` and on `gc`, and a crashed writer's journal by the next process on the same host
   * that opens the store. Until sealed, its objects are invisible to git and SWISH: leave it off
   * when they read the folder while gitty writes. Not for SWISH-format stores.
   */
  journal?: boolean;
  /** Seal this process's journal once it holds this many bytes (default 8 MiB, at least 4 KiB). */
  journalSealAt?: number;
  /** Seal this process's journal this many ms after it was started (default 60,000, at least 10). */
  journalSealAfter?: number;
}

/** Every option key the files driver accepts. */
export const FILES_OPTION_KEYS = [
  'dir', 'durability', 'groupCommit', 'pollInterval', 'watchLog', 'lockStale', 'lockTimeout', 'format', 'compactAt', 'compactRatio',
  'journal', 'journalSealAt', 'journalSealAfter',
] as const;

function positive(options: Record<string, unknown>, key: string, min: number): number | undefined {
  const value = options[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new InvalidConfigError(`The files driver's "${key}" must be a number of milliseconds >= ${min}`);
  }
  return value;
}

/** Validate a files driver config (INVALID_CONFIG naming the option); `dir` becomes absolute. */
export function parseFilesOptions(options: Record<string, unknown>, allowed: readonly string[] = FILES_OPTION_KEYS): FilesDriverOptions {
  checkDriverOptions('files', options, allowed, ['dir']);
  const dir = path.resolve(stringOption('files', options, 'dir'));
  const durability = options.durability ?? 'fsync';
  if (durability !== 'fsync' && durability !== 'none') {
    throw new InvalidConfigError('The files driver\'s "durability" must be "fsync" or "none"');
  }
  if (options.groupCommit !== undefined && typeof options.groupCommit !== 'boolean') {
    throw new InvalidConfigError('The files driver\'s "groupCommit" must be true or false');
  }
  if (options.watchLog !== undefined && typeof options.watchLog !== 'boolean') {
    throw new InvalidConfigError('The files driver\'s "watchLog" must be true or false');
  }
  if (options.format !== undefined && options.format !== 'git' && options.format !== 'swish') {
    throw new InvalidConfigError('The files driver\'s "format" must be "git" or "swish"');
  }
  if (options.compactAt !== undefined && options.compactAt !== false && (typeof options.compactAt !== 'number' || !(options.compactAt >= 0))) {
    throw new InvalidConfigError('The files driver\'s "compactAt" must be a number of bytes >= 0 or false');
  }
  if (options.compactRatio !== undefined && (typeof options.compactRatio !== 'number' || !(options.compactRatio >= 1.5) || !Number.isFinite(options.compactRatio))) {
    throw new InvalidConfigError('The files driver\'s "compactRatio" must be a number >= 1.5');
  }
  if (options.journal !== undefined && typeof options.journal !== 'boolean') {
    throw new InvalidConfigError('The files driver\'s "journal" must be true or false');
  }
  if (options.journal === true && options.format === 'swish') {
    throw new InvalidConfigError('The files driver\'s "journal" is not for SWISH-format stores (SWISH reads loose objects only)');
  }
  const journalSealAt = options.journalSealAt;
  if (journalSealAt !== undefined && (typeof journalSealAt !== 'number' || !Number.isSafeInteger(journalSealAt) || journalSealAt < 4096)) {
    throw new InvalidConfigError('The files driver\'s "journalSealAt" must be a whole number of bytes >= 4096');
  }
  return {
    dir,
    journal: options.journal as boolean | undefined,
    journalSealAt: journalSealAt as number | undefined,
    journalSealAfter: positive(options, 'journalSealAfter', 10),
    format: options.format as FilesDriverOptions['format'],
    compactAt: options.compactAt as number | false | undefined,
    compactRatio: options.compactRatio as number | undefined,
    durability,
    groupCommit: (options.groupCommit as boolean | undefined) ?? true,
    pollInterval: positive(options, 'pollInterval', 0) ?? 1000,
    watchLog: (options.watchLog as boolean | undefined) ?? true,
    lockStale: positive(options, 'lockStale', 2000),
    lockTimeout: positive(options, 'lockTimeout', 0),
  };
}
