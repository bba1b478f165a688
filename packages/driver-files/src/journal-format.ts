import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';

/**
 * The object journal's file format (see `object-journal.ts` for how journals are used).
 *
 * A journal file is a 24-byte header — the magic `GITTYJ01` and a 16-byte random id that stays
 * with the file when it is renamed — followed by records, each
 *
 *     u32 length L (big-endian) · 20-byte object hash · L bytes · u32 CRC-32 of everything before it
 *
 * where the L bytes are the object exactly as a loose object file holds it (zlib of
 * `<type> <size>\0<data>`), so sealing a journal copies records into loose files unchanged and
 * every read still verifies the content against its hash. The CRC tells a whole record from
 * one a crash or a full disk cut short: a scan stops at the first record that is incomplete or
 * does not check, and a journal's owner never appends after such a record.
 */
export const JOURNAL_MAGIC = Buffer.from('GITTYJ01', 'latin1');

/** Bytes of the file header: magic and id. */
export const JOURNAL_HEADER_BYTES = JOURNAL_MAGIC.length + 16;

/** Bytes a record adds around its object bytes: length, hash, CRC. */
export const RECORD_OVERHEAD = 4 + 20 + 4;

/** A fresh journal header and its id (hex). */
export function journalHeader(): { header: Buffer; id: string } {
  const id = randomBytes(16);
  return { header: Buffer.concat([JOURNAL_MAGIC, id]), id: id.toString('hex') };
}

/** The id (hex) of a journal whose first bytes are `head`, or undefined when they are not a whole journal header. */
export function journalIdOf(head: Uint8Array): string | undefined {
  if (head.length < JOURNAL_HEADER_BYTES) return undefined;
  if (!Buffer.from(head.buffer, head.byteOffset, JOURNAL_MAGIC.length).equals(JOURNAL_MAGIC)) return undefined;
  return Buffer.from(head.buffer, head.byteOffset + JOURNAL_MAGIC.length, 16).toString('hex');
}

/** One record: the object's hash and its loose-object bytes. */
export interface JournalEntry {
  hash: string;
  raw: Uint8Array;
}

/** Encode records back to back (one write appends them all). */
export function encodeRecords(entries: readonly JournalEntry[]): Buffer {
  const size = entries.reduce((sum, e) => sum + RECORD_OVERHEAD + e.raw.length, 0);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { hash, raw } of entries) {
    const start = at;
    out.writeUInt32BE(raw.length, at);
    out.write(hash, at + 4, 20, 'hex');
    out.set(raw, at + 24);
    at += 24 + raw.length;
    out.writeUInt32BE(zlib.crc32(out.subarray(start, at)), at);
    at += 4;
  }
  return out;
}

/** Where a scanned record's object bytes are, relative to the file. */
export interface RecordLocation {
  hash: string;
  /** File offset of the object bytes. */
  offset: number;
  length: number;
}

/** What {@link parseRecords} found in a stretch of a journal. */
export interface ParsedRecords {
  records: RecordLocation[];
  /** File offset just after the last whole record: where the next scan starts. */
  end: number;
  /** True when a record stopped the scan because it does not check (not merely incomplete). */
  damaged: boolean;
}

/**
 * Parse the records in `bytes`, which hold the file from offset `base`. Stops at the first
 * record that is incomplete (a writer's append in progress, or a crash's torn tail) or whose
 * length exceeds `maxRaw`, and at one whose CRC does not match — unless `skipDamaged` (a
 * sealer, reading a journal nobody appends to any more): then such a record is passed over
 * and the scan goes on, so damage in the middle of a journal costs that record only.
 */
export function parseRecords(bytes: Uint8Array, base: number, maxRaw: number, skipDamaged = false): ParsedRecords {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: RecordLocation[] = [];
  let damaged = false;
  let at = 0;
  while (at + RECORD_OVERHEAD <= buf.length) {
    const length = buf.readUInt32BE(at);
    if (length > maxRaw) return { records, end: base + at, damaged: true };
    const crcAt = at + 24 + length;
    if (crcAt + 4 > buf.length) break;
    if (zlib.crc32(buf.subarray(at, crcAt)) !== buf.readUInt32BE(crcAt)) {
      if (!skipDamaged) return { records, end: base + at, damaged: true };
      damaged = true;
    } else {
      records.push({ hash: buf.toString('hex', at + 4, at + 24), offset: base + at + 24, length });
    }
    at = crcAt + 4;
  }
  return { records, end: base + at, damaged };
}
