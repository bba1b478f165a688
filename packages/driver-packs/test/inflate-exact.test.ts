import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { inflateInto } from '../src/inflate.js';
import { inflateFailure } from './support/exact.js';

// Hand-made deflate streams reach each refusal of the decoder: every reason and detail is
// exact, so a stream that is corrupt is never told apart from a short read by accident.

/** Deflate's bit order: fields LSB first, Huffman codes MSB first. */
class Bits {
  private bytes: number[] = [];
  private acc = 0;
  private n = 0;
  field(value: number, count: number): this {
    for (let i = 0; i < count; i++) this.bit((value >> i) & 1);
    return this;
  }
  code(code: number, length: number): this {
    for (let i = length - 1; i >= 0; i--) this.bit((code >> i) & 1);
    return this;
  }
  bit(b: number): void {
    this.acc |= b << this.n;
    if (++this.n === 8) this.flush();
  }
  flush(): this {
    if (this.n > 0) {
      this.bytes.push(this.acc);
      this.acc = 0;
      this.n = 0;
    }
    return this;
  }
  /** A fixed-Huffman literal/length symbol. */
  sym(s: number): this {
    if (s < 144) return this.code(0x30 + s, 8);
    if (s < 256) return this.code(0x190 + s - 144, 9);
    if (s < 280) return this.code(s - 256, 7);
    return this.code(0xc0 + s - 280, 8);
  }
  done(): number[] {
    this.flush();
    return this.bytes;
  }
}

function adler(data: Uint8Array): number[] {
  let a = 1;
  let b = 0;
  for (const x of data) {
    a = (a + x) % 65521;
    b = (b + a) % 65521;
  }
  const v = ((b << 16) | a) >>> 0;
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

const zlibOf = (deflate: number[], data: Uint8Array | number[] = []) => Uint8Array.from([0x78, 0x01, ...deflate, ...adler(Uint8Array.from(data))]);

const refused = (stream: Uint8Array, size: number) => {
  const err = inflateFailure(() => inflateInto(stream, 0, new Uint8Array(size)));
  return { name: err.name, reason: err.reason, message: err.message };
};
const inflated = (stream: Uint8Array, size: number, from = 0) => {
  const out = new Uint8Array(size);
  inflateInto(stream, from, out);
  return Buffer.from(out).toString('latin1');
};
const fixed = () => new Bits().field(1, 1).field(1, 2);

describe('zlib header', () => {
  it('accepts windows up to 32 KiB and refuses another method, a bad check, a larger window or a preset dictionary', () => {
    const body = [...zlib.deflateRawSync(Buffer.from('hi')), ...adler(Buffer.from('hi'))];
    expect(inflated(Uint8Array.from([0x78, 0x9c, ...body]), 2)).toBe('hi');
    expect(inflated(Uint8Array.from([0x08, 0x1d, ...body]), 2)).toBe('hi');
    expect(inflated(Uint8Array.from([7, 7, 0x78, 0x01, ...body]), 2, 2)).toBe('hi');
    const notZlib = { name: 'InflateError', reason: 'corrupt', message: 'not a zlib stream' };
    expect(refused(Uint8Array.from([0x79, 0x9c - 0x1b, ...body]), 2)).toEqual(notZlib); // method 9
    expect(((0x79 << 8) | 0x18) % 31).toBe(0);
    expect(refused(Uint8Array.from([0x79, 0x18, ...body]), 2)).toEqual(notZlib); // method 9 with a right check
    expect(refused(Uint8Array.from([0x78, 0x9d, ...body]), 2)).toEqual(notZlib); // check fails
    expect(refused(Uint8Array.from([0x88, 0x1c, ...body]), 2)).toEqual(notZlib); // 64 KiB window
    expect(refused(Uint8Array.from([0x78, 0xbb, ...body]), 2)).toEqual(notZlib); // FDICT
    expect(refused(Uint8Array.from([0x78]), 2)).toEqual({ name: 'InflateError', reason: 'truncated', message: 'stream ends early' });
  });
});

describe('fixed Huffman blocks', () => {
  it('decodes literals, both kinds of back-references, and length and distance extra bits', () => {
    expect(inflated(zlibOf(fixed().sym(97).sym(256).done(), [97]), 1)).toBe('a');
    // "abc" then (length 3, distance 3): a copy that does not overlap itself.
    expect(inflated(zlibOf(fixed().sym(97).sym(98).sym(99).sym(257).code(2, 5).sym(256).done(), Buffer.from('abcabc')), 6)).toBe('abcabc');
    // "a" then (length 4, distance 1): an overlapping copy.
    expect(inflated(zlibOf(fixed().sym(97).sym(258).code(0, 5).sym(256).done(), Buffer.from('aaaaa')), 5)).toBe('aaaaa');
    // Length symbol 265 is 11 + one extra bit; distance code 4 is 5 + one extra bit.
    const data = Buffer.from('abcdef' + 'bcdefbcdefbc');
    expect(inflated(zlibOf(fixed().sym(97).sym(98).sym(99).sym(100).sym(101).sym(102).sym(265).field(1, 1).code(4, 5).field(0, 1).sym(256).done(), data), data.length)).toBe(data.toString('latin1'));
    // Symbols with 9-bit and 8-bit (280+) codes.
    const high = Buffer.from([200, 255, 143, 144]);
    expect(inflated(zlibOf(fixed().sym(200).sym(255).sym(143).sym(144).sym(256).done(), high), 4)).toBe(high.toString('latin1'));
  });

  it('refuses bad length and distance codes and a distance before the output', () => {
    const corrupt = (message: string) => ({ name: 'InflateError', reason: 'corrupt', message });
    expect(refused(zlibOf(fixed().sym(97).sym(286).done()), 8)).toEqual(corrupt('bad length code'));
    expect(refused(zlibOf(fixed().sym(97).sym(287).done()), 8)).toEqual(corrupt('bad length code'));
    // The fixed distance code has 30 symbols: codes 30 and 31 match none.
    expect(refused(zlibOf(fixed().sym(97).sym(257).code(30, 5).done()), 8)).toEqual(corrupt('no Huffman code matches'));
    expect(refused(zlibOf(fixed().sym(97).sym(257).code(31, 5).done()), 8)).toEqual(corrupt('no Huffman code matches'));
    expect(refused(zlibOf(fixed().sym(97).sym(257).code(1, 5).sym(256).done()), 8)).toEqual(corrupt('distance before the start of the output'));
    expect(refused(zlibOf(fixed().sym(97).sym(256).done(), [98]), 1)).toEqual(corrupt('Adler-32 mismatch'));
    expect(refused(zlibOf(new Bits().field(1, 1).field(3, 2).done()), 1)).toEqual(corrupt('bad block type'));
  });

  it('stops at the output buffer and tells too long from too short', () => {
    const tooLong = { name: 'InflateError', reason: 'too long', message: 'inflates beyond its declared size' };
    expect(refused(zlibOf(fixed().sym(97).sym(98).sym(256).done(), [97, 98]), 1)).toEqual(tooLong);
    expect(refused(zlibOf(fixed().sym(97).sym(258).code(0, 5).sym(256).done(), Buffer.from('aaaaa')), 4)).toEqual(tooLong);
    expect(inflated(zlibOf(fixed().sym(97).sym(257).code(0, 5).sym(256).done(), Buffer.from('aaaa')), 4)).toBe('aaaa');
    expect(refused(zlibOf(fixed().sym(97).sym(256).done(), [97]), 3)).toEqual({ name: 'InflateError', reason: 'too short', message: 'inflates to 1 bytes, declared 3' });
    const stream = zlibOf(fixed().sym(97).sym(256).done(), [97]);
    expect(refused(stream.subarray(0, stream.length - 1), 1)).toEqual({ name: 'InflateError', reason: 'truncated', message: 'stream ends early' });
    expect(refused(stream.subarray(0, 3), 1)).toEqual({ name: 'InflateError', reason: 'truncated', message: 'stream ends early' });
  });
});

describe('stored blocks', () => {
  const stored = (data: number[], last = 1, len = data.length, nlen = len ^ 0xffff) => [...new Bits().field(last, 1).field(0, 2).done(), len & 0xff, len >> 8, nlen & 0xff, nlen >> 8, ...data];

  it('copies stored bytes, also after a Huffman block left whole bytes in the bit buffer', () => {
    expect(inflated(zlibOf(stored([1, 2, 3]), [1, 2, 3]), 3)).toBe('\x01\x02\x03');
    expect(inflated(zlibOf(stored([]), []), 0)).toBe('');
    // A non-final fixed block "ab", then a final stored block "cdefgh".
    const first = new Bits().field(0, 1).field(1, 2).sym(97).sym(98).sym(256).field(1, 1).field(0, 2).done();
    const data = Buffer.from('abcdefgh');
    expect(inflated(zlibOf([...first, 6, 0, 0xf9, 0xff, ...Buffer.from('cdefgh')], data), 8)).toBe('abcdefgh');
    expect(refused(zlibOf([...first, 6, 0, 0xf9, 0xff, ...Buffer.from('cdefgh')], data), 7)).toMatchObject({ reason: 'too long', message: 'inflates beyond its declared size' });
    expect(refused(zlibOf([...first, 6, 0, 0xf9, 0xff, ...Buffer.from('cdefgh')], data), 3)).toMatchObject({ reason: 'too long', message: 'inflates beyond its declared size' });
  });

  it('refuses a length that does not match its complement, more bytes than the output, and a short input', () => {
    expect(refused(zlibOf(stored([1, 2, 3], 1, 3, 0xfffd)), 3)).toEqual({ name: 'InflateError', reason: 'corrupt', message: 'stored block length mismatch' });
    expect(refused(zlibOf(stored([1, 2, 3]), [1, 2, 3]), 2)).toEqual({ name: 'InflateError', reason: 'too long', message: 'inflates beyond its declared size' });
    expect(refused(Uint8Array.from([0x78, 0x01, ...stored([1, 2, 3]).slice(0, -1)]), 3)).toEqual({ name: 'InflateError', reason: 'truncated', message: 'stream ends early' });
    expect(inflated(Uint8Array.from([0x78, 0x01, ...stored([1, 2, 3]), ...adler(Uint8Array.from([1, 2, 3]))]), 3)).toBe('\x01\x02\x03');
  });
});

describe('dynamic Huffman blocks', () => {
  // Code-length code: 18 → "0", 16 → "10", 1 → "110", 2 → "111" (18 lengths sent, HCLEN 14).
  const ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  const clLengths: Record<number, number> = { 18: 1, 16: 2, 1: 3, 2: 3 };
  const header = (hlit: number, hdist: number) => {
    const b = new Bits().field(1, 1).field(2, 2).field(hlit, 5).field(hdist, 5).field(14, 4);
    for (let i = 0; i < 18; i++) b.field(clLengths[ORDER[i]!] ?? 0, 3);
    return b;
  };
  const corrupt = (message: string) => ({ name: 'InflateError', reason: 'corrupt', message });

  it('refuses too many codes, an over-subscribed code, a repeat first, an overrun and no end-of-block code', () => {
    expect(refused(zlibOf(header(30, 0).done()), 1)).toEqual(corrupt('too many Huffman codes'));
    expect(refused(zlibOf(header(29, 30).done()), 1)).toEqual(corrupt('too many Huffman codes'));
    const over = new Bits().field(1, 1).field(2, 2).field(0, 5).field(0, 5).field(0, 4).field(1, 3).field(1, 3).field(1, 3).field(0, 3);
    expect(refused(zlibOf(over.done()), 1)).toEqual(corrupt('over-subscribed Huffman code'));
    expect(refused(zlibOf(header(0, 0).code(2, 2).field(0, 2).done()), 1)).toEqual(corrupt('length repeat with no previous length'));
    expect(refused(zlibOf(header(0, 0).code(0, 1).field(127, 7).code(0, 1).field(127, 7).done()), 1)).toEqual(corrupt('code lengths overrun'));
    expect(refused(zlibOf(header(0, 0).code(0, 1).field(127, 7).code(0, 1).field(109, 7).done()), 1)).toEqual(corrupt('no end-of-block code'));
  });

  it('refuses a code over-subscribed only at its longest length (15 bits)', () => {
    // The code-length code: all 19 symbols 5 bits long, so symbol s is written as s in 5 bits.
    const b = new Bits().field(1, 1).field(2, 2).field(0, 5).field(0, 5).field(15, 4);
    for (let i = 0; i < 19; i++) b.field(5, 3);
    // Literals 0..13 get lengths 1..14 (Kraft sum 1 - 2^-14); 14, 15 and the end of block 256
    // get 15: three 15-bit codes where one is left, over by 2^-15 at length 15 alone.
    for (let length = 1; length <= 14; length++) b.code(length, 5);
    b.code(15, 5).code(15, 5);
    b.code(18, 5).field(127, 7); // 138 zeros: 16..153
    b.code(18, 5).field(91, 7); // 102 zeros: 154..255
    b.code(15, 5); // 256
    b.code(1, 5); // the one distance code
    expect(refused(zlibOf(b.done()), 1)).toEqual(corrupt('over-subscribed Huffman code'));
  });

  it('decodes a block whose codes it built, with repeats of the previous length', () => {
    // Literal/length lengths: 'a' (97) and 256 get length 1; one distance code of length 1.
    const b = header(0, 0)
      .code(0, 1).field(86, 7) // 18: 97 zeros (11 + 86)
      .code(6, 3) // 1: 'a'
      .code(0, 1).field(127, 7) // 18: 138 zeros (98..235)
      .code(0, 1).field(9, 7) // 18: 20 zeros (236..255)
      .code(6, 3) // 1: end of block (256)
      .code(6, 3); // 1: distance code 0
    // 'a' is code 0, 256 is code 1.
    expect(inflated(zlibOf(b.code(0, 1).code(0, 1).code(1, 1).done(), Buffer.from('aa')), 2)).toBe('aa');
  });

  it('copies a stored block after a dynamic block that prefetched bits, at every bit alignment', () => {
    // A non-final dynamic block ('a' and end-of-block with 1-bit codes), then a stored block: the
    // decoder must drop to the byte boundary whatever it prefetched. (Whole bytes never remain in
    // the bit buffer after LEN and NLEN, so the stored copy's bit-buffer loop is never entered.)
    for (let count = 0; count < 8; count++) {
      const b = new Bits().field(0, 1).field(2, 2).field(0, 5).field(0, 5).field(14, 4);
      for (let i = 0; i < 18; i++) b.field(clLengths[ORDER[i]!] ?? 0, 3);
      b.code(0, 1).field(86, 7).code(6, 3).code(0, 1).field(127, 7).code(0, 1).field(9, 7).code(6, 3).code(6, 3);
      for (let i = 0; i < count; i++) b.code(0, 1);
      b.code(1, 1).field(1, 1).field(0, 2);
      const data = Buffer.concat([Buffer.alloc(count, 'a'), Buffer.from('stored!')]);
      const stream = zlibOf([...b.done(), 7, 0, 0xf8, 0xff, ...Buffer.from('stored!')], data);
      expect(inflated(stream, data.length), `${count}`).toBe(data.toString('latin1'));
      for (const short of [count + 1, data.length - 1]) {
        expect(refused(stream, short), `${count}/${short}`).toMatchObject({ reason: 'too long', message: 'inflates beyond its declared size' });
      }
    }
  });

  it('refuses a code with no symbol for the bits read', () => {
    // Only symbol 18 has a code ("0"): a 1 bit matches nothing.
    const b = new Bits().field(1, 1).field(2, 2).field(0, 5).field(0, 5).field(0, 4).field(0, 3).field(0, 3).field(1, 3).field(0, 3);
    expect(refused(Uint8Array.from([0x78, 0x01, ...b.code(0xffff, 16).done(), 0xff, 0xff, 0xff]), 1)).toEqual(corrupt('no Huffman code matches'));
  });
});

describe('zlib\'s own streams', () => {
  // Deterministic samples (the property tests in inflate.test.ts are too slow to judge mutants):
  // dynamic codes longer than the 9-bit table, far distances, stored blocks, every strategy.
  const lines = Buffer.from(Array.from({ length: 3000 }, (_, i) => `${i % 7 === 0 ? 'rare ' + i : 'line'} ${(i * 7919) % 1000}\n`).join(''));
  const noise = Buffer.from(Array.from({ length: 3000 }, (_, i) => (Math.imul(i + 1, 2654435761) >>> 13) & 0xff));
  const skewed = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i % 97 === 0 ? (i * 13) & 0xff : i % 3 === 0 ? 0xff : 97 + (i % 2))));
  const cases: [string, Buffer, zlib.ZlibOptions][] = [
    ['text, level 9', lines, { level: 9 }],
    ['text, level 1', lines, { level: 1 }],
    ['text, fixed codes', lines, { strategy: zlib.constants.Z_FIXED }],
    ['text, Huffman only', lines, { strategy: zlib.constants.Z_HUFFMAN_ONLY }],
    ['text, RLE', lines, { strategy: zlib.constants.Z_RLE }],
    ['noise, level 6', noise, { level: 6 }],
    ['noise, stored', noise, { level: 0 }],
    ['skewed, level 6', skewed, { level: 6 }],
    ['skewed, stored', skewed, { level: 0 }],
    ['one byte', Buffer.from('x'), {}],
  ];
  it('decodes each exactly', () => {
    for (const [label, data, options] of cases) {
      const out = Buffer.alloc(data.length);
      inflateInto(zlib.deflateSync(data, options), 0, out);
      expect(out.equals(data), label).toBe(true);
    }
  });

  it('decodes a dynamic code as deep as deflate allows (15-bit codes): Fibonacci symbol counts, Huffman only', () => {
    // Counts 1, 1, 2, 3, 5, … over 24 symbols would make a Huffman tree 23 deep; zlib caps it at
    // 15, so the rarest symbols get 15-bit codes, which only the decoder's slow walk reaches.
    const counts = [1, 1];
    while (counts.length < 24) counts.push(counts.at(-1)! + counts.at(-2)!);
    const symbols: number[] = [];
    counts.forEach((count, i) => {
      for (let k = 0; k < count; k++) symbols.push(65 + i);
    });
    // Spread the symbols (a fixed stride through the list) so no block sees only a few of them.
    const data = Buffer.alloc(symbols.length);
    for (let i = 0, j = 0; i < symbols.length; i++, j = (j + 7919) % symbols.length) data[i] = symbols[j]!;
    const stream = zlib.deflateSync(data, { strategy: zlib.constants.Z_HUFFMAN_ONLY, level: 9 });
    const out = Buffer.alloc(data.length);
    inflateInto(stream, 0, out);
    expect(out.equals(data)).toBe(true);
  });

  it('tells a stream cut anywhere as truncated, whatever block it was in', () => {
    // A cut inside a Huffman block leaves the decoder short of bits: it must stop there, never
    // read on past the end as if zero bits followed (zeros are a valid code in most tables).
    const text = Buffer.from('gitty keeps every version of every file; '.repeat(20) + 'the end.\n');
    const streams: [string, Buffer][] = [
      ['fixed', zlib.deflateSync(text, { strategy: zlib.constants.Z_FIXED })],
      ['dynamic', zlib.deflateSync(text, { level: 9 })],
      ['huffman only', zlib.deflateSync(text, { strategy: zlib.constants.Z_HUFFMAN_ONLY })],
    ];
    for (const [label, stream] of streams) {
      for (let cut = 2; cut < stream.length; cut++) {
        expect(refused(stream.subarray(0, cut), text.length), `${label}, cut at ${cut} of ${stream.length}`).toEqual({ name: 'InflateError', reason: 'truncated', message: 'stream ends early' });
      }
    }
  });

  it('checks the Adler-32 of a long output', () => {
    const stream = zlib.deflateSync(skewed);
    const broken = Buffer.from(stream);
    broken.writeUInt8(broken.readUInt8(broken.length - 3) ^ 1, broken.length - 3);
    expect(refused(broken, skewed.length)).toEqual({ name: 'InflateError', reason: 'corrupt', message: 'Adler-32 mismatch' });
  });
});
