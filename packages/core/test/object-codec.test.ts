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

  it('rejects any single flipped byte or truncation', () => {
    const data = new TextEncoder().encode('some content that is long enough to matter '.repeat(20));
    const { hash, raw } = encodeObject('blob', data, compression);
    fc.assert(
      fc.property(fc.nat(raw.length - 1), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const bad = Uint8Array.from(raw);
        bad[at] = bad[at]! ^ xor;
        // zlib's second header byte holds FLEVEL, which no inflater reads: a flip there that keeps
        // the header's check sum valid (0x9c -> 0x5e) changes nothing, and the content still
        // verifies against its hash. Every other flip must be refused.
        const harmless = at === 1 && (raw[0]! * 256 + bad[1]!) % 31 === 0 && (bad[1]! & 0x20) === 0;
        if (harmless) expect(Buffer.from(decodeObject(bad, hash, 'test', compression).data).equals(Buffer.from(data))).toBe(true);
        else corruptError(() => decodeObject(bad, hash, 'test', compression));
      }),
      { numRuns: 60 },
    );
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
