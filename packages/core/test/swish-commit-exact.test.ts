import { describe, expect, it } from 'vitest';
import {
  PrologSyntaxError, decodeSwishCommit, encodeSwishCommit, isSwishCommit, jsonToTerm, readClause, termToJson, type JsonValue, type Term,
} from '../src/index.js';

const HASH = '4aea38bf4fb9a2c05be3c612c52d6a63a6e0f225';
const LETTER_HASH = 'aaea38bf4fb9a2c05be3c612c52d6a63a6e0f225';
const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);
const term = (source: string): Term => readClause(`${source}.`);

/** The error a call throws, so code, message and cause can be asserted exactly. */
function thrown(fn: () => unknown): Error & { code?: string } {
  try {
    fn();
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a throw');
}

describe('isSwishCommit', () => {
  it('is true exactly when the bytes start with "gitty{"', () => {
    expect(isSwishCommit(bytes('gitty{'))).toBe(true);
    expect(isSwishCommit(bytes('gitty{a:1}.'))).toBe(true);
    expect(isSwishCommit(bytes('gitty'))).toBe(false);
    expect(isSwishCommit(new Uint8Array(0))).toBe(false);
    expect(isSwishCommit(bytes('gittY{a:1}.'))).toBe(false);
    expect(isSwishCommit(bytes('xitty{a:1}.'))).toBe(false);
    expect(isSwishCommit(bytes('{"name":"a"}'))).toBe(false);
  });
});

describe('termToJson', () => {
  it('maps the atoms true, false, null to JSON literals and every other atom to its name', () => {
    expect(termToJson(term('true'))).toBe(true);
    expect(termToJson(term('false'))).toBe(false);
    expect(termToJson(term('null'))).toBe(null);
    expect(termToJson(term('nil'))).toBe('nil');
    expect(termToJson(term("'True'"))).toBe('True');
  });

  it('keeps safe integers as numbers and larger ones as exact bigints', () => {
    expect(termToJson(term('42'))).toBe(42);
    expect(termToJson(term('-9007199254740991'))).toBe(-9007199254740991);
    expect(termToJson(term('9007199254740992'))).toBe(9007199254740992n);
    expect(termToJson(term('1152921504606846976'))).toBe(2n ** 60n);
  });

  it('names what has no JSON form', () => {
    expect(thrown(() => termToJson(term('f(x,y)'))).message).toBe('the compound term f/2');
    expect(thrown(() => termToJson(term('[a|T]'))).message).toBe('a partial list');
    expect(thrown(() => termToJson(term('X'))).message).toBe('a variable');
  });

  it('builds dict objects whose keys are ordinary own properties, "__proto__" included', () => {
    const object = termToJson(term("_{'__proto__':1,b:[x]}")) as Record<string, JsonValue>;
    expect(Object.getOwnPropertyDescriptor(object, '__proto__')).toEqual({ value: 1, enumerable: true, writable: true, configurable: true });
    expect(Object.getOwnPropertyDescriptor(object, 'b')).toEqual({ value: ['x'], enumerable: true, writable: true, configurable: true });
    expect(Object.keys(object)).toEqual(['__proto__', 'b']);
  });
});

describe('decodeSwishCommit', () => {
  const good = `gitty{data:'${HASH}',name:'a.pl',time:1.5}.`;

  it('sets commit to the hash as an ordinary property', () => {
    const commit = decodeSwishCommit(bytes(good), LETTER_HASH);
    expect(commit).toStrictEqual({ data: HASH, name: 'a.pl', time: 1.5, commit: LETTER_HASH });
    expect(Object.getOwnPropertyDescriptor(commit, 'commit')).toEqual({ value: LETTER_HASH, enumerable: true, writable: true, configurable: true });
  });

  it('refuses invalid UTF-8 with CORRUPT_OBJECT in "commit" by default, the decoder error as cause', () => {
    const data = new Uint8Array([...bytes("gitty{name:'"), 0xff, ...bytes("'}.")]);
    const err = thrown(() => decodeSwishCommit(data, HASH));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toBe(`Corrupt object ${HASH} in commit: commit is not valid UTF-8`);
    expect(err.cause).toBeInstanceOf(TypeError);
  });

  it('refuses unreadable text naming the syntax error', () => {
    const err = thrown(() => decodeSwishCommit(bytes("gitty{name:'a.pl'"), HASH, '/x'));
    expect(err.code).toBe('CORRUPT_OBJECT');
    const cause = err.cause as Error;
    expect(cause).toBeInstanceOf(PrologSyntaxError);
    expect(err.message).toBe(`Corrupt object ${HASH} in /x: commit is not a readable Prolog dict (${cause.message})`);
  });

  it('refuses a term that is not a dict', () => {
    const err = thrown(() => decodeSwishCommit(bytes('gitty(a).'), HASH, '/y'));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toBe(`Corrupt object ${HASH} in /y: commit is not a Prolog dict`);
  });

  it('refuses values without a JSON form, naming them, the NotJsonError as cause', () => {
    const err = thrown(() => decodeSwishCommit(bytes(`gitty{data:'${HASH}',name:'a.pl',time:1.5,x:f(y)}.`), HASH, '/z'));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toBe(`Corrupt object ${HASH} in /z: commit holds the compound term f/1, which has no JSON form`);
    expect((err.cause as Error).message).toBe('the compound term f/1');
  });

  it('applies the commit shape checks with the given where', () => {
    const err = thrown(() => decodeSwishCommit(bytes(`gitty{data:'${HASH}',time:1.5}.`), HASH, '/w'));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toContain(`Corrupt object ${HASH} in /w: `);
  });
});

describe('jsonToTerm', () => {
  it('writes every JSON value as SWISH holds it', () => {
    expect(jsonToTerm(null)).toBe('null');
    expect(jsonToTerm(true)).toBe('true');
    expect(jsonToTerm(false)).toBe('false');
    expect(jsonToTerm(2n ** 60n)).toBe('1152921504606846976');
    expect(jsonToTerm(-7)).toBe('-7');
    expect(jsonToTerm(0)).toBe('0');
    expect(jsonToTerm(-0)).toBe('-0.0');
    expect(jsonToTerm(2.5)).toBe('2.5');
    expect(jsonToTerm(9007199254740992)).toBe('9007199254740992.0');
    expect(jsonToTerm('a b')).toBe('"a b"');
    expect(jsonToTerm('abc', true)).toBe('abc');
    expect(jsonToTerm('Abc', true)).toBe("'Abc'");
    expect(jsonToTerm([])).toBe('[]');
    expect(jsonToTerm(['x', 1])).toBe('["x",1]');
    expect(jsonToTerm({})).toBe('_{}');
    expect(jsonToTerm({ b: 1, a: 'x', skip: undefined } as unknown as JsonValue)).toBe('_{a:"x",b:1}');
    expect(jsonToTerm({ k: -1, j: -0.5 })).toBe('_{j: -0.5,k: -1}');
    // Below the commit level, name/data/previous are plain strings and a whole time stays an integer.
    expect(jsonToTerm({ name: 'n', data: 'd', previous: 'p', time: 5 })).toBe('_{data:"d",name:"n",previous:"p",time:5}');
  });

  it('refuses what is not JSON and text UTF-8 cannot store', () => {
    const fn = thrown(() => jsonToTerm((() => 1) as unknown as JsonValue));
    expect(fn.code).toBe('INVALID_ARGUMENT');
    expect(fn.message).toBe('metadata value of type function is not JSON');
    const undef = thrown(() => jsonToTerm([undefined] as unknown as JsonValue));
    expect(undef.message).toBe('metadata value of type undefined is not JSON');
    const surrogate = 'metadata text holds an unpaired surrogate, which UTF-8 cannot store';
    const value = thrown(() => jsonToTerm('a\udc00'));
    expect(value.code).toBe('INVALID_ARGUMENT');
    expect(value.message).toBe(surrogate);
    const key = thrown(() => jsonToTerm({ 'k\ud800': 1 }));
    expect(key.code).toBe('INVALID_ARGUMENT');
    expect(key.message).toBe(surrogate);
  });
});

describe('encodeSwishCommit', () => {
  it('writes the exact bytes: keys sorted, name/data/previous atoms, a whole time as a float, commit dropped', () => {
    const body = encodeSwishCommit({
      time: 1700000000, previous: LETTER_HASH, name: 'a.pl', data: HASH, commit: 'ignored', author: 'Bob', n: -2, gone: undefined as unknown as JsonValue,
    });
    expect(text(body)).toBe(`gitty{author:"Bob",data:'${HASH}',n: -2,name:'a.pl',previous:${LETTER_HASH},time:1700000000.0}.\n`);
  });

  it('keeps a fractional time and leaves out absent data and previous', () => {
    expect(text(encodeSwishCommit({ name: 'b', time: 1.25 }))).toBe('gitty{name:b,time:1.25}.\n');
    expect(text(encodeSwishCommit({ name: 'b', time: 'now' }))).toBe('gitty{name:b,time:"now"}.\n');
  });

  it('refuses data or previous that are not hashes', () => {
    for (const [meta, message] of [
      [{ name: 'a', data: 'nohash', time: 1 }, 'commit data must be a hash'],
      [{ name: 'a', data: HASH, previous: 'nohash', time: 1 }, 'commit previous must be a hash'],
      [{ name: 'a', data: 7, time: 1 }, 'commit data must be a hash'],
      [{ name: 'a', data: HASH, previous: null, time: 1 }, 'commit previous must be a hash'],
    ] as const) {
      const err = thrown(() => encodeSwishCommit(meta as never));
      expect(err.code).toBe('INVALID_ARGUMENT');
      expect(err.message).toBe(message);
    }
  });
});
