import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext } from '@gitty/core';
import { corruptLooseObject, runDriverSuite, tempDir } from '@gitty/driver-test';
import { createDriver } from '@gitty/driver-files';
import { JOURNAL_HEADER_BYTES, RECORD_OVERHEAD } from '../src/journal-format.js';

/** Every record of a journal file: hash, where its object bytes are and how long they are. */
export function journalRecords(file: string): { hash: string; offset: number; length: number; crcOk: boolean }[] {
  const buf = readFileSync(file);
  const out: { hash: string; offset: number; length: number; crcOk: boolean }[] = [];
  let at = JOURNAL_HEADER_BYTES;
  while (at + RECORD_OVERHEAD <= buf.length) {
    const length = buf.readUInt32BE(at);
    const crcAt = at + 24 + length;
    if (crcAt + 4 > buf.length) break;
    out.push({ hash: buf.toString('hex', at + 4, at + 24), offset: at + 24, length, crcOk: zlib.crc32(buf.subarray(at, crcAt)) === buf.readUInt32BE(crcAt) });
    at = crcAt + 4;
  }
  return out;
}

/** The journal files (any state) of a store folder. */
export function journalFiles(dir: string): string[] {
  const folder = path.join(dir, 'objects', 'journal');
  try {
    return readdirSync(folder).filter((n) => n.endsWith('.journal') || n.endsWith('.sealing')).map((n) => path.join(folder, n));
  } catch {
    return [];
  }
}

/**
 * Damage `hash` where it is stored: in a journal, its bytes are replaced by a valid zlib stream
 * of other content (padded to the same length) and the record's CRC recomputed — damage the
 * CRC cannot see, so only the content hash can; loose, as the suite's loose helper does.
 */
export async function corruptJournalOrLoose(dir: string, hash: string): Promise<void> {
  for (const file of journalFiles(dir)) {
    const record = journalRecords(file).find((r) => r.hash === hash);
    if (!record) continue;
    const buf = readFileSync(file);
    const other = zlib.deflateSync(Buffer.from('blob 5\0other'));
    const bytes = Buffer.alloc(record.length);
    other.copy(bytes, 0, 0, Math.min(other.length, bytes.length));
    bytes.copy(buf, record.offset);
    const start = record.offset - 24;
    buf.writeUInt32BE(zlib.crc32(buf.subarray(start, record.offset + record.length)), record.offset + record.length);
    writeFileSync(file, buf);
    return;
  }
  await corruptLooseObject(path.join(dir, 'objects'), hash);
}

/**
 * The whole conformance suite on files stores whose processes write object journals (`journal`
 * options as given). Not wrapped in PassThroughDriver: the plain files run already proves the
 * wrapper; here only the driver's own behaviour is new.
 */
export function runJournalSuite(label: string, journal: Record<string, unknown>, durability: 'fsync' | 'none'): void {
  runDriverSuite({
    name: `files (${label})`,
    test: { describe, it, expect, beforeEach, afterEach },
    wrapped: false,
    factory: async () => {
      const { dir, remove } = await tempDir('gitty-files-journal-');
      const open = () => createDriver({ dir, durability, pollInterval: 50, ...journal }, defaultDriverContext());
      return { driver: await open(), openAnother: open, cleanup: remove, location: { dir, journal } };
    },
    corruptObject: (location, hash) => corruptJournalOrLoose((location as { dir: string }).dir, hash),
    crossProcess: { module: fileURLToPath(new URL('./fixtures/open-files.ts', import.meta.url)) },
  });
}
