import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertName, extensionOf, isGittyError, MAX_NAME_LENGTH } from '@gitty/core';

function rejects(name: unknown): boolean {
  try {
    assertName(name);
    return false;
  } catch (err) {
    expect(isGittyError(err) && err.code).toBe('INVALID_NAME');
    return true;
  }
}

const control = fc.oneof(fc.integer({ min: 0, max: 0x1f }), fc.integer({ min: 0x7f, max: 0x9f })).map((c) => String.fromCharCode(c));
const safe = fc.string({ minLength: 1, maxLength: 40, unit: fc.constantFrom(...'abcXYZ019 .-_ü€🦉') })
  .filter((s) => s.trim() === s && s !== '.' && s !== '..');

describe('names', () => {
  it('accepts ordinary names up to the length limit', () => {
    fc.assert(fc.property(safe, (name) => {
      expect(rejects(name)).toBe(false);
    }));
    expect(rejects('x'.repeat(MAX_NAME_LENGTH))).toBe(false);
  });

  it('rejects any name containing a control character, "/" or "\\"', () => {
    fc.assert(
      fc.property(safe, fc.oneof(control, fc.constantFrom('/', '\\')), fc.nat(), (name, bad, at) => {
        const i = at % (name.length + 1);
        expect(rejects(name.slice(0, i) + bad + name.slice(i))).toBe(true);
      }),
    );
  });

  it('rejects empty, ".", "..", too long, padded, ill-formed and non-string names', () => {
    for (const bad of ['', '.', '..', 'x'.repeat(MAX_NAME_LENGTH + 1), ' a', 'a ', '\uD800x', 'x\uDC00', 42, null, undefined, {}]) {
      expect(rejects(bad)).toBe(true);
    }
    expect(rejects('../etc')).toBe(true);
  });

  it('takes the extension after the last dot, none for dot-files', () => {
    expect(extensionOf('a.pl')).toBe('pl');
    expect(extensionOf('a.b.swinb')).toBe('swinb');
    expect(extensionOf('.pl')).toBe('');
    expect(extensionOf('noext')).toBe('');
    expect(extensionOf('trailing.')).toBe('');
  });
});
