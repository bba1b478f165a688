import { describe, expect, it } from 'vitest';
import { MAX_NAME_LENGTH, assertHash, assertName, extensionOf, isGittyError, isHash, objectHeader, sha1Hex } from '@gitty/core';

/** The message of the INVALID_NAME assertName throws, or undefined when it accepts. */
function refusal(name: unknown): string | undefined {
  try {
    assertName(name);
  } catch (err) {
    expect(isGittyError(err) && err.code).toBe('INVALID_NAME');
    return (err as Error).message;
  }
  return undefined;
}

describe('assertName, exactly', () => {
  it('each refusal names its reason', () => {
    expect(refusal(42)).toBe('Invalid file name "42": not a string');
    expect(refusal(undefined)).toBe('Invalid file name "undefined": not a string');
    expect(refusal('')).toBe('Invalid file name "": empty');
    const long = 'x'.repeat(MAX_NAME_LENGTH + 1);
    expect(refusal(long)).toBe(`Invalid file name ${JSON.stringify(long).slice(0, 120)}: longer than 255 characters`);
    expect(refusal('a/b')).toBe('Invalid file name "a/b": contains a control character, "/" or "\\"');
    expect(refusal('.')).toBe('Invalid file name ".": is "." or ".."');
    expect(refusal('..')).toBe('Invalid file name "..": is "." or ".."');
    expect(refusal('a\uD800')).toBe('Invalid file name "a\\ud800": is not well-formed Unicode');
    expect(refusal(' a')).toBe('Invalid file name " a": starts or ends with white space');
    expect(refusal('a\t')).toBe('Invalid file name "a\\t": contains a control character, "/" or "\\"');
  });

  it('the limits: 255 code units, and exactly the C0, DEL and C1 controls plus / and \\', () => {
    expect(MAX_NAME_LENGTH).toBe(255);
    expect(refusal('x'.repeat(255))).toBeUndefined();
    for (const code of [0x00, 0x01, 0x1f, 0x7f, 0x80, 0x9f]) {
      expect(refusal(`a${String.fromCharCode(code)}b`), code.toString(16)).toBe(
        `Invalid file name ${JSON.stringify(`a${String.fromCharCode(code)}b`)}: contains a control character, "/" or "\\"`,
      );
    }
    for (const code of [0x20, 0x21, 0x2e, 0x7e, 0xa0, 0xa1, 0x5b, 0x5d]) expect(refusal(`a${String.fromCharCode(code)}b`), code.toString(16)).toBeUndefined();
    expect(refusal('a\\b')).toBe('Invalid file name "a\\\\b": contains a control character, "/" or "\\"');
    for (const ok of ['...', '.a', 'a.', '.. ', 'a..b']) {
      if (ok.trim() === ok) expect(refusal(ok), ok).toBeUndefined();
    }
    expect(refusal('\u00a0a')).toBe('Invalid file name "\u00a0a": starts or ends with white space');
  });

  it('extensionOf', () => {
    expect(extensionOf('a.b')).toBe('b');
    expect(extensionOf('x.')).toBe('');
    expect(extensionOf('.x')).toBe('');
    expect(extensionOf('a..b')).toBe('b');
    expect(extensionOf('ab')).toBe('');
  });
});

describe('hashes, exactly', () => {
  it('isHash: exactly 40 lower-case hex digits, and only a string', () => {
    const hash = '0123456789abcdef0123456789abcdef01234567';
    expect(isHash(hash)).toBe(true);
    for (const bad of [hash.slice(1), `${hash}8`, hash.toUpperCase(), `x${hash.slice(1)}`, `${hash.slice(1)}x`, ` ${hash}`, `${hash}\n`, `${hash.slice(0, 39)}g`]) {
      expect(isHash(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const bad of [[hash], { toString: () => hash }, null, undefined, 1]) expect(isHash(bad)).toBe(false);
  });

  it('assertHash: the exact refusal', () => {
    expect(() => assertHash('a'.repeat(40))).not.toThrow();
    try {
      assertHash('nope');
      throw new Error('expected INVALID_HASH');
    } catch (err) {
      expect(isGittyError(err) && err.code).toBe('INVALID_HASH');
      expect((err as Error).message).toBe('Invalid object hash "nope": expected 40 lower-case hex digits');
    }
  });

  it('objectHeader and sha1Hex', () => {
    expect(Buffer.from(objectHeader('blob', 12)).toString()).toBe('blob 12\0');
    expect(sha1Hex(new TextEncoder().encode('abc'))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});
