import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import {
  decodeObject, encodeObject, frameObject, hashObject, isGittyError, nodeCompression, pakoCompression, unframeObject, type Compression,
} from '@gitty/core';

function corruptError(action: () => unknown): string {
  try {
    action();
  } catch (err) {
    expect(isGittyError(err) && err.code).toBe('CORRUPT_OBJECT');
    return (err as Error).message;
  }
  throw new Error('expected CORRUPT_OBJECT');
}

// Built once for both zlibs: deflating 64 MiB is the slow part.
const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });

const type = fc.constantFrom('blob', 'commit', 'note', 'tree');

describe.each([
  ['nodeCompression', nodeCompression],
  ['pakoCompression', pakoCompression],
] as Array<[string, Compression]>)('object codec with %s', (_name, compression) => {
  const other = compression === nodeCompression ? pakoCompression : nodeCompression;

  it('round-trips any object, and reads what the other zlib wrote', () => {
    fc.assert(
      fc.property(type, fc.uint8Array({ maxLength: 5000 }), (t, data) => {
        const { hash, raw } = encodeObject(t, data, compression);
        expect(hash).toBe(hashObject(t, data));
        for (const zlib of [compression, other]) {
          const decoded = decodeObject(raw, hash, 'test', zlib);
          expect(decoded.type).toBe(t);
          expect(Buffer.from(decoded.data).equals(Buffer.from(data))).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rejects bytes that hash to another name', () => {
    const { raw } = encodeObject('blob', new TextEncoder().encode('one'), compression);
    const otherHash = hashObject('blob', new TextEncoder().encode('two'));
    expect(corruptError(() => decodeObject(raw, otherHash, 'objects/xx', compression))).toContain('objects/xx');
  });

  it('never returns other content for a flipped bit or a truncation, and refuses all but unread bits', () => {
    const data = new TextEncoder().encode('some content that is long enough to matter '.repeat(20));
    const { hash, raw } = encodeObject('blob', data, compression);
    // Every single-bit flip, exhaustively: a random sample once hit the two places where a flip is
    // invisible, so the property is stated for all of them instead. Deflate leaves bits nobody
    // reads: zlib's FLEVEL (byte 1, when the header check still holds) and the padding after the
    // final block's end code (the last deflate byte, before the 4-byte Adler-32). A flip there
    // must give back the very same content; every other flip must be refused.
    const unread = new Set([1, raw.length - 5]);
    const harmless: number[] = [];
    for (let at = 0; at < raw.length; at++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = Uint8Array.from(raw);
        bad[at] = bad[at]! ^ (1 << bit);
        let decoded: Uint8Array | undefined;
        try {
          decoded = decodeObject(bad, hash, 'test', compression).data;
        } catch (err) {
          expect(isGittyError(err) && err.code).toBe('CORRUPT_OBJECT');
        }
        if (decoded === undefined) continue;
        expect(Buffer.from(decoded).equals(Buffer.from(data))).toBe(true);
        harmless.push(at);
      }
    }
    for (const at of harmless) expect(unread.has(at)).toBe(true);
    expect(harmless.length).toBeLessThan(16);
    corruptError(() => decodeObject(raw.subarray(0, raw.length - 5), hash, 'test', compression));
    corruptError(() => decodeObject(new Uint8Array(0), hash, 'test', compression));
    corruptError(() => decodeObject(new TextEncoder().encode('not zlib'), hash, 'test', compression));
  });

  it('rejects a header whose size disagrees with the data, or no header', () => {
    const data = new TextEncoder().encode('abc');
    const lying = new Uint8Array([...new TextEncoder().encode('blob 4\0'), ...data]);
    expect(corruptError(() => unframeObject(lying, 'test'))).toContain('header says 4 bytes, found 3');
    const raw = compression.deflate(lying);
    const hash = hashObject('blob', new Uint8Array([...data, 0])).replace(/./, '0'); // any name: the hash check comes first
    corruptError(() => decodeObject(raw, hash, 'test', compression));
    corruptError(() => unframeObject(new TextEncoder().encode('no nul here'), 'test'));
    corruptError(() => unframeObject(new TextEncoder().encode('Blob 3\0abc'), 'test'));
    corruptError(() => unframeObject(new TextEncoder().encode('blob 03\0abc'), 'test'));
  });

  it('refuses an object larger than maxObjectSize without inflating it whole', () => {
    const data = new Uint8Array(200_000).fill(7);
    const { hash, raw } = encodeObject('blob', data, compression);
    expect(decodeObject(raw, hash, 'test', compression, 200_000).data.length).toBe(200_000);
    expect(corruptError(() => decodeObject(raw, hash, 'test', compression, 199_999))).toContain('limit');
  });

  it('stops a zlib bomb at the limit', () => {
    // 64 MiB of zeros deflate to about 64 KiB; a 1 MiB limit must stop the inflater early.
    expect(bomb.length).toBeLessThan(128 * 1024);
    expect(corruptError(() => decodeObject(bomb, 'a'.repeat(40), 'bomb', compression, 1024 * 1024))).toContain('limit');
    expect(() => compression.inflate(bomb, 1024 * 1024)).toThrow();
  });

  it('frames exactly as git does', () => {
    expect(new TextDecoder().decode(frameObject('blob', new TextEncoder().encode('hi')))).toBe('blob 2\0hi');
  });
});
