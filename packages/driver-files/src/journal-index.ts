import { closeSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { isMissing } from './fs-sync.js';
import { JOURNAL_HEADER_BYTES, journalIdOf, parseRecords, type RecordLocation } from './journal-format.js';

/** Journal file names: `<writer tag>.journal` while its writer appends, `<sealer tag>.sealing` once a sealer took it. */
export const JOURNAL_SUFFIX = '.journal';
export const SEALING_SUFFIX = '.sealing';

/** The writer or sealer tag a journal file name carries, or undefined for other names. */
export function journalTagOf(name: string): string | undefined {
  for (const suffix of [JOURNAL_SUFFIX, SEALING_SUFFIX]) {
    if (name.endsWith(suffix) && !name.startsWith('.')) return name.slice(0, -suffix.length);
  }
  return undefined;
}

/** One journal file as this process sees it. */
export interface JournalFile {
  /** The header's id: the same file under any name. */
  readonly id: string;
  /** Its current name and path (a sealer renames it). */
  name: string;
  path: string;
  /** Opened for reading; kept open so reads still work after a sealer removed the name. */
  readonly fd: number;
  /** Offset just after the last whole record read. */
  scanned: number;
  /** True when a record that does not check stopped the scan (fsck reports it). */
  damaged: boolean;
  /** This process appends to it: its records are indexed by the writer once durable, never by a scan. */
  appending: boolean;
  /** Object locations read from it. */
  readonly records: Map<string, RecordLocation>;
}

/**
 * Every journal in one folder, and where each object in them is: what lets a process read
 * objects other processes have appended to their journals. Files are known by their header id,
 * so a journal renamed by its sealer is not read twice; a file whose name is gone (sealed into
 * loose objects) is dropped at the next {@link rescan}, and its objects are then read loose.
 */
export class JournalIndex {
  private readonly files = new Map<string, JournalFile>();

  constructor(
    /** The journal folder. */
    readonly folder: string,
    /** Largest record accepted (a longer length field means a damaged record). */
    private readonly maxRaw: number,
  ) {}

  /** Where `hash` is in a known journal, or undefined. */
  locate(hash: string): { file: JournalFile; location: RecordLocation } | undefined {
    for (const file of this.files.values()) {
      const location = file.records.get(hash);
      if (location) return { file, location };
    }
    return undefined;
  }

  /** The object bytes at `location` (a short read, from a file truncated under us, gives undefined). */
  read(file: JournalFile, location: RecordLocation): Uint8Array | undefined {
    const out = new Uint8Array(location.length);
    let done = 0;
    while (done < out.length) {
      const n = readSync(file.fd, out, done, out.length - done, location.offset + done);
      if (n <= 0) return undefined;
      done += n;
    }
    return out;
  }

  /** The journals known now. */
  known(): JournalFile[] {
    return [...this.files.values()];
  }

  /** Every object hash in a known journal (a hash in several journals once). */
  *hashes(): Iterable<string> {
    const seen = new Set<string>();
    for (const file of this.files.values()) {
      for (const hash of file.records.keys()) {
        if (!seen.has(hash)) {
          seen.add(hash);
          yield hash;
        }
      }
    }
  }

  /** Look at the folder again: new journals are read, grown ones read on, renamed ones followed, vanished ones dropped. */
  rescan(): void {
    let names: string[];
    try {
      names = readdirSync(this.folder);
    } catch (err) {
      if (!isMissing(err)) throw err;
      names = [];
    }
    const seen = new Set<string>();
    const byName = new Map([...this.files.values()].map((f) => [f.name, f]));
    for (const name of names) {
      if (journalTagOf(name) === undefined) continue;
      const known = byName.get(name);
      const file = known ?? this.adopt(name);
      if (!file) continue;
      seen.add(file.id);
      this.readOn(file);
    }
    for (const file of [...this.files.values()]) if (!seen.has(file.id)) this.drop(file);
  }

  /** Read `file` on from where the last scan stopped (`skipDamaged`: see `parseRecords`). */
  readOn(file: JournalFile, skipDamaged = false): void {
    if (file.appending) return;
    const size = fstatSync(file.fd).size;
    if (size <= file.scanned) return;
    const bytes = new Uint8Array(size - file.scanned);
    let done = 0;
    while (done < bytes.length) {
      const n = readSync(file.fd, bytes, done, bytes.length - done, file.scanned + done);
      if (n <= 0) break;
      done += n;
    }
    const parsed = parseRecords(bytes.subarray(0, done), file.scanned, this.maxRaw, skipDamaged);
    for (const record of parsed.records) file.records.set(record.hash, record);
    file.scanned = parsed.end;
    file.damaged ||= parsed.damaged;
  }

  /** Forget `file` and close it (its objects are then read loose). */
  drop(file: JournalFile): void {
    if (this.files.get(file.id) !== file) return;
    this.files.delete(file.id);
    try {
      closeSync(file.fd);
    } catch {
      // already closed
    }
  }

  /** Forget every journal. */
  close(): void {
    for (const file of [...this.files.values()]) this.drop(file);
  }

  /** The known file with header id `id`, if any. */
  byId(id: string): JournalFile | undefined {
    return this.files.get(id);
  }

  // A name not seen before: a new journal, or a known one under its sealer's name.
  private adopt(name: string): JournalFile | undefined {
    const file = path.join(this.folder, name);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw err;
    }
    const head = new Uint8Array(JOURNAL_HEADER_BYTES);
    const n = readSync(fd, head, 0, head.length, 0);
    const id = journalIdOf(head.subarray(0, n));
    const known = id === undefined ? undefined : this.files.get(id);
    if (id === undefined || known) {
      closeSync(fd);
      if (known) {
        known.name = name;
        known.path = file;
      }
      return known;
    }
    const journal: JournalFile = { id, name, path: file, fd, scanned: JOURNAL_HEADER_BYTES, damaged: false, appending: false, records: new Map() };
    this.files.set(id, journal);
    return journal;
  }
}
