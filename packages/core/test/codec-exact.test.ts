import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  assertObjectSize, concatBytes, decodeObject, frameObject, hashObject, isGittyError, isObjectType, nodeCompression, pakoCompression,
  unframeObject, type Compression,
} from '@gitty/core';

const bytes = (text: string) => new TextEncoder().encode(text);

/** The error `action` throws (it must throw). */
function thrown(action: () => unknown): Error & { code?: string; cause?: unknown } {
  try {
    action();
  } catch (err) {
    return err as Error & { code?: string; cause?: unknown };
  }
  throw new Error('expected a throw');
}

describe('compression', () => {
  it('names', () => {
    expect(pakoCompression.name).toBe('pako');
    expect(nodeCompression.name).toBe('node-zlib');
  });

  it.each([
    ['pako', pakoCompression],
    ['node', nodeCompression],
  ] as Array<[string, Compression]>)('%s deflates at the level asked (zlib FLEVEL in the header), 6 by default', (_name, compression) => {
    const data = bytes('level test '.repeat(50));
    // The second header byte: FLEVEL 0 for level 1, 2 for 6, 3 for 9.
    expect(compression.deflate(data, 1)[1]).toBe(0x01);
    expect(compression.deflate(data)[1]).toBe(0x9c);
    expect(compression.deflate(data, 9)[1]).toBe(0xda);
    expect(Buffer.from(compression.deflate(data, 1)).equals(zlib.deflateSync(data, { level: 1 }))).toBe(true);
  });

  it.each([
    ['pako', pakoCompression],
    ['node', nodeCompression],
  ] as Array<[string, Compression]>)('%s inflates exactly maxOutput bytes, refuses one more', (_name, compression) => {
    const data = bytes('0123456789');
    const raw = zlib.deflateSync(data);
    expect(Buffer.from(compression.inflate(raw, 10)).toString()).toBe('0123456789');
    expect(() => compression.inflate(raw, 9)).toThrow();
    // An empty stream inflates with a budget of 0.
    expect(compression.inflate(zlib.deflateSync(new Uint8Array(0)), 0)).toHaveLength(0);
  });

  it('pako: the exact errors of a refused budget, a malformed and a truncated stream', () => {
    const data = new Uint8Array(200_000).fill(1);
    const raw = zlib.deflateSync(data);
    expect(thrown(() => pakoCompression.inflate(raw, 199_999))).toMatchObject({ name: 'RangeError', message: 'inflates past 199999 bytes' });
    expect(thrown(() => pakoCompression.inflate(bytes('not zlib at all'), 100)).message).toBe('zlib: incorrect header check');
    // pako 2.2 ends a truncated stream with Z_BUF_ERROR (-5) and no message.
    expect(thrown(() => pakoCompression.inflate(raw.subarray(0, 8), 1_000_000)).message).toBe('zlib: -5');
    // Inflated output larger than one 64 KiB chunk is joined whole and in order.
    const varied = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7 + (i >> 10)) & 0xff);
    expect(Buffer.from(pakoCompression.inflate(zlib.deflateSync(varied), 300_000)).equals(Buffer.from(varied))).toBe(true);
  });

  it('concatBytes: the total given sizes the result, else the chunks do', () => {
    expect([...concatBytes([bytes('ab'), bytes('cde')])]).toEqual([97, 98, 99, 100, 101]);
    expect([...concatBytes([bytes('ab'), bytes('c')], 5)]).toEqual([97, 98, 99, 0, 0]);
    expect(concatBytes([], 0)).toHaveLength(0);
    expect(concatBytes([])).toHaveLength(0);
  });
});

describe('object types, frames and sizes', () => {
  it('isObjectType: a lower-case letter then up to 31 of a-z 0-9 _ -', () => {
    for (const ok of ['a', 'blob', 'a0', 'a_', 'a-', 'z9_-x', 'a'.repeat(32)]) expect(isObjectType(ok), ok).toBe(true);
    for (const bad of ['', 'A', 'Blob', '0a', '_a', '-a', 'a.b', 'a b', ' a', 'a ', 'aB', 'a'.repeat(33), 'blob\n', 'é']) {
      expect(isObjectType(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const bad of [['blob'], { toString: () => 'blob' }, 5, null, undefined]) expect(isObjectType(bad)).toBe(false);
  });

  it('assertObjectSize: up to the limit passes, beyond it OBJECT_TOO_LARGE', () => {
    expect(() => assertObjectSize(10, 10)).not.toThrow();
    expect(() => assertObjectSize(0, 0)).not.toThrow();
    const err = thrown(() => assertObjectSize(11, 10));
    expect(err.code).toBe('OBJECT_TOO_LARGE');
    expect(err.message).toBe('Object of 11 bytes exceeds the limit of 10 bytes (maxObjectSize)');
  });

  it('unframeObject: exact refusals, and the types and sizes a header may have', () => {
    const refusal = (framed: Uint8Array, hash?: string) => {
      const err = thrown(() => unframeObject(framed, 'here', hash));
      expect(err.code).toBe('CORRUPT_OBJECT');
      return err.message;
    };
    expect(refusal(bytes('blob 3abc'))).toBe('Corrupt object in here: no object header');
    expect(refusal(bytes('blob 3abc'), 'a'.repeat(40))).toBe(`Corrupt object ${'a'.repeat(40)} in here: no object header`);
    expect(refusal(bytes('\0abc'))).toBe('Corrupt object in here: malformed header ""');
    // The NUL may come at byte 64 at the latest.
    expect(refusal(bytes(`${'a'.repeat(64)}\0`))).toBe(`Corrupt object in here: malformed header "${'a'.repeat(40)}"`);
    expect(refusal(bytes(`${'a'.repeat(65)}\0`))).toBe('Corrupt object in here: no object header');
    expect(refusal(bytes(`blob ${'0'.repeat(58)}1\0x`))).toBe(`Corrupt object in here: malformed header "blob ${'0'.repeat(35)}"`);
    for (const header of ['Xblob 3', 'blob 3x', 'blob  3', 'blob', 'blob -3', 'blob 3 ', ' blob 3', 'bLob 3', '0lob 3']) {
      expect(refusal(bytes(`${header}\0abc`)), header).toBe(`Corrupt object in here: malformed header "${header}"`);
    }
    expect(refusal(bytes('blob 2\0abc'))).toBe('Corrupt object in here: header says 2 bytes, found 3');
    for (const type of ['a', 'a0', 'a_', 'a-', 'z9_-x']) {
      const object = unframeObject(bytes(`${type} 3\0abc`), 'here');
      expect(object.type).toBe(type);
      expect(Buffer.from(object.data).toString()).toBe('abc');
    }
    const ten = unframeObject(bytes('blob 10\x000123456789'), 'here');
    expect(Buffer.from(ten.data).toString()).toBe('0123456789');
    expect(unframeObject(bytes('blob 0\0'), 'here').data).toHaveLength(0);
    // A view into a larger buffer is read from its own offset; the data is a plain Uint8Array.
    const inner = bytes('xxxxblob 2\0hiyy').subarray(4, 13);
    const hi = unframeObject(inner, 'here');
    expect(Buffer.from(hi.data).toString()).toBe('hi');
    expect(Object.getPrototypeOf(unframeObject(Buffer.from('blob 1\0z'), 'here').data)).toBe(Uint8Array.prototype);
  });

  it('frameObject: header and data', () => {
    expect(Buffer.from(frameObject('note', bytes('abc'))).toString()).toBe('note 3\0abc');
    expect(Buffer.from(frameObject('blob', new Uint8Array(0))).toString()).toBe('blob 0\0');
  });
});

describe('decodeObject', () => {
  const data = bytes('hello');
  const hash = hashObject('blob', data);
  const framed = frameObject('blob', data);

  /** A compression whose inflate throws `error`. */
  const failing = (error: unknown): Compression => ({ name: 'failing', deflate: (d) => d, inflate: () => { throw error; } });

  it('the bytes must hash to the name: the exact message', () => {
    const err = thrown(() => decodeObject(nodeCompression.deflate(framed), 'b'.repeat(40), 'objects/bb', nodeCompression));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toBe(`Corrupt object ${'b'.repeat(40)} in objects/bb: content hashes to ${hash}`);
  });

  it('an inflate failure is CORRUPT_OBJECT with the cause; a budget failure (any case of past, maxOutputLength, buffer, larger) names the limit', () => {
    for (const message of ['inflates past 9 bytes', 'PAST', 'maxOutputLength exceeded', 'MAXOUTPUTLENGTH', 'no buffer', 'Buffer', 'LARGER than']) {
      const cause = new RangeError(message);
      const err = thrown(() => decodeObject(new Uint8Array(1), hash, 'w', failing(cause), 100));
      expect(err.code, message).toBe('CORRUPT_OBJECT');
      expect(err.message, message).toBe(`Corrupt object ${hash} in w: inflates beyond the 100-byte limit`);
      expect(err.cause).toBe(cause);
    }
    const cause = new Error('bad stream');
    const err = thrown(() => decodeObject(new Uint8Array(1), hash, 'w', failing(cause), 100));
    expect(err.message).toBe(`Corrupt object ${hash} in w: cannot inflate: bad stream`);
    expect(err.cause).toBe(cause);
    const notError = thrown(() => decodeObject(new Uint8Array(1), hash, 'w', failing('just text'), 100));
    expect(notError.message).toBe(`Corrupt object ${hash} in w: cannot inflate: just text`);
    expect(notError.cause).toBe('just text');
  });

  it('the budget given to inflate is the limit plus 64 bytes of header', () => {
    const budgets: number[] = [];
    const recording: Compression = { name: 'rec', deflate: (d) => d, inflate: (raw, max) => { budgets.push(max); return raw; } };
    expect(Buffer.from(decodeObject(framed, hash, 'w', recording, 1000).data).toString()).toBe('hello');
    expect(Buffer.from(decodeObject(framed, hash, 'w', recording).data).toString()).toBe('hello');
    expect(budgets).toEqual([1064, 64 * 1024 * 1024 + 64]);
  });

  it('data of exactly the limit passes, one byte more is refused with both sizes', () => {
    const recording: Compression = { name: 'rec', deflate: (d) => d, inflate: (raw) => raw };
    expect(decodeObject(framed, hash, 'w', recording, 5).data).toHaveLength(5);
    const err = thrown(() => decodeObject(framed, hash, 'w', recording, 4));
    expect(err.code).toBe('CORRUPT_OBJECT');
    expect(err.message).toBe(`Corrupt object ${hash} in w: its 5 bytes exceed the 4-byte limit`);
  });

  it('real zlibs: a bomb names the limit whichever zlib refused it', () => {
    const raw = zlib.deflateSync(new Uint8Array(10_000));
    const zeros = hashObject('blob', new Uint8Array(10_000));
    for (const compression of [nodeCompression, pakoCompression]) {
      const err = thrown(() => decodeObject(raw, zeros, 'w', compression, 100));
      expect(err.code).toBe('CORRUPT_OBJECT');
      expect(err.message).toBe(`Corrupt object ${zeros} in w: inflates beyond the 100-byte limit`);
      expect(isGittyError(err)).toBe(true);
    }
  });
});
