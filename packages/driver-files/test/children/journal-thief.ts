// A sealer "from another machine" (a host name no gitty process here has): in a tight loop it
// takes every active journal of a store — rename to its own `.sealing` name, read the whole
// records, write them as loose objects, unlink — racing the journal's writer. It stops when its
// stdin closes and prints {"steals":n,"records":m,"headerless":[sizes of taken files that had no
// journal header: a file the writer re-created under a name already taken]}.
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { JOURNAL_HEADER_BYTES, RECORD_OVERHEAD } from '../../src/journal-format.js';

// The whole records in one read of the file (the writer may still append while we read).
function wholeRecords(buf: Buffer): { hash: string; raw: Buffer }[] {
  const out: { hash: string; raw: Buffer }[] = [];
  let at = JOURNAL_HEADER_BYTES;
  while (at + RECORD_OVERHEAD <= buf.length) {
    const length = buf.readUInt32BE(at);
    const crcAt = at + 24 + length;
    if (crcAt + 4 > buf.length || zlib.crc32(buf.subarray(at, crcAt)) !== buf.readUInt32BE(crcAt)) break;
    out.push({ hash: buf.toString('hex', at + 4, at + 24), raw: buf.subarray(at + 24, crcAt) });
    at = crcAt + 4;
  }
  return out;
}

const [dir] = process.argv.slice(2) as [string];
const folder = path.join(dir, 'objects', 'journal');
let stop = false;
process.stdin.on('end', () => (stop = true));
process.stdin.resume();
let steals = 0;
let records = 0;
const headerless: number[] = [];
process.stdout.write('ready\n');
while (!stop) {
  let names: string[] = [];
  try {
    names = readdirSync(folder).filter((n) => n.endsWith('.journal'));
  } catch {
    // no journal yet
  }
  for (const name of names) {
    const sealing = path.join(folder, `elsewhere-1-${randomBytes(6).toString('hex')}.sealing`);
    try {
      renameSync(path.join(folder, name), sealing);
    } catch {
      continue; // sealed by someone else, or gone
    }
    steals++;
    const buf = readFileSync(sealing);
    if (buf.length < JOURNAL_HEADER_BYTES || !buf.subarray(0, 8).equals(Buffer.from('GITTYJ01'))) headerless.push(buf.length);
    for (const record of wholeRecords(buf)) {
      records++;
      const file = path.join(dir, 'objects', record.hash.slice(0, 2), record.hash.slice(2));
      mkdirSync(path.dirname(file), { recursive: true });
      const temp = path.join(path.dirname(file), `.tmp-elsewhere-1-${randomBytes(4).toString('hex')}`);
      writeFileSync(temp, record.raw);
      try {
        linkSync(temp, file);
      } catch {
        // already loose
      }
      unlinkSync(temp);
    }
    unlinkSync(sealing);
  }
  // Yield to the event loop so stdin's end is seen; no sleep: the race is the point.
  await new Promise((r) => setImmediate(r));
}
process.stdout.write(`${JSON.stringify({ steals, records, headerless })}\n`);
