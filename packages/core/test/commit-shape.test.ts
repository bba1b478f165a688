import { describe, expect, it } from 'vitest';
import { carryOverMeta, decodeCommit, isGittyError, type Commit } from '@gitty/core';

const HASH = 'c'.repeat(40);
const DATA = 'd'.repeat(40);
const PREV = 'e'.repeat(40);
const enc = (s: string) => new TextEncoder().encode(s);

/** The reason decodeCommit gives for `body`, after checking it is CORRUPT_OBJECT naming where. */
function refusal(body: Uint8Array): string {
  try {
    decodeCommit(body, HASH, '/store/cc/file');
  } catch (err) {
    expect(isGittyError(err) && err.code).toBe('CORRUPT_OBJECT');
    const message = (err as Error).message;
    expect(message).toContain(HASH);
    expect(message).toContain('/store/cc/file');
    return message;
  }
  throw new Error(`decodeCommit accepted ${new TextDecoder().decode(body)}`);
}

describe('decodeCommit: bytes that parse as JSON but are not a commit', () => {
  it('refuses JSON that is not an object', () => {
    for (const body of ['null', '"a commit"', '42', 'true', '[]', `[{"name":"a","data":"${DATA}","time":1}]`]) {
      expect(refusal(enc(body)), body).toContain('not a JSON object');
    }
  });

  it('refuses a missing or empty name', () => {
    for (const body of [`{"data":"${DATA}","time":1}`, `{"name":"","data":"${DATA}","time":1}`, `{"name":null,"data":"${DATA}","time":1}`]) {
      expect(refusal(enc(body)), body).toContain('lacks a name');
    }
  });

  it('refuses a missing or non-numeric time', () => {
    for (const body of [`{"name":"a","data":"${DATA}"}`, `{"name":"a","data":"${DATA}","time":"1"}`, `{"name":"a","data":"${DATA}","time":null}`]) {
      expect(refusal(enc(body)), body).toContain('lacks a numeric time');
    }
  });

  it('refuses a missing data or one that is not a hash', () => {
    for (const data of [undefined, '', 'x', DATA.toUpperCase(), DATA.slice(1), 42]) {
      const body = JSON.stringify({ name: 'a', time: 1, ...(data === undefined ? {} : { data }) });
      expect(refusal(enc(body)), body).toContain('"data" is not an object hash');
    }
  });

  it('refuses a previous that is present but not a hash (it would be looked up as a file name)', () => {
    for (const previous of ['a.pl', null, '', PREV.toUpperCase(), 7]) {
      const body = JSON.stringify({ name: 'a', data: DATA, time: 1, previous });
      expect(refusal(enc(body)), body).toContain('"previous" is not an object hash');
    }
  });

  it('refuses bytes that are not UTF-8, even where a lenient decoder would make them parse', () => {
    // "name":"a\xff" would decode to "a\uFFFD" without fatal decoding.
    const body = concat(enc(`{"data":"${DATA}","name":"a`), new Uint8Array([0xff]), enc('","time":1}'));
    expect(refusal(body)).toContain('not valid UTF-8 JSON');
    expect(refusal(new Uint8Array([0xef, 0xbb]))).toContain('not valid UTF-8 JSON');
    // The decoder's own error is kept as the cause; without `where` the message says "in commit".
    let caught: unknown;
    try {
      decodeCommit(body, HASH);
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).toBe(`Corrupt object ${HASH} in commit: commit is not valid UTF-8 JSON`);
    expect((caught as Error).cause).toBeInstanceOf(TypeError);
  });

  it('accepts a well-formed commit with any other metadata, adding its own hash', () => {
    const commit = decodeCommit(enc(`{"commit_message":1,"data":"${DATA}","name":"a","previous":"${PREV}","time":0}\n`), HASH);
    expect(commit).toEqual({ commit: HASH, name: 'a', data: DATA, previous: PREV, time: 0, commit_message: 1 });
    expect(decodeCommit(enc(`{"data":"${DATA}","name":"a","time":1.5}`), HASH)).toEqual({ commit: HASH, name: 'a', data: DATA, time: 1.5 });
  });
});

describe('carryOverMeta', () => {
  it('carries the previous version\'s own metadata, not reserved or identity keys; given keys win', () => {
    const previous: Commit = {
      commit: HASH, name: 'a', data: DATA, time: 1, previous: PREV,
      author: 'alice', commit_message: 'old', tags: ['x'], topic: 'kept', gone: 'old',
    };
    const meta = carryOverMeta(previous, { gone: 'new', time: 5, name: 'b', extra: true, skipped: undefined } as never);
    expect(meta).toEqual({ tags: ['x'], topic: 'kept', gone: 'new', extra: true });
    expect(carryOverMeta(undefined, { a: 1, data: 'x' })).toEqual({ a: 1 });
    // A given key left undefined does not wipe the carried-over value.
    expect(carryOverMeta(previous, { topic: undefined } as never)).toMatchObject({ topic: 'kept' });
  });

  it('returns an ordinary object the caller may change', () => {
    const meta = carryOverMeta(undefined, { a: 1, b: 'x' });
    meta.a = 2;
    delete meta.b;
    expect(meta).toEqual({ a: 2 });
  });

  it('keeps a "__proto__" key as data instead of replacing the prototype', () => {
    const given = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, never>;
    const meta = carryOverMeta(undefined, given);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(Object.keys(meta).sort()).toEqual(['__proto__', 'a']);
    expect((meta as { polluted?: boolean }).polluted).toBeUndefined();
  });
});

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
