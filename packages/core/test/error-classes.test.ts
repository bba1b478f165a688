import { describe, expect, it } from 'vitest';
import {
  AbortedError, AmbiguousError, ClosedError, CorruptObjectError, DriverNotFoundError, ErrorCodes, FileExistsError,
  GittyError, ImportAbortedError, ImportConflictError, InvalidArgumentError, InvalidConfigError, InvalidHashError,
  InvalidNameError, isGittyError, LockTimeoutError, NotAtHeadError, NotFoundError, ObjectTooLargeError,
  ObjectUnavailableError, RedisUnavailableError, StorageFullError, UnsupportedError, type ImportConflict,
} from '@gitty/core';

const H = 'a'.repeat(40);
const H2 = 'b'.repeat(40);

describe('error classes', () => {
  it('each carries its code, its class name and a message naming what went wrong', () => {
    const cause = new Error('underneath');
    const cases: [GittyError, string, string, ...string[]][] = [
      [new FileExistsError('a.pl', H), 'FILE_EXISTS', 'FileExistsError', '"a.pl"', H],
      [new NotFoundError('object', H), 'NOT_FOUND', 'NotFoundError', `No object "${H}"`],
      [new InvalidNameError('bad/name', 'has a slash'), 'INVALID_NAME', 'InvalidNameError', '"bad/name"', 'has a slash'],
      [new InvalidHashError('xyz'), 'INVALID_HASH', 'InvalidHashError', '"xyz"', '40 lower-case hex digits'],
      [new AmbiguousError('abcd', [{ hash: H, type: 'blob' }, { hash: H2, type: 'commit' }]), 'AMBIGUOUS', 'AmbiguousError', '"abcd"', `${H} (blob), ${H2} (commit)`],
      [new InvalidArgumentError('no good'), 'INVALID_ARGUMENT', 'InvalidArgumentError', 'no good'],
      [new CorruptObjectError(H, '/x/file', 'bad bytes', { cause }), 'CORRUPT_OBJECT', 'CorruptObjectError', `Corrupt object ${H} in /x/file: bad bytes`],
      [new CorruptObjectError(undefined, 'pack p', 'bad'), 'CORRUPT_OBJECT', 'CorruptObjectError', 'Corrupt object in pack p: bad'],
      [new ObjectTooLargeError(10, 5), 'OBJECT_TOO_LARGE', 'ObjectTooLargeError', '10 bytes', '5 bytes'],
      [new ObjectUnavailableError(H, 'slow peer'), 'OBJECT_UNAVAILABLE', 'ObjectUnavailableError', H, 'slow peer'],
      [new DriverNotFoundError('nope', 'missing'), 'DRIVER_NOT_FOUND', 'DriverNotFoundError', '"nope"', 'missing'],
      [new InvalidConfigError('bad key'), 'INVALID_CONFIG', 'InvalidConfigError', 'bad key'],
      [new UnsupportedError('repack', 'memory'), 'UNSUPPORTED', 'UnsupportedError', 'The memory driver does not support repack'],
      [new ClosedError(), 'CLOSED', 'ClosedError', 'The store is closed'],
      [new ClosedError('driver'), 'CLOSED', 'ClosedError', 'The driver is closed'],
      [new LockTimeoutError('/x/lock'), 'LOCK_TIMEOUT', 'LockTimeoutError', '/x/lock'],
      [new RedisUnavailableError('refused'), 'REDIS_UNAVAILABLE', 'RedisUnavailableError', 'refused'],
      [new StorageFullError('/x/obj', { cause: Object.assign(new Error('no space'), { code: 'ENOSPC' }) }), 'STORAGE_FULL', 'StorageFullError', 'No room to write /x/obj (ENOSPC)'],
      [new AbortedError('gc'), 'ABORTED', 'AbortedError', 'The gc was aborted'],
      [new AbortedError('gc', 'by the caller'), 'ABORTED', 'AbortedError', 'The gc was aborted: by the caller'],
    ];
    for (const [err, code, name, ...parts] of cases) {
      expect(err).toBeInstanceOf(GittyError);
      expect(err).toBeInstanceOf(Error);
      expect(err.code).toBe(code);
      expect(err.name).toBe(name);
      expect(ErrorCodes).toContain(code);
      expect(isGittyError(err, code as never)).toBe(true);
      for (const part of parts) expect(err.message, name).toContain(part);
    }
    expect(new CorruptObjectError(H, 'x', 'y', { cause }).cause).toBe(cause);
    expect(new ClosedError().message).toBe('The store is closed');
    expect(new AbortedError('gc').message).toBe('The gc was aborted');
    expect(new StorageFullError('/x/obj').message).toBe('No room to write /x/obj');
    expect(new StorageFullError('/x/obj', { cause: { code: 5 } }).message).toBe('No room to write /x/obj');
  });

  it('NOT_AT_HEAD says whether the file has a head, and what was expected', () => {
    expect(new NotAtHeadError('a.pl', null, H).message).toBe(`File "a.pl" has no head (expected ${H})`);
    expect(new NotAtHeadError('a.pl', null, null).message).toBe('File "a.pl" has no head (expected none)');
    expect(new NotAtHeadError('a.pl', H, H2).message).toBe(`File "a.pl" is at ${H}, not at ${H2}`);
    expect(new NotAtHeadError('a.pl', H, null).message).toBe(`File "a.pl" is at ${H}, not at nothing`);
    const err = new NotAtHeadError('a.pl', H, H2);
    expect([err.fileName, err.head, err.expected, err.code]).toEqual(['a.pl', H, H2, 'NOT_AT_HEAD']);
  });

  it('a branded object without a string code is no GittyError', () => {
    const brand = Symbol.for('@gitty/core/GittyError');
    expect(isGittyError({ [brand]: true, code: 42 })).toBe(false);
    expect(isGittyError({ [brand]: true })).toBe(false);
    expect(isGittyError({ [brand]: true, code: 'NOT_FOUND' })).toBe(true);
  });

  it('the brand is on the prototype: not an own, enumerable or logged property', () => {
    const err = new NotFoundError('file', 'x');
    expect(Object.getOwnPropertySymbols(err)).toEqual([]);
    expect(JSON.stringify({ ...err })).not.toContain('GittyError');
  });

  it('an import abort says whether any head was switched', () => {
    const none = new ImportAbortedError({});
    expect(none.code).toBe('ABORTED');
    expect(none.message).toBe('The import was aborted: no head was changed (stored objects wait for gc)');
    const some = new ImportAbortedError({ 'a.pl': H, 'b.pl': H2 });
    expect(some.applied).toEqual({ 'a.pl': H, 'b.pl': H2 });
    expect(some.message).toBe('The import was aborted: 2 file(s) were switched before the abort (see applied), no other head was changed');
  });

  it('an import conflict is NOT_AT_HEAD about its first conflict and lists at most five names', () => {
    const conflict = (i: number): ImportConflict => ({ name: `f${i}.pl`, expected: null, head: H, tip: H2, versions: 1 });
    const few = new ImportConflictError([conflict(1), conflict(2)], { 'x.pl': H });
    expect(isGittyError(few) && few.code).toBe('NOT_AT_HEAD');
    expect([few.fileName, few.head, few.expected]).toEqual(['f1.pl', H, null]);
    expect(few.message).toBe('Import left 2 file(s) at heads another writer set meanwhile ("f1.pl", "f2.pl"); '
      + 'their imported versions are stored (see conflicts[].tip), 1 other file(s) were switched');
    const five = new ImportConflictError([1, 2, 3, 4, 5].map(conflict), {});
    expect(five.message).toContain('("f1.pl", "f2.pl", "f3.pl", "f4.pl", "f5.pl")');
    const many = new ImportConflictError([1, 2, 3, 4, 5, 6].map(conflict), {});
    expect(many.message).toContain('"f5.pl", …); ');
    expect(many.message).not.toContain('f6.pl');
  });
});
