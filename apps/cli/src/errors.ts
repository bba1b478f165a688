import { isGittyError, type GittyError } from '@gitty/core';
import type { Output } from './output.js';

/** Wrong use of the command line (unknown option, missing store, bad duration): exit status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** What to type instead. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The codes of failures the CLI detects itself (documented in the README next to the core's):
 * `NO_STORE` (the selected folder is missing, is not a store, or lacks the index its driver
 * needs), `READ_FAILED` (an input file cannot be read), `GIT_FAILED` (git cannot run or has
 * nothing to read), `NOT_EMPTY` (`demo` given a store that has files), `INVALID_CONFIG` (a config
 * file is missing or unreadable, as the core's code), `NOT_INSTALLED` (an optional part such as
 * `@gitty/server` is not installed next to the CLI).
 */
export type CliErrorCode =
  | 'NO_STORE' | 'READ_FAILED' | 'GIT_FAILED' | 'NOT_EMPTY' | 'INVALID_CONFIG' | 'NOT_INSTALLED'
  // `gitty import`: the source is no git repository, lacks the branch, or its paths make invalid
  // names / names the store already has (the last two as the core's codes).
  | 'NOT_A_REPOSITORY' | 'BRANCH_NOT_FOUND' | 'INVALID_NAME' | 'FILE_EXISTS';

/** A failure the CLI itself detects (missing store directory, unreadable input): exit status 1. */
export class CliError extends Error {
  constructor(
    /** The stable code `--json` reports. */
    readonly code: CliErrorCode,
    message: string,
    readonly hint?: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A failure as the CLI reports it: one line, a fix, an exit status. */
export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
  exitCode: number;
}

/** Hints a command gave an error it knows more about than its code (see {@link withHint}). */
const commandHints = new WeakMap<object, string>();

/**
 * Give `err` the hint of the command that met it, in place of its code's general one: a
 * NOT_AT_HEAD from `rm` needs another fix than one from `put`. Returns `err`, to rethrow.
 */
export function withHint<E extends object>(err: E, hint: string): E {
  commandHints.set(err, hint);
  return err;
}

// The fix for each stable core error code; the message itself already names the file/hash/option.
function hintFor(err: GittyError): string | undefined {
  const given = commandHints.get(err);
  if (given !== undefined) return given;
  const e = err as GittyError & { head?: string | null; fileName?: string; what?: string };
  switch (err.code) {
    case 'FILE_EXISTS':
      return `update it with \`gitty put ${e.fileName ?? '<name>'} --expect ${e.head ?? '<head>'}\`, or pick another name`;
    case 'NOT_AT_HEAD':
      return e.head
        ? `someone saved first: fetch \`gitty get ${e.fileName ?? '<name>'}\`, reapply your change and put with --expect ${e.head}`
        : `create it with \`gitty put ${e.fileName ?? '<name>'}\` without --expect`;
    case 'NOT_FOUND':
      return e.what === 'file' ? 'list the files with `gitty ls`' : 'list versions with `gitty log <name>`';
    case 'INVALID_NAME':
      return 'a name is 1-255 characters without "/", "\\", control characters or surrounding spaces';
    case 'INVALID_HASH':
      return 'a hash is 40 hexadecimal digits, or a unique prefix of at least 4 (`gitty log` prints 10)';
    case 'AMBIGUOUS':
      return 'give more digits of the hash';
    case 'CORRUPT_OBJECT':
      return 'run `gitty fsck` to list damaged objects, and restore them from another copy (`gitty copy`)';
    case 'OBJECT_TOO_LARGE':
      return 'raise "maxObjectSize" in the config';
    case 'OBJECT_UNAVAILABLE':
      return 'the node that wrote it has not replicated it yet: retry, or check that node';
    case 'DRIVER_NOT_FOUND':
      // The message of a driver that is not installed already says what to install.
      return err.message.includes('npm install') ? undefined : 'built-in drivers: memory, files, packs, sqlite, redis; or give a module specifier';
    case 'INVALID_CONFIG':
      return 'fix the config (see "Store selection" in the @gitty/cli README, or `gitty --help`)';
    case 'UNSUPPORTED':
      return 'open the store with a driver that has it (packs for repack/unpack, sqlite for reindex)';
    case 'LOCK_TIMEOUT':
      return 'another gitty process holds the lock: retry, or remove the lock file if that process died';
    case 'REDIS_UNAVAILABLE':
      return 'start Redis, or fix "url" in the config';
    case 'STORAGE_FULL':
      return 'the file system is full: free space and retry; nothing was acknowledged';
    default:
      return undefined;
  }
}

/** Describe any thrown value as the CLI reports it. */
export function describeError(err: unknown): ErrorReport {
  if (isGittyError(err)) return { code: err.code, message: err.message, hint: hintFor(err), exitCode: 1 };
  if (err instanceof UsageError) return { code: 'USAGE', message: err.message, hint: err.hint, exitCode: 2 };
  if (err instanceof CliError) return { code: err.code, message: err.message, hint: err.hint, exitCode: err.exitCode };
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : 'INTERNAL', message: message.split('\n')[0] ?? message, exitCode: 1 };
}

/**
 * Print an error: one line `gitty: <message> — <fix>` on stderr (plus the stack with
 * `--debug`), and with `--json` also `{"error":{…}}` on stdout so scripts parse one stream.
 * Returns the exit status.
 */
export function reportError(err: unknown, out: Output, debug: boolean): number {
  const report = describeError(err);
  const line = report.hint ? `${report.message} — ${report.hint}` : report.message;
  out.error(`gitty: ${line}`);
  if (debug && err instanceof Error && err.stack) out.error(err.stack);
  if (out.json) out.data({ error: { code: report.code, message: report.message, hint: report.hint } });
  return report.exitCode;
}
