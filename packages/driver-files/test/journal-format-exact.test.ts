import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import {
  JOURNAL_HEADER_BYTES, JOURNAL_MAGIC, RECORD_OVERHEAD, encodeRecords, journalHeader, journalIdOf, parseRecords,
} from '../src/journal-format.js';

// The journal's byte layout is shared by every process reading a journal while it grows and
// by the sealer after a crash: a record boundary or a CRC off by one byte loses objects.
const H1 = 'a1'.repeat(20);
const H2 = 'b2'.repeat(20);

describe('journal header', () => {
  it('is the magic and 16 random bytes, whose hex is the id', () => {
    expect(JOURNAL_MAGIC.toString('latin1')).toBe('GITTYJ01');
    expect(JOURNAL_HEADER_BYTES).toBe(24);
    expect(RECORD_OVERHEAD).toBe(28);
    const { header, id } = journalHeader();
    expect(header.length).toBe(24);
    expect(header.subarray(0, 8).toString('latin1')).toBe('GITTYJ01');
    expect(id).toBe(header.subarray(8).toString('hex'));
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(journalHeader().id).not.toBe(id);
  });

  it('journalIdOf reads the id of a whole header, also inside a larger buffer at an offset', () => {
    const { header, id } = journalHeader();
    expect(journalIdOf(header)).toBe(id);
    const big = Buffer.concat([Buffer.from('xyz'), header, Buffer.from('tail')]);
    expect(journalIdOf(big.subarray(3))).toBe(id);
    expect(journalIdOf(new Uint8Array(big.buffer, big.byteOffset + 3, 24))).toBe(id);
  });

  it('journalIdOf refuses a short header and a wrong magic', () => {
    const { header } = journalHeader();
    expect(journalIdOf(header.subarray(0, 23))).toBeUndefined();
    const wrong = Buffer.from(header);
    wrong[7] = 0x32; // GITTYJ02
    expect(journalIdOf(wrong)).toBeUndefined();
    const first = Buffer.from(header);
    first[0] = 0x67; // gITTYJ01
    expect(journalIdOf(first)).toBeUndefined();
  });
});

describe('records', () => {
  it('encodes length, hash, bytes and the CRC of all of them, back to back', () => {
    const out = encodeRecords([{ hash: H1, raw: Uint8Array.of(1, 2, 3) }, { hash: H2, raw: new Uint8Array() }]);
    const first = Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from(H1, 'hex'), Buffer.from([1, 2, 3])]);
    const crc1 = Buffer.alloc(4);
    crc1.writeUInt32BE(zlib.crc32(first));
    const second = Buffer.concat([Buffer.from([0, 0, 0, 0]), Buffer.from(H2, 'hex')]);
    const crc2 = Buffer.alloc(4);
    crc2.writeUInt32BE(zlib.crc32(second));
    expect(out).toEqual(Buffer.concat([first, crc1, second, crc2]));
    expect(encodeRecords([])).toEqual(Buffer.alloc(0));
  });

  it('parses whole records with their file offsets', () => {
    const bytes = encodeRecords([{ hash: H1, raw: Uint8Array.of(1, 2, 3) }, { hash: H2, raw: Uint8Array.of(9) }]);
    expect(parseRecords(bytes, 100, 3)).toEqual({
      records: [{ hash: H1, offset: 124, length: 3 }, { hash: H2, offset: 100 + 31 + 24, length: 1 }],
      end: 100 + 31 + 29,
      damaged: false,
    });
  });

  it('parses from a view at an offset into a larger buffer', () => {
    const bytes = Buffer.concat([Buffer.from('junk'), encodeRecords([{ hash: H1, raw: Uint8Array.of(5) }])]);
    expect(parseRecords(new Uint8Array(bytes.buffer, bytes.byteOffset + 4, bytes.length - 4), 0, 10)).toEqual({
      records: [{ hash: H1, offset: 24, length: 1 }], end: 29, damaged: false,
    });
  });

  it('stops before an incomplete record without calling it damaged', () => {
    const bytes = encodeRecords([{ hash: H1, raw: Uint8Array.of(1) }, { hash: H2, raw: Uint8Array.of(2, 3) }]);
    // A cut inside the header of the second record, and one inside its CRC.
    expect(parseRecords(bytes.subarray(0, 29 + 27), 0, 10)).toEqual({ records: [{ hash: H1, offset: 24, length: 1 }], end: 29, damaged: false });
    expect(parseRecords(bytes.subarray(0, bytes.length - 1), 0, 10)).toEqual({ records: [{ hash: H1, offset: 24, length: 1 }], end: 29, damaged: false });
    // Exactly the overhead of an empty record is a whole record.
    expect(parseRecords(encodeRecords([{ hash: H2, raw: new Uint8Array() }]), 0, 0)).toEqual({ records: [{ hash: H2, offset: 24, length: 0 }], end: 28, damaged: false });
  });

  it('calls a length beyond maxRaw damage and stops there, even when skipping damage', () => {
    const bytes = encodeRecords([{ hash: H1, raw: Uint8Array.of(1) }, { hash: H2, raw: Uint8Array.of(2, 3) }]);
    expect(parseRecords(bytes, 10, 1)).toEqual({ records: [{ hash: H1, offset: 34, length: 1 }], end: 39, damaged: true });
    expect(parseRecords(bytes, 10, 1, true)).toEqual({ records: [{ hash: H1, offset: 34, length: 1 }], end: 39, damaged: true });
    // maxRaw itself is allowed.
    expect(parseRecords(bytes, 10, 2).damaged).toBe(false);
  });

  it('stops at a record whose CRC does not check, or skips just that record when asked', () => {
    const bytes = encodeRecords([{ hash: H1, raw: Uint8Array.of(1) }, { hash: H2, raw: Uint8Array.of(2, 3) }, { hash: H1, raw: Uint8Array.of(4) }]);
    bytes[29 + 24] = bytes[29 + 24]! ^ 0xff; // the first object byte of the second record
    expect(parseRecords(bytes, 0, 10)).toEqual({ records: [{ hash: H1, offset: 24, length: 1 }], end: 29, damaged: true });
    expect(parseRecords(bytes, 0, 10, true)).toEqual({
      records: [{ hash: H1, offset: 24, length: 1 }, { hash: H1, offset: 29 + 30 + 24, length: 1 }],
      end: bytes.length,
      damaged: true,
    });
  });
});
