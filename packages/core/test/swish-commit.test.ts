import { describe, expect, it } from 'vitest';
import {
  PrologSyntaxError, decodeCommit, encodeCommit, isGittyError, jsonToTerm, readClause, termToJson, writeAtom, writeFloat,
  type JsonValue, type Term,
} from '../src/index.js';

const HASH = '4aea38bf4fb9a2c05be3c612c52d6a63a6e0f225';
const OTHER = '72f00a6e99c416a4ae69b47c7001ab2073634d70';
const bytes = (text: string) => new TextEncoder().encode(text);
const json = (text: string): JsonValue => termToJson(readClause(`${text}.`));

describe('Prolog term reader (the ~q subset SWISH writes)', () => {
  it('reads quoted atoms and strings with every escape SWISH uses', () => {
    expect(json("'don\\'t'")).toBe("don't");
    expect(json("''''")).toBe("'");
    expect(json("'\\x41\\\\101\\'")).toBe('AA');
    expect(json('"a\\"b\\\\c\\n\\t\\u00e9\\U0001D11E"')).toBe('a"b\\c\n\té𝄞');
    expect(json('"line\\\ncontinued"')).toBe('linecontinued');
    expect(json("'Ωmega 5 — «quoted» \\'x\\'.swinb'")).toBe("Ωmega 5 — «quoted» 'x'.swinb");
    expect(json('ÿ')).toBe('ÿ');
    expect(json("'[]'")).toBe('[]');
  });

  it('reads integers of any size, radix and character codes, floats, Inf and NaN, negative numbers', () => {
    expect(json('12345678901234567890123')).toBe(12345678901234567890123n);
    expect(json('-9007199254740993')).toBe(-9007199254740993n);
    expect(json('9007199254740991')).toBe(9007199254740991);
    expect(json('0x1F')).toBe(31);
    expect(json("0'a")).toBe(97);
    expect(json('1_000_000')).toBe(1_000_000);
    expect(json('1.0e+20')).toBe(1e20);
    expect(json('-3.25')).toBe(-3.25);
    expect(json('5.0e-324')).toBe(5e-324);
    expect(json('1.0Inf')).toBe(Infinity);
    expect(json('-1.0Inf')).toBe(-Infinity);
    expect(json('1.5NaN')).toBeNaN();
    expect(Object.is(json('-0.0'), -0)).toBe(true);
  });

  it('reads lists, dicts with any tag, nested, and skips comments', () => {
    expect(json('[a,"b",[],1]')).toEqual(['a', 'b', [], 1]);
    expect(json("gitty{a:_123{b:[true,false,null]},'k y': -1,c:'__proto__'} /* note */")).toEqual({ a: { b: [true, false, null] }, 'k y': -1, c: '__proto__' });
    const dict = json("_{'__proto__':1}") as Record<string, unknown>;
    expect(Object.keys(dict)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(dict)).toBe(Object.prototype);
    const term = readClause('head(/* c */ \'x.pl\',-,\'4aea38bf4fb9a2c05be3c612c52d6a63a6e0f225\').');
    expect(term).toMatchObject({ kind: 'compound', name: 'head', args: [{ kind: 'atom', name: 'x.pl' }, { kind: 'atom', name: '-' }, { kind: 'atom' }] });
  });

  it('maps what json_write_dict cannot write to an error: compounds, partial lists, variables', () => {
    expect(() => json('f(x)')).toThrow(/compound/);
    expect(() => json('[a|T]')).toThrow(/partial list/);
    expect(() => json('X')).toThrow(/variable/);
  });

  it('refuses malformed text with a syntax error and where it stopped', () => {
    for (const bad of ['"unterminated', "gitty{a:1", 'gitty{a:1,a:2}.', "'\\q'.", 'a b.', 'a', "'line\nbreak'."]) {
      expect(() => readClause(bad), bad).toThrow(PrologSyntaxError);
    }
  });
});

describe('SWISH commits', () => {
  it('decode by their bytes; a stored commit key never overrides the real hash', () => {
    const body = `gitty{commit:'${OTHER}',data:'${HASH}',name:'a.pl',previous:'${OTHER}',time:1796130729.25,big:12345678901234567890,tags:[x,"y"]}.\n`;
    const commit = decodeCommit(bytes(body), HASH);
    expect(commit).toStrictEqual({ commit: HASH, data: HASH, name: 'a.pl', previous: OTHER, time: 1796130729.25, big: 12345678901234567890n, tags: ['x', 'y'] });
  });

  it('that do not parse, lack name/data/time, or hold a compound are CORRUPT_OBJECT naming where', () => {
    for (const body of ["gitty{name:'a.pl',", `gitty{data:'${HASH}',time:1.0}.`, `gitty{name:'a.pl',data:'${HASH}',time:1.0,x:f(y)}.`, `gitty{name:'a.pl',data:nohash,time:1.0}.`]) {
      let caught: unknown;
      try {
        decodeCommit(bytes(body), HASH, '/store/4a/ea/file');
      } catch (err) {
        caught = err;
      }
      expect(isGittyError(caught) && caught.code, body).toBe('CORRUPT_OBJECT');
      expect(String((caught as Error).message)).toContain('/store/4a/ea/file');
    }
  });

  it('encode so that they decode to the same metadata: atoms for hashes and name, strings for text, floats for time', () => {
    const meta = {
      name: "it's.pl", data: HASH, previous: OTHER, time: 1700000000, author: 'Bob "B" \\ O\'Neil\n', public: true, gone: null,
      score: -3.25, negZero: -0, tiny: 5e-324, huge: 1e21, whole: 1e20, safe: Number.MAX_SAFE_INTEGER, big: -(2n ** 80n),
      tags: ['a', ''], nested: { 'a key': [1, { '': 'x' }], '__proto__': 'kept' }, '': 'empty key', 'Upper': '☃ 𝄞',
    };
    Object.defineProperty(meta.nested, '__proto__', { value: 'kept', enumerable: true });
    const body = new TextDecoder().decode(encodeCommit(meta, 'swish'));
    expect(body).toMatch(/^gitty\{.*\}\.\n$/s);
    expect(body).toContain(`data:'${HASH}'`);
    expect(body).toContain("name:'it\\'s.pl'");
    expect(body).toContain('time:1700000000.0');
    expect(body).toContain('score: -3.25'); // never "score:-3.25", which Prolog reads as the operator :-
    const back = decodeCommit(encodeCommit(meta, 'swish'), HASH);
    const { commit: _c, ...rest } = back;
    expect(rest).toStrictEqual({ ...meta, nested: { 'a key': [1, { '': 'x' }], ...Object.fromEntries([['__proto__', 'kept']]) } });
    expect(Object.is(back.negZero, -0)).toBe(true);
  });

  it('refuse text that UTF-8 cannot hold', () => {
    expect(() => encodeCommit({ name: 'a', data: HASH, time: 1, x: 'half \ud800' }, 'swish')).toThrow(/surrogate/);
  });

  it('write atoms and floats the way Prolog reads them back', () => {
    expect(writeAtom('abc_1')).toBe('abc_1');
    expect(writeAtom('Abc')).toBe("'Abc'");
    expect(writeAtom('4aea')).toBe("'4aea'");
    expect(writeAtom('[]')).toBe("'[]'");
    expect(writeFloat(1e21)).toBe('1.0e21');
    expect(writeFloat(1.5e-7)).toBe('1.5e-7');
    expect(writeFloat(3)).toBe('3.0');
    for (const value of [0.1, -2.5, 1e300, 5e-324, 123456789.125]) {
      expect(termToJson(readClause(`${writeFloat(value)}.`) as Term)).toBe(value);
    }
    expect(jsonToTerm([1, 'a', true, null])).toBe('[1,"a",true,null]');
  });
});
