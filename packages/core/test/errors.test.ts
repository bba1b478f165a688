import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  GittyError, isGittyError, LockTimeoutError, NotAtHeadError, NotFoundError, type ErrorCode,
} from '@gitty/core';

describe('isGittyError', () => {
  it('narrows by code to the class that carries that code\'s facts', () => {
    const err: unknown = new NotAtHeadError('a.md', 'b'.repeat(40), 'c'.repeat(40));
    if (!isGittyError(err, 'NOT_AT_HEAD')) throw new Error('expected NOT_AT_HEAD');
    // These compile only because the check narrowed `err` to NotAtHeadError.
    expect(err.head).toBe('b'.repeat(40));
    expect(err.fileName).toBe('a.md');
    expectTypeOf(err).toEqualTypeOf<NotAtHeadError>();
    const lock: unknown = new LockTimeoutError('/x/lock');
    if (isGittyError(lock, 'LOCK_TIMEOUT')) expectTypeOf(lock.lockPath).toEqualTypeOf<string>();
    const any: unknown = new NotFoundError('file', 'x');
    if (isGittyError(any)) expectTypeOf(any.code).toEqualTypeOf<ErrorCode>();
  });

  it('tells codes apart, and refuses look-alikes without the brand', () => {
    const err = new NotFoundError('file', 'x');
    expect(isGittyError(err)).toBe(true);
    expect(isGittyError(err, 'NOT_FOUND')).toBe(true);
    expect(isGittyError(err, 'NOT_AT_HEAD')).toBe(false);
    for (const value of [undefined, null, 'NOT_FOUND', 42, new Error('NOT_FOUND'), { code: 'NOT_FOUND', message: 'x' }]) {
      expect(isGittyError(value)).toBe(false);
      expect(isGittyError(value, 'NOT_FOUND')).toBe(false);
    }
  });

  it('recognises errors thrown by a second copy of @gitty/core (a driver that bundled its own)', async () => {
    // The same source loaded again under another URL: another module, other classes.
    const spec = '../src/errors.ts?second-copy';
    const copy = (await import(/* @vite-ignore */ spec)) as typeof import('../src/errors.js');
    const foreign: unknown = new copy.NotAtHeadError('a.md', null, 'd'.repeat(40));
    expect(foreign instanceof GittyError).toBe(false);
    expect(isGittyError(foreign)).toBe(true);
    expect(isGittyError(foreign, 'NOT_AT_HEAD') && foreign.head).toBe(null);
    expect(isGittyError(foreign, 'NOT_FOUND')).toBe(false);
    // And the other way round: that copy recognises ours.
    expect(copy.isGittyError(new NotFoundError('file', 'x'), 'NOT_FOUND')).toBe(true);
  });
});
