import { afterEach, describe, expect, it } from 'vitest';
import fs, { appendFileSync, fstatSync, truncateSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { encodeRecords, journalHeader } from '../src/journal-format.js';
import { JournalIndex, journalTagOf } from '../src/journal-index.js';

// The journal index is how one process finds objects other processes appended to their
// journals: a journal read twice, a rename not followed or a vanished file kept open would
// serve objects from the wrong place or leak descriptors.
const H1 = '11'.repeat(20);
const H2 = '22'.repeat(20);
const H3 = '33'.repeat(20);
let dir: string | undefined;
let index: JournalIndex | undefined;

const restores: (() => void)[] = [];

/** Replace one node:fs function (named ESM imports too) until the test ends. */
function patchFs<K extends keyof typeof fs>(name: K, make: (orig: (typeof fs)[K]) => (typeof fs)[K]): void {
  const mutable = fs as unknown as Record<string, unknown>;
  const orig = fs[name];
  mutable[name] = make(orig);
  syncBuiltinESMExports();
  restores.push(() => {
    mutable[name] = orig;
    syncBuiltinESMExports();
  });
}

afterEach(() => {
  for (const r of restores.splice(0).reverse()) r();
  index?.close();
  index = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(maxRaw = 100): { folder: string; index: JournalIndex } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'gitty-journal-index-'));
  dir = root;
  const folder = path.join(root, 'journal');
  mkdirSync(folder);
  index = new JournalIndex(folder, maxRaw);
  return { folder, index };
}

/** A journal file holding `records`; resolves its id. */
function journal(file: string, records: { hash: string; raw: Uint8Array }[]): string {
  const { header, id } = journalHeader();
  writeFileSync(file, Buffer.concat([header, encodeRecords(records)]));
  return id;
}

const isClosed = (fd: number) => {
  try {
    fstatSync(fd);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EBADF';
  }
};

describe('journalTagOf', () => {
  it('takes the tag of a journal or sealing name, never of a dot name or another suffix', () => {
    expect(journalTagOf('host-1-ab.journal')).toBe('host-1-ab');
    expect(journalTagOf('host-2-cd.sealing')).toBe('host-2-cd');
    expect(journalTagOf('w.journal.sealing')).toBe('w.journal');
    expect(journalTagOf('.tmp-x.journal')).toBeUndefined();
    expect(journalTagOf('.sealing')).toBeUndefined();
    expect(journalTagOf('w.journals')).toBeUndefined();
    expect(journalTagOf('w.txt')).toBeUndefined();
  });
});

describe('JournalIndex', () => {
  it('reads new journals: locate, read, hashes (each once), known, byId', () => {
    const { folder, index } = setup();
    const a = journal(path.join(folder, 'a.journal'), [{ hash: H1, raw: Uint8Array.of(1, 2) }, { hash: H2, raw: Uint8Array.of(3) }]);
    const b = journal(path.join(folder, 'b.sealing'), [{ hash: H2, raw: Uint8Array.of(3) }, { hash: H3, raw: Uint8Array.of(4, 5, 6) }]);
    writeFileSync(path.join(folder, 'notes.txt'), 'not a journal');
    index.rescan();
    expect(index.known().map((f) => f.name).sort()).toEqual(['a.journal', 'b.sealing']);
    const fa = index.byId(a)!;
    expect(fa).toMatchObject({ id: a, name: 'a.journal', path: path.join(folder, 'a.journal'), scanned: 24 + 30 + 29, damaged: false, appending: false });
    expect(index.byId(b)!.records.get(H3)).toEqual({ hash: H3, offset: 24 + 29 + 24, length: 3 });
    expect([...index.hashes()].sort()).toEqual([H1, H2, H3]);
    const found = index.locate(H3)!;
    expect(found.file.id).toBe(b);
    expect(index.read(found.file, found.location)).toEqual(Uint8Array.of(4, 5, 6));
    expect(index.read(fa, index.locate(H1)!.location)).toEqual(Uint8Array.of(1, 2));
    expect(index.locate('44'.repeat(20))).toBeUndefined();
    expect(index.byId('00'.repeat(16))).toBeUndefined();
  });

  it('a short read (a file cut under us) gives undefined', () => {
    const { folder, index } = setup();
    const id = journal(path.join(folder, 'a.journal'), [{ hash: H1, raw: Uint8Array.of(1, 2) }]);
    index.rescan();
    const file = index.byId(id)!;
    expect(index.read(file, { hash: H1, offset: 24 + 24 + 1, length: 10 })).toBeUndefined();
    expect(index.read(file, { hash: H1, offset: 1000, length: 1 })).toBeUndefined();
    expect(index.read(file, { hash: H1, offset: 0, length: 0 })).toEqual(new Uint8Array());
  });

  it('reads a grown journal on from where it stopped, never an incomplete record', () => {
    const { folder, index } = setup();
    const file = path.join(folder, 'a.journal');
    const id = journal(file, [{ hash: H1, raw: Uint8Array.of(1) }]);
    index.rescan();
    const more = encodeRecords([{ hash: H2, raw: Uint8Array.of(2) }, { hash: H3, raw: Uint8Array.of(3) }]);
    appendFileSync(file, more.subarray(0, 29 + 10));
    index.rescan();
    expect([...index.byId(id)!.records.keys()]).toEqual([H1, H2]);
    expect(index.byId(id)!.scanned).toBe(24 + 29 + 29);
    appendFileSync(file, more.subarray(29 + 10));
    index.rescan();
    expect([...index.byId(id)!.records.keys()]).toEqual([H1, H2, H3]);
    expect(index.byId(id)!.scanned).toBe(24 + 3 * 29);
    expect(index.known()).toHaveLength(1);
  });

  it('follows a journal renamed by its sealer instead of reading it twice', () => {
    const { folder, index } = setup();
    const id = journal(path.join(folder, 'w.journal'), [{ hash: H1, raw: Uint8Array.of(1) }]);
    index.rescan();
    const before = index.byId(id)!;
    renameSync(path.join(folder, 'w.journal'), path.join(folder, 's.sealing'));
    index.rescan();
    expect(index.known()).toEqual([before]);
    expect(before).toMatchObject({ name: 's.sealing', path: path.join(folder, 's.sealing'), fd: before.fd });
    expect(isClosed(before.fd)).toBe(false);
  });

  it('drops (and closes) a journal whose name is gone', () => {
    const { folder, index } = setup();
    const id = journal(path.join(folder, 'w.journal'), [{ hash: H1, raw: Uint8Array.of(1) }]);
    const keep = journal(path.join(folder, 'k.journal'), [{ hash: H2, raw: Uint8Array.of(2) }]);
    index.rescan();
    const gone = index.byId(id)!;
    unlinkSync(path.join(folder, 'w.journal'));
    index.rescan();
    expect(index.byId(id)).toBeUndefined();
    expect(index.known().map((f) => f.id)).toEqual([keep]);
    expect(index.locate(H1)).toBeUndefined();
    expect(isClosed(gone.fd)).toBe(true);
  });

  it('ignores files that are no whole journal header, and a journal that vanished before it was opened', () => {
    const { folder, index } = setup();
    writeFileSync(path.join(folder, 'short.journal'), 'GITTYJ01');
    writeFileSync(path.join(folder, 'wrong.journal'), Buffer.alloc(40, 1));
    symlinkSync(path.join(folder, 'nowhere'), path.join(folder, 'dangling.journal'));
    index.rescan();
    expect(index.known()).toEqual([]);
  });

  it('an appending journal is read by its writer, not by a scan', () => {
    const { folder, index } = setup();
    const file = path.join(folder, 'own.journal');
    const id = journal(file, []);
    index.rescan();
    const own = index.byId(id)!;
    own.appending = true;
    appendFileSync(file, encodeRecords([{ hash: H1, raw: Uint8Array.of(1) }]));
    index.rescan();
    expect(own.records.size).toBe(0);
    expect(own.scanned).toBe(24);
    own.appending = false;
    index.rescan();
    expect([...own.records.keys()]).toEqual([H1]);
  });

  it('marks damage and keeps the mark; a sealer skips just the damaged record', () => {
    const { folder, index } = setup();
    const file = path.join(folder, 'dead.journal');
    const { header, id } = journalHeader();
    const records = encodeRecords([{ hash: H1, raw: Uint8Array.of(1) }, { hash: H2, raw: Uint8Array.of(2) }, { hash: H3, raw: Uint8Array.of(3) }]);
    records[29 + 24] = records[29 + 24]! ^ 0xff;
    writeFileSync(file, Buffer.concat([header, records]));
    index.rescan();
    const dead = index.byId(id)!;
    expect([...dead.records.keys()]).toEqual([H1]);
    expect(dead).toMatchObject({ scanned: 24 + 29, damaged: true });
    index.readOn(dead, true);
    expect([...dead.records.keys()]).toEqual([H1, H3]);
    expect(dead).toMatchObject({ scanned: 24 + 3 * 29, damaged: true });
    appendFileSync(file, encodeRecords([{ hash: H2, raw: Uint8Array.of(2) }]));
    index.readOn(dead);
    expect(dead).toMatchObject({ scanned: 24 + 4 * 29, damaged: true });
    expect(dead.records.get(H2)).toEqual({ hash: H2, offset: 24 + 3 * 29 + 24, length: 1 });
  });

  it('a record longer than maxRaw is damage', () => {
    const { folder, index } = setup(2);
    const id = journal(path.join(folder, 'a.journal'), [{ hash: H1, raw: Uint8Array.of(1, 2) }, { hash: H2, raw: Uint8Array.of(1, 2, 3) }]);
    index.rescan();
    expect(index.byId(id)).toMatchObject({ scanned: 24 + 30, damaged: true });
  });

  it('a missing folder is no journals; an unreadable one is an error', () => {
    const { folder, index } = setup();
    rmSync(folder, { recursive: true });
    index.rescan();
    expect(index.known()).toEqual([]);
    writeFileSync(folder, 'a file, not a folder');
    index.rescan();
    expect(index.known()).toEqual([]);
    rmSync(folder);
    symlinkSync(folder, folder);
    expect(() => index.rescan()).toThrow(expect.objectContaining({ code: 'ELOOP', syscall: 'scandir' }));
  });

  it('drop forgets only the file it knows under that id, once; close drops all', () => {
    const { folder, index } = setup();
    const a = journal(path.join(folder, 'a.journal'), []);
    journal(path.join(folder, 'b.journal'), []);
    index.rescan();
    const fa = index.byId(a)!;
    index.drop({ ...fa });
    expect(index.byId(a)).toBe(fa);
    expect(isClosed(fa.fd)).toBe(false);
    index.drop(fa);
    expect(index.byId(a)).toBeUndefined();
    expect(isClosed(fa.fd)).toBe(true);
    index.drop(fa);
    const all = index.known();
    index.close();
    expect(index.known()).toEqual([]);
    for (const f of all) expect(isClosed(f.fd)).toBe(true);
  });

  it('a rescan of an unchanged folder opens nothing; a name that is no journal name is never opened, whatever it holds', () => {
    const { folder, index } = setup();
    journal(path.join(folder, 'a.journal'), [{ hash: H1, raw: Uint8Array.of(1) }]);
    journal(path.join(folder, 'copy.bak'), [{ hash: H2, raw: Uint8Array.of(2) }]);
    const opened: string[] = [];
    patchFs('openSync', (orig) => ((file: fs.PathLike, ...rest: never[]) => {
      opened.push(path.basename(String(file)));
      return (orig as (...a: unknown[]) => number)(file, ...rest);
    }) as typeof orig);
    index.rescan();
    expect(opened).toEqual(['a.journal']);
    expect([...index.hashes()]).toEqual([H1]);
    index.rescan();
    expect(opened).toEqual(['a.journal']);
  });

  it('a journal name that cannot be opened for another reason than a missing file is an error', () => {
    const { folder, index } = setup();
    symlinkSync(path.join(folder, 'loop.journal'), path.join(folder, 'loop.journal'));
    expect(() => index.rescan()).toThrow(expect.objectContaining({ code: 'ELOOP', syscall: 'open' }));
  });

  it('a journal cut shorter than what was read is left as it was read', () => {
    const { folder, index } = setup();
    const file = path.join(folder, 'a.journal');
    const id = journal(file, [{ hash: H1, raw: Uint8Array.of(1) }, { hash: H2, raw: Uint8Array.of(2) }]);
    index.rescan();
    truncateSync(file, 30);
    index.rescan();
    expect(index.byId(id)).toMatchObject({ scanned: 24 + 2 * 29, damaged: false });
    expect([...index.byId(id)!.records.keys()]).toEqual([H1, H2]);
  });

  it('reads on over short reads, each at the next place', () => {
    const { folder, index } = setup();
    const id = journal(path.join(folder, 'a.journal'), [{ hash: H1, raw: Uint8Array.of(1, 2, 3) }, { hash: H2, raw: Uint8Array.of(4) }]);
    patchFs('readSync', (orig) => ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) =>
      (orig as (...a: unknown[]) => number)(fd, buffer, offset, position === 0 ? length : Math.min(length, 7), position)) as typeof orig);
    index.rescan();
    const file = index.byId(id)!;
    expect([...file.records.values()]).toEqual([{ hash: H1, offset: 48, length: 3 }, { hash: H2, offset: 24 + 31 + 24, length: 1 }]);
    expect(index.read(file, file.records.get(H1)!)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('stops reading on where a read finds the end early (a file cut between its size and the read)', () => {
    const { folder, index } = setup();
    const id = journal(path.join(folder, 'a.journal'), [{ hash: H1, raw: Uint8Array.of(1) }, { hash: H2, raw: Uint8Array.of(2) }]);
    patchFs('readSync', (orig) => ((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) =>
      position >= 24 + 29 ? 0 : (orig as (...a: unknown[]) => number)(fd, buffer, offset, Math.min(length, 24 + 29 - position), position)) as typeof orig);
    index.rescan();
    expect(index.byId(id)).toMatchObject({ scanned: 24 + 29, damaged: false });
    expect([...index.byId(id)!.records.keys()]).toEqual([H1]);
  });
});
