import { describe, expect, it } from 'vitest';
import { GittyError, type ErrorCode } from '@gitty/core';
import { CliError, UsageError, describeError, reportError, withHint } from '../src/errors.js';
import { Output, type OutputStream } from '../src/output.js';

// Every failure is reported as one line with the fix for its code; --json adds a document.
function gittyError(code: ErrorCode, message: string, fields: Record<string, unknown> = {}): GittyError {
  return Object.assign(new GittyError(code, message), fields);
}

function hintOf(err: unknown): string | undefined {
  return describeError(err).hint;
}

describe('UsageError and CliError', () => {
  it('carry their name, message, hint and exit status', () => {
    const usage = new UsageError('No store selected', 'give --store');
    expect(usage).toBeInstanceOf(Error);
    expect(usage.name).toBe('UsageError');
    expect(usage.message).toBe('No store selected');
    expect(usage.hint).toBe('give --store');
    expect(new UsageError('x').hint).toBeUndefined();
    const cli = new CliError('NO_STORE', 'No store at /x', 'init it');
    expect(cli).toBeInstanceOf(Error);
    expect(cli.name).toBe('CliError');
    expect([cli.code, cli.message, cli.hint, cli.exitCode]).toEqual(['NO_STORE', 'No store at /x', 'init it', 1]);
    expect(new CliError('GIT_FAILED', 'm', undefined, 3).exitCode).toBe(3);
  });
});

describe('describeError', () => {
  it('reports usage errors with exit status 2 and cli errors with their own', () => {
    expect(describeError(new UsageError('Invalid --depth "0"', 'give a whole number of at least 1'))).toEqual({
      code: 'USAGE', message: 'Invalid --depth "0"', hint: 'give a whole number of at least 1', exitCode: 2,
    });
    expect(describeError(new CliError('READ_FAILED', 'Cannot read x', 'check it', 4))).toEqual({
      code: 'READ_FAILED', message: 'Cannot read x', hint: 'check it', exitCode: 4,
    });
    expect(describeError(new GittyError('CLOSED', 'closed'))).toEqual({ code: 'CLOSED', message: 'closed', hint: undefined, exitCode: 1 });
  });

  it('reports anything else by its first line and string code, INTERNAL otherwise', () => {
    expect(describeError(new Error('first\nsecond'))).toEqual({ code: 'INTERNAL', message: 'first', exitCode: 1 });
    expect(describeError(Object.assign(new Error('denied'), { code: 'EACCES' }))).toEqual({ code: 'EACCES', message: 'denied', exitCode: 1 });
    expect(describeError(Object.assign(new Error('odd'), { code: 42 }))).toEqual({ code: 'INTERNAL', message: 'odd', exitCode: 1 });
    expect(describeError('boom\nmore')).toEqual({ code: 'INTERNAL', message: 'boom', exitCode: 1 });
    expect(describeError(null)).toEqual({ code: 'INTERNAL', message: 'null', exitCode: 1 });
    expect(describeError(undefined)).toEqual({ code: 'INTERNAL', message: 'undefined', exitCode: 1 });
    expect(describeError({ code: 'X', message: 'not an Error' })).toEqual({ code: 'X', message: '[object Object]', exitCode: 1 });
  });
});

describe('the hint for each core code', () => {
  it('FILE_EXISTS names the put that updates it', () => {
    expect(hintOf(gittyError('FILE_EXISTS', 'm', { fileName: 'a.txt', head: 'h1' }))).toBe('update it with `gitty put a.txt --expect h1`, or pick another name');
    expect(hintOf(gittyError('FILE_EXISTS', 'm'))).toBe('update it with `gitty put <name> --expect <head>`, or pick another name');
  });

  it('NOT_AT_HEAD says who saved first, or to put without --expect when there is no head', () => {
    expect(hintOf(gittyError('NOT_AT_HEAD', 'm', { fileName: 'a.txt', head: 'h2' }))).toBe(
      'someone saved first: fetch `gitty get a.txt`, reapply your change and put with --expect h2',
    );
    expect(hintOf(gittyError('NOT_AT_HEAD', 'm', { head: 'h2' }))).toBe('someone saved first: fetch `gitty get <name>`, reapply your change and put with --expect h2');
    expect(hintOf(gittyError('NOT_AT_HEAD', 'm', { fileName: 'n.txt', head: null }))).toBe('create it with `gitty put n.txt` without --expect');
    expect(hintOf(gittyError('NOT_AT_HEAD', 'm', { head: '' }))).toBe('create it with `gitty put <name>` without --expect');
  });

  it('NOT_FOUND lists files for a file, versions otherwise', () => {
    expect(hintOf(gittyError('NOT_FOUND', 'm', { what: 'file' }))).toBe('list the files with `gitty ls`');
    expect(hintOf(gittyError('NOT_FOUND', 'm', { what: 'commit' }))).toBe('list versions with `gitty log <name>`');
    expect(hintOf(gittyError('NOT_FOUND', 'm'))).toBe('list versions with `gitty log <name>`');
  });

  it('the fixed hints', () => {
    const fixed: [ErrorCode, string][] = [
      ['INVALID_NAME', 'a name is 1-255 characters without "/", "\\", control characters or surrounding spaces'],
      ['INVALID_HASH', 'a hash is 40 hexadecimal digits, or a unique prefix of at least 4 (`gitty log` prints 10)'],
      ['AMBIGUOUS', 'give more digits of the hash'],
      ['CORRUPT_OBJECT', 'run `gitty fsck` to list damaged objects, and restore them from another copy (`gitty copy`)'],
      ['OBJECT_TOO_LARGE', 'raise "maxObjectSize" in the config'],
      ['OBJECT_UNAVAILABLE', 'the node that wrote it has not replicated it yet: retry, or check that node'],
      ['DRIVER_NOT_FOUND', 'built-in drivers: memory, files, packs, sqlite, redis; or give a module specifier'],
      ['INVALID_CONFIG', 'fix the config (see "Store selection" in the @gitty/cli README, or `gitty --help`)'],
      ['UNSUPPORTED', 'open the store with a driver that has it (packs for repack/unpack, sqlite for reindex)'],
      ['LOCK_TIMEOUT', 'another gitty process holds the lock: retry, or remove the lock file if that process died'],
      ['REDIS_UNAVAILABLE', 'start Redis, or fix "url" in the config'],
      ['STORAGE_FULL', 'the file system is full: free space and retry; nothing was acknowledged'],
    ];
    for (const [code, hint] of fixed) expect([code, hintOf(gittyError(code, 'm'))]).toEqual([code, hint]);
  });

  it('a driver that is not installed already says what to install: no hint', () => {
    expect(hintOf(gittyError('DRIVER_NOT_FOUND', 'Driver "x" not found: npm install x'))).toBeUndefined();
  });

  it('codes without a fix have no hint', () => {
    expect(hintOf(gittyError('INVALID_ARGUMENT', 'm'))).toBeUndefined();
    expect(hintOf(gittyError('CLOSED', 'm'))).toBeUndefined();
  });

  it('a command hint replaces the code hint, for that error only', () => {
    const err = gittyError('NOT_AT_HEAD', 'm', { fileName: 'r.txt', head: 'h' });
    expect(withHint(err, 'see `gitty log r.txt`')).toBe(err);
    expect(hintOf(err)).toBe('see `gitty log r.txt`');
    expect(hintOf(gittyError('NOT_AT_HEAD', 'm', { fileName: 'r.txt', head: 'h' }))).toBe('someone saved first: fetch `gitty get r.txt`, reapply your change and put with --expect h');
    expect(hintOf(withHint(gittyError('CLOSED', 'm'), ''))).toBe('');
  });
});

describe('reportError', () => {
  function sinks(json: boolean) {
    const out: string[] = [];
    const err: string[] = [];
    const stream = (into: string[]): OutputStream => ({ write: (chunk) => (into.push(String(chunk)), true) });
    return { output: new Output(json, stream(out), stream(err), {}), out, err };
  }

  it('prints one line with the hint and returns the exit status', () => {
    const { output, out, err } = sinks(false);
    expect(reportError(new UsageError('Invalid --depth "0"', 'give a whole number of at least 1'), output, false)).toBe(2);
    expect(err).toEqual(['gitty: Invalid --depth "0" — give a whole number of at least 1\n']);
    expect(out).toEqual([]);
  });

  it('prints the message alone when there is no hint', () => {
    const { output, err } = sinks(false);
    expect(reportError(new Error('plain'), output, false)).toBe(1);
    expect(err).toEqual(['gitty: plain\n']);
  });

  it('adds the stack with --debug, only for Errors', () => {
    const { output, err } = sinks(false);
    const e = new Error('with stack');
    e.stack = 'Error: with stack\n    at here';
    expect(reportError(e, output, true)).toBe(1);
    expect(err).toEqual(['gitty: with stack\n', 'Error: with stack\n    at here\n']);
    const noStack = new Error('no stack');
    noStack.stack = '';
    const second = sinks(false);
    reportError(noStack, second.output, true);
    reportError('text', second.output, true);
    expect(second.err).toEqual(['gitty: no stack\n', 'gitty: text\n']);
  });

  it('with --json also writes the error document on stdout', () => {
    const { output, out, err } = sinks(true);
    expect(reportError(new CliError('NO_STORE', 'No store at /s', 'create one', 1), output, false)).toBe(1);
    expect(err).toEqual(['gitty: No store at /s — create one\n']);
    expect(JSON.parse(out.join(''))).toEqual({ error: { code: 'NO_STORE', message: 'No store at /s', hint: 'create one' } });
    const bare = sinks(true);
    reportError(new Error('plain'), bare.output, false);
    expect(bare.out.join('')).toBe('{\n  "error": {\n    "code": "INTERNAL",\n    "message": "plain"\n  }\n}\n');
  });
});
