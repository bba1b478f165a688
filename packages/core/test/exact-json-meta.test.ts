import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, assertMetaTypes, commitDisplay, metaText, parseExactJson, stringifyExactJson, type Commit } from '@gitty/core';

const BIG = 12345678901234567890n;

describe('exact JSON: integers beyond 2^53 keep every digit', () => {
  it('stringify writes bigints as plain numbers, in objects, arrays and with indentation, and leaves the rest to JSON.stringify', () => {
    expect(stringifyExactJson({ a: BIG, b: [-BIG, 1], c: 'x' })).toBe('{"a":12345678901234567890,"b":[-12345678901234567890,1],"c":"x"}');
    expect(stringifyExactJson({ a: BIG }, 2)).toBe('{\n  "a": 12345678901234567890\n}');
    expect(stringifyExactJson(BIG)).toBe('12345678901234567890');
    expect(stringifyExactJson({ plain: 1, s: 'a\u0000bigint-x:1' })).toBe(JSON.stringify({ plain: 1, s: 'a\u0000bigint-x:1' }));
    expect(stringifyExactJson(undefined)).toBeUndefined();
    // A string that looks like the marker of another call is not turned into a number.
    const text = stringifyExactJson({ n: 5n, s: '\u0000bigint-000000000000:7' });
    expect(JSON.parse(text)).toEqual({ n: 5, s: '\u0000bigint-000000000000:7' });
  });

  it('parse keeps long integers exact as bigints, safe ones as numbers, and round-trips stringify', () => {
    expect(parseExactJson('{"a": 12345678901234567890, "b": [ -12345678901234567890 , 9007199254740991 ], "c": 1.5e3, "d": "x\\"y", "e": true, "f": false, "g": null, "h": {}, "i": []}'))
      .toEqual({ a: BIG, b: [-BIG, 9007199254740991], c: 1500, d: 'x"y', e: true, f: false, g: null, h: {}, i: [] });
    const value = { big: BIG, list: [BIG, -1n * BIG, 3], nested: { deep: [{ n: 18446744073709551616n }] } };
    expect(parseExactJson(stringifyExactJson(value))).toEqual({ big: BIG, list: [BIG, -BIG, 3], nested: { deep: [{ n: 18446744073709551616n }] } });
    // Without a 16-digit run, JSON.parse itself answers (and its errors).
    expect(parseExactJson('{"a":1}')).toEqual({ a: 1 });
    expect(() => parseExactJson('{"a":}')).toThrow(SyntaxError);
    // Whitespace of every kind between tokens.
    expect(parseExactJson('\t{\r\n"k"\t:\n1234567890123456789\r}\n ')).toEqual({ k: 1234567890123456789n });
  });

  it('parse keeps "__proto__" an own key and refuses malformed text naming the position', () => {
    const parsed = parseExactJson('{"__proto__": 12345678901234567890}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(parsed.__proto__).toBe(BIG);
    const bad: Array<[string, string]> = [
      ['{12345678901234567890: 1}', 'expected a key at position 1 of JSON'],
      ['{"a" 12345678901234567890}', 'expected ":" at position 6 of JSON'],
      ['{"a": 12345678901234567890 "b"}', 'expected "," or "}" at position 28 of JSON'],
      ['[12345678901234567890 1]', 'expected "," or "]" at position 23 of JSON'],
      ['[12345678901234567890, @]', 'unexpected text at position 23 of JSON'],
      ['12345678901234567890 x', 'unexpected text after the value at position 21 of JSON'],
    ];
    for (const [text, message] of bad) expect(() => parseExactJson(text), text).toThrow(new SyntaxError(message));
  });
});

describe('metadata types', () => {
  it('accepts the documented keys with their types, any JSON in other keys, and undefined values', () => {
    expect(() => assertMetaTypes({})).not.toThrow();
    expect(() => assertMetaTypes({ tags: [], author: 'a', commit_message: 'm', time: 1.5, other: { any: [1, null] } })).not.toThrow();
    expect(() => assertMetaTypes({ tags: undefined, author: undefined, commit_message: undefined, time: undefined })).not.toThrow();
  });

  it('refuses each wrongly typed key with INVALID_ARGUMENT naming it and what it got', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'metadata must be a JSON object'],
      [[], 'metadata must be a JSON object'],
      ['x', 'metadata must be a JSON object'],
      [{ tags: 'a' }, 'metadata "tags" must be an array of strings, not a string'],
      [{ tags: ['a', 1] }, 'metadata "tags" must be an array of strings, not an array with other than strings'],
      [{ tags: null }, 'metadata "tags" must be an array of strings, not null'],
      [{ author: 5 }, 'metadata "author" must be a string, not a number'],
      [{ commit_message: false }, 'metadata "commit_message" must be a string, not a boolean'],
      [{ time: '1' }, 'metadata "time" must be a finite number of seconds, not a string'],
      [{ time: Number.POSITIVE_INFINITY }, 'metadata "time" must be a finite number of seconds, not a number'],
      [{ time: Number.NaN }, 'metadata "time" must be a finite number of seconds, not a number'],
    ];
    for (const [meta, message] of cases) {
      let caught: unknown;
      try {
        assertMetaTypes(meta);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(meta) ?? String(meta)).toBeInstanceOf(InvalidArgumentError);
      expect((caught as InvalidArgumentError).code).toBe('INVALID_ARGUMENT');
      expect((caught as Error).message).toBe(message);
    }
  });

  it('an inherited key is not the caller\'s: only own keys are checked', () => {
    const meta = Object.create({ tags: 'inherited' }) as Record<string, unknown>;
    expect(() => assertMetaTypes(meta)).not.toThrow();
  });

  it('shows any stored JSON in the documented keys as text, never crashing', () => {
    expect(metaText(undefined)).toBe('');
    expect(metaText(null)).toBe('');
    expect(metaText('as is')).toBe('as is');
    expect(metaText(1)).toBe('1');
    expect(metaText({ a: [1, 'b'] })).toBe('{"a":[1,"b"]}');
    expect(metaText(BIG as unknown as number)).toBe('"12345678901234567890"');
    const base = { commit: 'c'.repeat(40), name: 'a.pl', data: 'd'.repeat(40) } as unknown as Commit;
    expect(commitDisplay({ ...base, time: 5, author: 'x', commit_message: 1, tags: ['t', 2] } as unknown as Commit))
      .toEqual({ author: 'x', message: '1', tags: ['t', '2'], time: 5 });
    expect(commitDisplay({ ...base, tags: 'lone' } as unknown as Commit)).toEqual({ author: '', message: '', tags: ['lone'], time: 0 });
    expect(commitDisplay({ ...base, tags: null, time: '3' } as unknown as Commit)).toEqual({ author: '', message: '', tags: [], time: 0 });
  });
});
