import { describe, expect, it } from 'vitest';
import { CliError } from '../src/errors.js';
import { DEFAULT_SEPARATOR, checkMapping, invalidNamesError, nameOfPath, pathOfName } from '../src/import/names.js';

// `gitty import`'s path → name mapping: reversible, or refused with the exact reason.
const colon = { separator: ':', prefix: '' };

describe('nameOfPath and pathOfName', () => {
  it('joins segments with the separator after the prefix, and maps back', () => {
    expect(DEFAULT_SEPARATOR).toBe(':');
    expect(nameOfPath('docs/intro.md', colon)).toEqual({ name: 'docs:intro.md' });
    expect(nameOfPath('a.txt', colon)).toEqual({ name: 'a.txt' });
    expect(nameOfPath('a/b/c', { separator: '--', prefix: 'notes:' })).toEqual({ name: 'notes:a--b--c' });
    expect(pathOfName('notes:a--b--c', { separator: '--', prefix: 'notes:' })).toBe('a/b/c');
    expect(pathOfName('docs:intro.md', colon)).toBe('docs/intro.md');
    expect(pathOfName('plain', colon)).toBe('plain');
    expect(pathOfName('other:x', { separator: ':', prefix: 'notes:' })).toBeUndefined();
    expect(pathOfName('notes:x', { separator: ':', prefix: 'notes:' })).toBe('x');
  });

  it('refuses a path whose segments hold the separator', () => {
    const refused = { refused: 'a folder or file name holds the separator ":", so the name could not be mapped back' };
    expect(nameOfPath('a:b', colon)).toEqual(refused);
    expect(nameOfPath('dir/a:b', colon)).toEqual(refused);
    expect(nameOfPath('x:/y', colon)).toEqual(refused);
    // Same number of segments, but split differently: "a--" + "-b" vs "a" + "---b".
    expect(nameOfPath('a-/b', { separator: '--', prefix: '' })).toEqual({ refused: 'a folder or file name holds the separator "--", so the name could not be mapped back' });
    expect(nameOfPath('a/-b', { separator: '--', prefix: '' })).toEqual({ name: 'a---b' });
    // Only some segments differ when split back: "x" stays, "a-" and "b" do not.
    expect(nameOfPath('x/a-/b', { separator: '--', prefix: '' })).toEqual({ refused: 'a folder or file name holds the separator "--", so the name could not be mapped back' });
  });

  it('refuses a name the core refuses, with the core\'s reason alone', () => {
    expect(nameOfPath(' lead', colon)).toEqual({ refused: 'starts or ends with white space' });
    expect(nameOfPath('dir/bell\u0007', colon)).toEqual({ refused: 'contains a control character, "/" or "\\"' });
    expect(nameOfPath('x'.repeat(256), colon)).toEqual({ refused: 'longer than 255 characters' });
    expect(nameOfPath('', colon)).toEqual({ refused: 'empty' });
    expect(nameOfPath('a\\b', colon)).toEqual({ refused: 'contains a control character, "/" or "\\"' });
  });

  it('keeps the reason whole when the name itself holds ": "', () => {
    expect(nameOfPath(' note: draft', { separator: '~', prefix: '' })).toEqual({ refused: 'starts or ends with white space' });
    expect(nameOfPath('a/b ', { separator: '~', prefix: 'x: "q": ' })).toEqual({ refused: 'starts or ends with white space' });
    expect(nameOfPath(`${'y: '.repeat(90)}z`, { separator: '~', prefix: '' })).toEqual({ refused: 'longer than 255 characters' });
  });
});

describe('checkMapping', () => {
  it('accepts ordinary separators and prefixes', () => {
    expect(checkMapping(colon)).toBeUndefined();
    expect(checkMapping({ separator: '--', prefix: 'notes: ' })).toBeUndefined();
    expect(checkMapping({ separator: '\u00a0', prefix: '\u00ff' })).toBeUndefined();
  });

  it('refuses an empty separator', () => {
    expect(checkMapping({ separator: '', prefix: '' })).toBe('--separator must not be empty');
    expect(checkMapping({ separator: '', prefix: '/' })).toBe('--separator must not be empty');
  });

  it('refuses "/", "\\" and control characters in either part', () => {
    const message = '--separator and --prefix must not hold "/", "\\" or control characters';
    for (const [separator, prefix] of [['/', ''], ['\\', ''], ['\u0000', ''], ['\u001f', ''], ['\u007f', ''], ['\u009f', ''], [':', 'a/'], [':', '\\'], [':', '\n'], [':', '\u0085']]) {
      expect([separator, prefix, checkMapping({ separator: separator!, prefix: prefix! })]).toEqual([separator, prefix, message]);
    }
  });
});

describe('invalidNamesError', () => {
  const hint = 'choose another --separator, or pass --skip-invalid to import everything else; nothing was imported';

  it('lists each refused path with its reason', () => {
    const err = invalidNamesError([{ path: 'a:b', reason: 'r1' }, { path: ' x"', reason: 'r2' }], colon);
    expect(err).toBeInstanceOf(CliError);
    expect([err.code, err.message, err.hint, err.exitCode]).toEqual(['INVALID_NAME', '2 path(s) cannot become gitty names with separator ":": "a:b" (r1); " x\\"" (r2)', hint, 1]);
  });

  it('lists 20 and counts the rest', () => {
    const refused = Array.from({ length: 23 }, (_, i) => ({ path: `p${i}`, reason: 'r' }));
    const listed = refused.slice(0, 20).map((r) => `"${r.path}" (r)`).join('; ');
    expect(invalidNamesError(refused, { separator: '~', prefix: '' }).message).toBe(`23 path(s) cannot become gitty names with separator "~": ${listed}, and 3 more`);
    expect(invalidNamesError(refused.slice(0, 20), colon).message).toBe(`20 path(s) cannot become gitty names with separator ":": ${listed}`);
    expect(invalidNamesError(refused.slice(0, 21), colon).message).toBe(`21 path(s) cannot become gitty names with separator ":": ${listed}, and 1 more`);
  });
});
