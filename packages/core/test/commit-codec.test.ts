import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson, carryOverMeta, decodeCommit, encodeCommit, hashObject, IDENTITY_KEYS, isGittyError, RESERVED_KEYS,
  type JsonValue, type Meta,
} from '@gitty/core';

// Doubles without -0 (JSON has no negative zero) and without NaN/Infinity (rejected, tested below).
const json: fc.Arbitrary<JsonValue> = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as JsonValue);
const userMeta: fc.Arbitrary<Meta> = fc.dictionary(fc.string({ maxLength: 12 }), json, { maxKeys: 8 })
  .map((m) => JSON.parse(JSON.stringify(m)) as Meta);
const hash = fc.stringMatching(/^[0-9a-f]{40}$/);
const stored: fc.Arbitrary<Meta> = fc.record({
  user: userMeta, name: fc.string({ minLength: 1, maxLength: 20 }), data: hash, time: fc.double({ min: 0, max: 4e9, noNaN: true }),
}).map(({ user, name, data, time }) => ({ ...user, name, data, time }));

function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

describe('commit codec', () => {
  it('round-trips: decode(encode(meta)) holds the same metadata plus its own hash', () => {
    fc.assert(
      fc.property(stored, (meta) => {
        const body = encodeCommit(meta);
        const h = hashObject('commit', body);
        const commit = decodeCommit(body, h);
        expect(commit.commit).toBe(h);
        const { commit: _own, ...rest } = commit;
        expect(canonicalJson(rest as Meta)).toBe(canonicalJson(meta));
        // Re-encoding the decoded commit gives the same bytes: the encoding is a fixed point.
        expect(text(encodeCommit(commit as unknown as Meta))).toBe(text(body));
      }),
      { numRuns: 300 },
    );
  });

  it('is canonical: sorted keys at every level, no white space, one trailing newline, any key order in', () => {
    fc.assert(
      fc.property(stored, fc.integer(), (meta, seed) => {
        const keys = Object.keys(meta);
        const shuffled: Meta = {};
        for (const k of [...keys].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7))) Object.defineProperty(shuffled, k, { value: meta[k], enumerable: true });
        const body = text(encodeCommit(meta));
        expect(text(encodeCommit(shuffled))).toBe(body);
        expect(body.endsWith('\n')).toBe(true);
        expect(body.endsWith('\n\n')).toBe(false);
        expect(body.slice(0, -1)).not.toContain('\n');
        expect(body).toBe(`${independentCanonical(meta)}\n`);
      }),
      { numRuns: 200 },
    );
    expect(text(encodeCommit({ time: 1.5, name: 'a.pl', data: 'x', tags: ['b', 'a'], z: { b: 1, a: [true, null] } })))
      .toBe('{"data":"x","name":"a.pl","tags":["b","a"],"time":1.5,"z":{"a":[true,null],"b":1}}\n');
  });

  it('never stores the commit key', () => {
    expect(text(encodeCommit({ name: 'a', data: 'd', time: 1, commit: 'abc' }))).toBe('{"data":"d","name":"a","time":1}\n');
  });

  it('rejects non-finite numbers and non-JSON values with INVALID_ARGUMENT', () => {
    for (const bad of [NaN, Infinity, -Infinity]) {
      expect(() => encodeCommit({ name: 'a', data: 'd', time: bad })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    expect(() => canonicalJson((() => 1) as unknown as JsonValue)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  it('refuses to decode bodies that are not commits, with CORRUPT_OBJECT', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    for (const bad of [enc('not json'), enc('[1]'), enc('{"name":"a","data":"d"}'), enc('{"name":1,"data":"d","time":1}'), new Uint8Array([0xff, 0xfe])]) {
      let err: unknown;
      try {
        decodeCommit(bad, 'a'.repeat(40));
      } catch (e) {
        err = e;
      }
      expect(isGittyError(err) && err.code).toBe('CORRUPT_OBJECT');
    }
  });

  it('refuses crafted commits whose structural keys are wrong (CORRUPT_OBJECT), whatever other metadata holds', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const hash = 'a'.repeat(40);
    const good = { name: 'a.pl', data: 'd'.repeat(40), time: 1 };
    const bad: unknown[] = [
      null, [good], 'text', 7,
      { name: 'a.pl', time: 1 }, // no data
      { ...good, data: 'other.pl' }, // data not a hash
      { ...good, data: 'D'.repeat(40) },
      { ...good, previous: 'b.pl' }, // previous resolved as a file name before
      { ...good, previous: null },
      { ...good, previous: 42 },
      { ...good, name: '' },
      { ...good, time: '1' },
    ];
    for (const body of bad) {
      expect(() => decodeCommit(enc(JSON.stringify(body)), hash), JSON.stringify(body)).toThrow(expect.objectContaining({ code: 'CORRUPT_OBJECT' }));
    }
    // Non-UTF-8 bytes inside an otherwise valid JSON string.
    const latin1 = enc(JSON.stringify({ ...good, title: 'x' }));
    latin1[latin1.indexOf(0x78)] = 0xe9;
    expect(() => decodeCommit(latin1, hash)).toThrow(expect.objectContaining({ code: 'CORRUPT_OBJECT' }));
    // Other metadata is not ours to check (SWISH writes e.g. a numeric commit_message).
    const odd = decodeCommit(enc(JSON.stringify({ ...good, previous: 'c'.repeat(40), commit_message: 1, tags: 'x' })), hash);
    expect(odd).toMatchObject({ commit: hash, previous: 'c'.repeat(40), commit_message: 1 });
  });

  it('carries metadata over except reserved and identity keys; given keys win', () => {
    const previous = decodeCommit(encodeCommit({
      name: 'a.pl', data: 'd'.repeat(40), time: 1, previous: 'e'.repeat(40), tags: ['t'], title: 'T', author: 'jan', user: 'u', avatar: 'x',
      identity: 'i', peer: 'p', commit_message: 'm', email: 'e', profile_id: 'pid',
    }), 'c'.repeat(40));
    expect(carryOverMeta(previous, {})).toEqual({ tags: ['t'], title: 'T' });
    expect(carryOverMeta(previous, { author: 'bob', title: 'U', name: 'ignored', data: 'ignored', time: 5, commit: 'x' }))
      .toEqual({ tags: ['t'], title: 'U', author: 'bob' });
    for (const key of IDENTITY_KEYS) expect(key in carryOverMeta(previous, {})).toBe(false);
    for (const key of RESERVED_KEYS) expect(key in carryOverMeta(previous, {})).toBe(false);
    expect(carryOverMeta(undefined, { tags: [] })).toEqual({ tags: [] });
  });

  it('keeps a "__proto__" metadata key as data', () => {
    const given = JSON.parse('{"__proto__":{"polluted":true},"x":1}') as Meta;
    const meta = carryOverMeta(undefined, given);
    expect(Object.getPrototypeOf(meta)).toBe(Object.prototype);
    expect(text(encodeCommit({ ...meta, name: 'a', data: 'd', time: 1 }))).toBe('{"__proto__":{"polluted":true},"data":"d","name":"a","time":1,"x":1}\n');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/** Canonical JSON written independently of the codec: sorted keys, no white space. */
function independentCanonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(independentCanonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${independentCanonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
