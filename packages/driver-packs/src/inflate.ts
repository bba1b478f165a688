/**
 * A zlib (RFC 1950) + deflate (RFC 1951) decoder into a buffer the caller owns, for the small
 * entries that make up most of a pack. Node's `inflateSync` builds a stream object and a native
 * handle per call, which costs far more than inflating a 100-byte delta; this decoder keeps its
 * Huffman tables in module-level arrays and allocates nothing per call. Output is bounded by the
 * buffer (an inflate bomb stops there) and the stream's Adler-32 is checked.
 */

/** Why a stream could not be decoded: `truncated` means the input ended before the stream did. */
export type InflateFailure = 'truncated' | 'corrupt' | 'too long' | 'too short';

/** Thrown by {@link inflateInto}; `reason` tells a short read (read more) from corruption. */
export class InflateError extends Error {
  constructor(readonly reason: InflateFailure, detail: string) {
    super(detail);
    this.name = 'InflateError';
  }
}

const LEN_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LEN_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** Codes up to this many bits decode with one table look-up; longer ones walk the canonical code. */
const FAST_BITS = 9;
const FAST_MASK = (1 << FAST_BITS) - 1;

/** A canonical Huffman code: counts per length, symbols by code, and a FAST_BITS look-up table. */
interface Huffman {
  counts: Uint16Array;
  symbols: Uint16Array;
  /** Indexed by the next FAST_BITS input bits: `symbol << 4 | length`, or 0 for a longer code. */
  fast: Uint16Array;
}

function newHuffman(symbols: number): Huffman {
  return { counts: new Uint16Array(16), symbols: new Uint16Array(symbols), fast: new Uint16Array(1 << FAST_BITS) };
}

const offsets = new Uint16Array(16);
/** Each FAST_BITS-bit value with its bits in reverse order. */
const REVERSED = new Uint16Array(1 << FAST_BITS);
for (let v = 0; v <= FAST_MASK; v++) {
  let r = 0;
  for (let b = 0; b < FAST_BITS; b++) r |= ((v >> b) & 1) << (FAST_BITS - 1 - b);
  REVERSED[v] = r;
}

/** Build `h` from code `lengths[0..n)`; an over-subscribed code is corrupt (an incomplete one is allowed, as zlib allows it for distances). */
function build(h: Huffman, lengths: Uint8Array, n: number): void {
  h.counts.fill(0);
  for (let s = 0; s < n; s++) h.counts[lengths[s]!]!++;
  h.counts[0] = 0;
  let left = 1;
  for (let len = 1; len <= 15; len++) {
    left = left * 2 - h.counts[len]!;
    if (left < 0) throw new InflateError('corrupt', 'over-subscribed Huffman code');
  }
  offsets[1] = 0;
  for (let len = 1; len < 15; len++) offsets[len + 1] = offsets[len]! + h.counts[len]!;
  for (let s = 0; s < n; s++) if (lengths[s] !== 0) h.symbols[offsets[lengths[s]!]!++] = s;
  // The fast table: each code of up to FAST_BITS bits, bit-reversed (deflate sends codes MSB
  // first into an LSB-first stream), repeated over every value of the bits after it.
  h.fast.fill(0);
  let code = 0;
  let index = 0;
  for (let len = 1; len <= FAST_BITS; len++) {
    for (let k = 0; k < h.counts[len]!; k++) {
      const reversed = REVERSED[code]! >> (FAST_BITS - len);
      const entry = (h.symbols[index]! << 4) | len;
      for (let fill = reversed; fill <= FAST_MASK; fill += 1 << len) h.fast[fill] = entry;
      code++;
      index++;
    }
    code <<= 1;
  }
}

const fixedLengths = newHuffman(288);
const fixedDistances = newHuffman(30);
{
  const lengths = new Uint8Array(288);
  lengths.fill(8, 0, 144);
  lengths.fill(9, 144, 256);
  lengths.fill(7, 256, 280);
  lengths.fill(8, 280, 288);
  build(fixedLengths, lengths, 288);
  build(fixedDistances, new Uint8Array(30).fill(5), 30);
}
const dynamicLengths = newHuffman(288);
const dynamicDistances = newHuffman(30);
const codeLengthCode = newHuffman(19);
const lengthScratch = new Uint8Array(288 + 32);

/** Decoder state for one call; module-level so a call allocates nothing (decoding is synchronous). */
const EMPTY = new Uint8Array(0);
let input: Uint8Array = EMPTY;
let pos = 0;
let end = 0;
let bitBuffer = 0;
let bitCount = 0;

function need(n: number): void {
  while (bitCount < n) {
    if (pos >= end) throw new InflateError('truncated', 'stream ends early');
    bitBuffer |= input[pos++]! << bitCount;
    bitCount += 8;
  }
}

function bits(n: number): number {
  need(n);
  const value = bitBuffer & ((1 << n) - 1);
  bitBuffer >>>= n;
  bitCount -= n;
  return value;
}

function decode(h: Huffman): number {
  while (bitCount < FAST_BITS && pos < end) {
    bitBuffer |= input[pos++]! << bitCount;
    bitCount += 8;
  }
  const entry = h.fast[bitBuffer & FAST_MASK]!;
  const len = entry & 15;
  if (entry !== 0 && len <= bitCount) {
    bitBuffer >>>= len;
    bitCount -= len;
    return entry >> 4;
  }
  // A code longer than FAST_BITS (or the input's last bits): walk the canonical code bit by bit.
  let code = 0;
  let first = 0;
  let index = 0;
  for (let l = 1; l <= 15; l++) {
    code |= bits(1);
    const count = h.counts[l]!;
    if (code - count < first) return h.symbols[index + (code - first)]!;
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  throw new InflateError('corrupt', 'no Huffman code matches');
}

function readDynamicTables(): void {
  const literals = bits(5) + 257;
  const distances = bits(5) + 1;
  const codeLengths = bits(4) + 4;
  if (literals > 286 || distances > 30) throw new InflateError('corrupt', 'too many Huffman codes');
  lengthScratch.fill(0, 0, 19);
  for (let i = 0; i < codeLengths; i++) lengthScratch[CODE_LENGTH_ORDER[i]!] = bits(3);
  build(codeLengthCode, lengthScratch, 19);
  const total = literals + distances;
  let i = 0;
  while (i < total) {
    const symbol = decode(codeLengthCode);
    if (symbol < 16) {
      lengthScratch[i++] = symbol;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (symbol === 16) {
      if (i === 0) throw new InflateError('corrupt', 'length repeat with no previous length');
      value = lengthScratch[i - 1]!;
      repeat = 3 + bits(2);
    } else if (symbol === 17) repeat = 3 + bits(3);
    else repeat = 11 + bits(7);
    if (i + repeat > total) throw new InflateError('corrupt', 'code lengths overrun');
    lengthScratch.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengthScratch[256] === 0) throw new InflateError('corrupt', 'no end-of-block code');
  build(dynamicLengths, lengthScratch, literals);
  build(dynamicDistances, lengthScratch.subarray(literals), distances);
}

/** Decode one Huffman-coded block into `out` from `op`; returns the new output position. */
function codes(out: Uint8Array, op: number, lengths: Huffman, distances: Huffman): number {
  const limit = out.length;
  for (;;) {
    const symbol = decode(lengths);
    if (symbol < 256) {
      if (op >= limit) throw new InflateError('too long', 'inflates beyond its declared size');
      out[op++] = symbol;
    } else if (symbol === 256) {
      return op;
    } else {
      const l = symbol - 257;
      if (l >= 29) throw new InflateError('corrupt', 'bad length code');
      const length = LEN_BASE[l]! + bits(LEN_EXTRA[l]!);
      const d = decode(distances);
      if (d >= 30) throw new InflateError('corrupt', 'bad distance code');
      const distance = DIST_BASE[d]! + bits(DIST_EXTRA[d]!);
      if (distance > op) throw new InflateError('corrupt', 'distance before the start of the output');
      if (op + length > limit) throw new InflateError('too long', 'inflates beyond its declared size');
      if (distance >= length) {
        out.copyWithin(op, op - distance, op - distance + length);
        op += length;
      } else {
        for (let k = 0; k < length; k++, op++) out[op] = out[op - distance]!;
      }
    }
  }
}

function adler32(data: Uint8Array, length: number): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < length; ) {
    const stop = Math.min(length, i + 5552); // the largest run before the sums can overflow 2^32
    for (; i < stop; i++) {
      a += data[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Inflate the zlib stream starting at `from` in `source` (bytes after the stream are ignored)
 * into `out`, which must be filled exactly. Throws {@link InflateError}: `truncated` when
 * `source` ends before the stream, `too long` / `too short` when the stream's size differs from
 * `out.length`, `corrupt` otherwise (bad header, codes or checksum).
 */
export function inflateInto(source: Uint8Array, from: number, out: Uint8Array): void {
  input = source;
  pos = from;
  end = source.length;
  bitBuffer = 0;
  bitCount = 0;
  try {
    const cmf = bits(8);
    const flg = bits(8);
    if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7 || ((cmf << 8) | flg) % 31 !== 0 || (flg & 0x20) !== 0) {
      throw new InflateError('corrupt', 'not a zlib stream');
    }
    let op = 0;
    let last = 0;
    while (!last) {
      last = bits(1);
      const type = bits(2);
      if (type === 0) {
        // Stored: drop to a byte boundary, then LEN and its complement, then LEN raw bytes.
        bits(bitCount & 7);
        const length = bits(16);
        if ((length ^ 0xffff) !== bits(16)) throw new InflateError('corrupt', 'stored block length mismatch');
        // Whole bytes still in the bit buffer come first.
        let k = 0;
        for (; k < length && bitCount >= 8; k++) {
          if (op >= out.length) throw new InflateError('too long', 'inflates beyond its declared size');
          out[op++] = bits(8);
        }
        const rest = length - k;
        if (op + rest > out.length) throw new InflateError('too long', 'inflates beyond its declared size');
        if (pos + rest > end) throw new InflateError('truncated', 'stream ends early');
        out.set(source.subarray(pos, pos + rest), op);
        pos += rest;
        op += rest;
      } else if (type === 1) {
        op = codes(out, op, fixedLengths, fixedDistances);
      } else if (type === 2) {
        readDynamicTables();
        op = codes(out, op, dynamicLengths, dynamicDistances);
      } else {
        throw new InflateError('corrupt', 'bad block type');
      }
    }
    bits(bitCount & 7);
    // The Adler-32 trailer is big-endian.
    const stored = ((bits(8) << 24) | (bits(8) << 16) | (bits(8) << 8) | bits(8)) >>> 0;
    if (op !== out.length) throw new InflateError('too short', `inflates to ${op} bytes, declared ${out.length}`);
    if (adler32(out, op) !== stored) throw new InflateError('corrupt', 'Adler-32 mismatch');
  } finally {
    input = EMPTY; // do not keep the caller's buffer alive
  }
}
