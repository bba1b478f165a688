/**
 * The stable catalogue of error codes. A code never changes meaning; new codes may be added.
 * Every error gitty throws on purpose is a {@link GittyError} with one of these codes.
 */
export const ErrorCodes = [
  'FILE_EXISTS',
  'NOT_AT_HEAD',
  'NOT_FOUND',
  'INVALID_NAME',
  'INVALID_HASH',
  'AMBIGUOUS',
  'INVALID_ARGUMENT',
  'CORRUPT_OBJECT',
  'OBJECT_TOO_LARGE',
  'OBJECT_UNAVAILABLE',
  'DRIVER_NOT_FOUND',
  'INVALID_CONFIG',
  'UNSUPPORTED',
  'CLOSED',
  'LOCK_TIMEOUT',
  'REDIS_UNAVAILABLE',
  'STORAGE_FULL',
  'ABORTED',
] as const;

/** One of the stable error codes in {@link ErrorCodes}. */
export type ErrorCode = (typeof ErrorCodes)[number];

/**
 * The brand every {@link GittyError} carries, under a registry symbol: two copies of
 * `@gitty/core` in one application (a driver that bundled or nested its own) share it, so
 * {@link isGittyError} recognises either copy's errors, where `instanceof` would not.
 */
export const GITTY_ERROR_BRAND: unique symbol = Symbol.for('@gitty/core/GittyError');

/** Base class of every error gitty throws on purpose. Test `err.code` (see {@link isGittyError}), not the class. */
export class GittyError extends Error {
  /** The stable, machine-readable code. */
  readonly code: ErrorCode;
  /** See {@link GITTY_ERROR_BRAND} (on the prototype, so it stays out of logs and inspection). */
  declare readonly [GITTY_ERROR_BRAND]: true;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

Object.defineProperty(GittyError.prototype, GITTY_ERROR_BRAND, { value: true });

/** `create` found that the file already has a head. */
export class FileExistsError extends GittyError {
  constructor(
    readonly fileName: string,
    readonly head: string,
  ) {
    super('FILE_EXISTS', `File "${fileName}" already exists (head ${head})`);
  }
}

/** A head update's `previous` was not the current head; `head` is the actual head (null: none). */
export class NotAtHeadError extends GittyError {
  constructor(
    readonly fileName: string,
    readonly head: string | null,
    readonly expected: string | null,
  ) {
    super(
      'NOT_AT_HEAD',
      head === null
        ? `File "${fileName}" has no head (expected ${expected ?? 'none'})`
        : `File "${fileName}" is at ${head}, not at ${expected ?? 'nothing'}`,
    );
  }
}

/** A file or object does not exist. */
export class NotFoundError extends GittyError {
  constructor(
    readonly what: 'file' | 'object' | 'commit',
    readonly key: string,
  ) {
    super('NOT_FOUND', `No ${what} "${key}"`);
  }
}

/** A file name is not acceptable (empty, too long, control characters, `/`, …). */
export class InvalidNameError extends GittyError {
  constructor(
    readonly fileName: unknown,
    reason: string,
  ) {
    super('INVALID_NAME', `Invalid file name ${JSON.stringify(String(fileName)).slice(0, 120)}: ${reason}`);
  }
}

/** A string that should be a 40-digit lower-case hex hash is not. */
export class InvalidHashError extends GittyError {
  constructor(readonly hash: unknown) {
    super('INVALID_HASH', `Invalid object hash ${JSON.stringify(String(hash)).slice(0, 60)}: expected 40 lower-case hex digits`);
  }
}

/** An abbreviated hash matches more than one object; `candidates` lists them with their types. */
export class AmbiguousError extends GittyError {
  constructor(
    readonly prefix: string,
    readonly candidates: readonly { hash: string; type: string }[],
  ) {
    super('AMBIGUOUS', `Hash prefix "${prefix}" is ambiguous: ${candidates.map((c) => `${c.hash} (${c.type})`).join(', ')}`);
  }
}

/** An argument other than a name or a hash is not acceptable. */
export class InvalidArgumentError extends GittyError {
  constructor(message: string) {
    super('INVALID_ARGUMENT', message);
  }
}

/** Stored bytes do not decode, or do not hash to their name. `where` names the file or pack. */
export class CorruptObjectError extends GittyError {
  constructor(
    readonly hash: string | undefined,
    readonly where: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('CORRUPT_OBJECT', `Corrupt object${hash ? ` ${hash}` : ''} in ${where}: ${reason}`, options);
  }
}

/** An object is larger than the configured maximum. */
export class ObjectTooLargeError extends GittyError {
  constructor(
    readonly size: number,
    readonly limit: number,
  ) {
    super('OBJECT_TOO_LARGE', `Object of ${size} bytes exceeds the limit of ${limit} bytes (maxObjectSize)`);
  }
}

/** An object is known to exist but could not be fetched in time (replication). */
export class ObjectUnavailableError extends GittyError {
  constructor(
    readonly hash: string,
    reason: string,
  ) {
    super('OBJECT_UNAVAILABLE', `Object ${hash} is unavailable: ${reason}`);
  }
}

/** A driver name or module specifier could not be resolved to a driver factory. */
export class DriverNotFoundError extends GittyError {
  constructor(
    readonly driver: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super('DRIVER_NOT_FOUND', `Driver "${driver}" not found: ${reason}`, options);
  }
}

/** A configuration is malformed; the message names the option and what is valid. */
export class InvalidConfigError extends GittyError {
  constructor(message: string) {
    super('INVALID_CONFIG', message);
  }
}

/** The driver lacks the capability an operation needs. */
export class UnsupportedError extends GittyError {
  constructor(
    readonly operation: string,
    readonly driver: string,
  ) {
    super('UNSUPPORTED', `The ${driver} driver does not support ${operation}`);
  }
}

/** The store or driver was closed. */
export class ClosedError extends GittyError {
  constructor(what = 'store') {
    super('CLOSED', `The ${what} is closed`);
  }
}

/** A cross-process lock could not be taken in time. */
export class LockTimeoutError extends GittyError {
  constructor(
    readonly lockPath: string,
    options?: { cause?: unknown },
  ) {
    super('LOCK_TIMEOUT', `Timed out waiting for the lock ${lockPath}`, options);
  }
}

/** Redis could not be reached; writes fail fast rather than queue. */
export class RedisUnavailableError extends GittyError {
  constructor(reason: string, options?: { cause?: unknown }) {
    super('REDIS_UNAVAILABLE', `Redis is unavailable: ${reason}`, options);
  }
}

/**
 * A write found no room (ENOSPC, EDQUOT, EFBIG, or a write that kept writing nothing): nothing
 * was acknowledged, and the store stays as it was. Free space and retry.
 */
export class StorageFullError extends GittyError {
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    const code = (options?.cause as { code?: unknown } | undefined)?.code;
    super('STORAGE_FULL', `No room to write ${path}${typeof code === 'string' ? ` (${code})` : ''}`, options);
  }
}

/** Work was stopped by its caller's AbortSignal at a safe point; what was not finished is untouched. */
export class AbortedError extends GittyError {
  constructor(
    readonly operation: string,
    detail = '',
    options?: { cause?: unknown },
  ) {
    super('ABORTED', `The ${operation} was aborted${detail ? `: ${detail}` : ''}`, options);
  }
}

/**
 * `Store.import` was aborted. Before its head phase nothing was switched (`applied` is empty);
 * a driver without batched head updates switches files one by one, and an abort between them
 * leaves the files in `applied` switched and every other file untouched.
 */
export class ImportAbortedError extends AbortedError {
  constructor(
    readonly applied: Readonly<Record<string, string>>,
    options?: { cause?: unknown },
  ) {
    const n = Object.keys(applied).length;
    super('import', n === 0 ? 'no head was changed (stored objects wait for gc)' : `${n} file(s) were switched before the abort (see applied), no other head was changed`, options);
  }
}

/**
 * One file of a bulk import whose head moved away from the head the import chained onto: its
 * versions are stored (`tip` and the commits before it, until gc's grace period ends) but its
 * head was left alone.
 */
export interface ImportConflict {
  name: string;
  /** The head the import's first version of this file chained onto (null: none). */
  expected: string | null;
  /** The head found when the import tried to switch it (null: the file was deleted). */
  head: string | null;
  /** The commit of the file's last imported version: not reachable from any head. */
  tip: string;
  /** How many versions of this file the import held. */
  versions: number;
}

/**
 * `Store.import` switched every file it could, but some files' heads moved meanwhile (another
 * writer): those files are listed in `conflicts`, each left at the head the other writer set.
 * The code is NOT_AT_HEAD; `fileName`, `head` and `expected` describe the first conflict.
 * `applied` maps each switched file to its new head.
 */
export class ImportConflictError extends NotAtHeadError {
  constructor(
    readonly conflicts: readonly ImportConflict[],
    readonly applied: Readonly<Record<string, string>>,
  ) {
    const first = conflicts[0]!;
    super(first.name, first.head, first.expected);
    const names = conflicts.slice(0, 5).map((c) => `"${c.name}"`).join(', ');
    this.message = `Import left ${conflicts.length} file(s) at heads another writer set meanwhile (${names}${conflicts.length > 5 ? ', …' : ''}); `
      + `their imported versions are stored (see conflicts[].tip), ${Object.keys(applied).length} other file(s) were switched`;
  }
}

/**
 * The error class of each code, for {@link isGittyError}'s narrowing: a code whose errors carry
 * more than a message (the head of `NOT_AT_HEAD`, the path of `LOCK_TIMEOUT`, …) maps to its
 * subclass, every other code to {@link GittyError}.
 */
export interface GittyErrorByCode {
  FILE_EXISTS: FileExistsError;
  NOT_AT_HEAD: NotAtHeadError;
  NOT_FOUND: NotFoundError;
  INVALID_NAME: InvalidNameError;
  INVALID_HASH: InvalidHashError;
  AMBIGUOUS: AmbiguousError;
  INVALID_ARGUMENT: InvalidArgumentError;
  CORRUPT_OBJECT: CorruptObjectError;
  OBJECT_TOO_LARGE: ObjectTooLargeError;
  OBJECT_UNAVAILABLE: ObjectUnavailableError;
  DRIVER_NOT_FOUND: DriverNotFoundError;
  INVALID_CONFIG: InvalidConfigError;
  UNSUPPORTED: UnsupportedError;
  CLOSED: ClosedError;
  LOCK_TIMEOUT: LockTimeoutError;
  REDIS_UNAVAILABLE: RedisUnavailableError;
  STORAGE_FULL: StorageFullError;
  ABORTED: AbortedError;
}

/** The error type {@link isGittyError} narrows to for `code`. */
export type GittyErrorOf<C extends ErrorCode> = C extends keyof GittyErrorByCode ? GittyErrorByCode[C] : GittyError;

/**
 * True when `err` is a GittyError, optionally with the given code; narrows to that code's
 * class, so `if (isGittyError(err, 'NOT_AT_HEAD')) err.head` compiles. It checks the brand
 * ({@link GITTY_ERROR_BRAND}) and the code, not the class, so errors thrown by another copy of
 * `@gitty/core` in the same application are recognised too.
 */
export function isGittyError<C extends ErrorCode>(err: unknown, code: C): err is GittyErrorOf<C>;
export function isGittyError(err: unknown): err is GittyError;
export function isGittyError(err: unknown, code?: ErrorCode): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const candidate = err as { [GITTY_ERROR_BRAND]?: unknown; code?: unknown };
  if (candidate[GITTY_ERROR_BRAND] !== true || typeof candidate.code !== 'string') return false;
  return code === undefined || candidate.code === code;
}
