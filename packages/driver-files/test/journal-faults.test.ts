import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { openStore, type Store } from '@gitty/core';
import { git, run, spawnTs, tempDir, waitFor } from '@gitty/driver-test/harness';
import { createGitScratchRepo } from '@gitty/driver-files';
import { JOURNAL_HEADER_BYTES } from '../src/journal-format.js';
import { JournalIndex } from '../src/journal-index.js';
import { journalFiles, journalRecords } from './journal-support.js';
import { canMount, mountSmallTmpfs } from './small-tmpfs.js';
import { openFiles } from './support.js';

const journalWriter = fileURLToPath(new URL('./children/journal-writer.ts', import.meta.url));
const journalThief = fileURLToPath(new URL('./children/journal-thief.ts', import.meta.url));

type Ack = { ack: string; commit: string; sha: string };
type Fail = { fail: string; message: string };
type Line = Ack | Fail | { done: string } | { ready: number };

/** A journal-writer child driven line by line (see children/journal-writer.ts). */
class Writer {
  private readonly lines: Line[] = [];
  private read = 0;
  private stderr = '';
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    readline.createInterface({ input: child.stdout! }).on('line', (l) => this.lines.push(JSON.parse(l) as Line));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.on('exit', resolve));
  }

  static async start(dir: string): Promise<Writer> {
    const writer = new Writer(spawnTs(journalWriter, [dir], { stdio: ['pipe', 'pipe', 'pipe'] }));
    await writer.until('ready');
    return writer;
  }

  /** Lines up to and including the first with key `key` (not yet returned). */
  async until(key: 'ready' | 'done'): Promise<Line[]> {
    let exitedEarly = false;
    void this.exited.then(() => (exitedEarly = true));
    await waitFor(() => exitedEarly || this.lines.slice(this.read).some((l) => key in l), 60_000);
    const at = this.lines.findIndex((l, i) => i >= this.read && key in l);
    if (at < 0) throw new Error(`journal-writer exited before "${key}": ${this.stderr}`);
    const out = this.lines.slice(this.read, at + 1);
    this.read = at + 1;
    return out;
  }

  async write(first: number, count: number): Promise<(Ack | Fail)[]> {
    this.child.stdin!.write(`write ${first} ${count}\n`);
    return (await this.until('done')).filter((l): l is Ack | Fail => 'ack' in l || 'fail' in l);
  }

  async close(): Promise<void> {
    this.child.stdin!.write('close\n');
    await this.until('done');
    expect(await this.exited, this.stderr).toBe(0);
  }
}

const acks = (lines: readonly (Ack | Fail)[]): Ack[] => lines.filter((l): l is Ack => 'ack' in l);
const fails = (lines: readonly (Ack | Fail)[]): Fail[] => lines.filter((l): l is Fail => 'fail' in l);

/** Where each journal's whole records end, and its size: a torn tail is size > end. */
function journalTail(file: string): { records: number; damaged: number; end: number; size: number } {
  const records = journalRecords(file);
  const last = records.at(-1);
  return {
    records: records.length,
    damaged: records.filter((r) => !r.crcOk).length,
    end: last ? last.offset + last.length + 4 : JOURNAL_HEADER_BYTES,
    size: statSync(file).size,
  };
}

/** Every acknowledged version reads back whole through `store`, and each file's head is its last ack. */
async function expectAllRead(store: Store, acked: readonly Ack[]): Promise<void> {
  const last = new Map<string, string>();
  for (const a of acked) {
    last.set(a.ack, a.commit);
    const version = await store.get(a.commit);
    expect(createHash('sha1').update(version.text).digest('hex'), `${a.ack} ${a.commit}`).toBe(a.sha);
  }
  for (const [name, commit] of last) expect(await store.head(name), name).toBe(commit);
}


/**
 * A store folder whose writer child can be made to run out of room and given it back, as in
 * full-disk.test.ts: a small tmpfs filled with a filler file (as root), else the child's file
 * size limit (RLIMIT_FSIZE, EFBIG) set and lifted on the running child with `prlimit --pid`.
 */
interface Cramped {
  dir: string;
  squeeze(pid: number): Promise<void>;
  relieve(pid: number): Promise<void>;
  dispose(): Promise<void>;
}

async function tmpfsCramped(): Promise<Cramped> {
  const tmpfs = await mountSmallTmpfs('gitty-jfull-', '4m');
  return {
    dir: path.join(tmpfs.mount, 'store'),
    squeeze: async () => tmpfs.fill(),
    relieve: tmpfs.relieve,
    dispose: tmpfs.dispose,
  };
}

async function fsizeCramped(): Promise<Cramped> {
  const { dir: base, remove } = await tempDir('gitty-jfsize-');
  const dir = path.join(base, 'store');
  const prlimit = async (pid: number, limit: string) => {
    const result = await run('prlimit', ['--pid', String(pid), `--fsize=${limit}`]);
    if (result.code !== 0) throw new Error(`prlimit failed: ${result.stderr}`);
  };
  return {
    dir,
    squeeze: async (pid) => {
      // A little past the largest file: the journal's next appends fail (EFBIG), a new journal fills up soon.
      const sizes = [...journalFiles(dir), path.join(dir, 'ref', 'head')].map((f) => statSync(f).size);
      await prlimit(pid, `${Math.max(...sizes) + 700}:unlimited`);
    },
    relieve: (pid) => prlimit(pid, 'unlimited:unlimited'),
    dispose: remove,
  };
}

describe('the object journal under real faults', () => {
  const how = process.env.GITTY_FULL_DISK ?? (canMount() ? 'tmpfs' : 'fsize');
  it(`(${how}) a full disk: failing writes reject with STORAGE_FULL, no torn record stays, nothing acknowledged is lost, and the journal works again once room returns`, async () => {
    const cramped = how === 'tmpfs' ? await tmpfsCramped() : await fsizeCramped();
    try {
      await mkdir(cramped.dir, { recursive: true });
      const writer = await Writer.start(cramped.dir);
      const pid = writer.child.pid!;
      const roomy = await writer.write(0, 6);
      expect(fails(roomy)).toEqual([]);

      await cramped.squeeze(pid);
      const tight = await writer.write(6, 40);
      expect(acks(tight).length + fails(tight).length).toBe(40);
      expect(fails(tight).length).toBeGreaterThan(0);
      for (const f of fails(tight)) expect(f.fail, f.message).toBe('STORAGE_FULL');
      // Every failed append was cut off: each journal ends with a whole record.
      const abandoned = journalFiles(cramped.dir);
      expect(abandoned.length).toBeGreaterThan(0);
      for (const file of abandoned) {
        const tail = journalTail(file);
        expect({ ...tail, file }).toEqual({ ...tail, damaged: 0, size: tail.end, file });
      }

      await cramped.relieve(pid);
      const relieved = await writer.write(46, 10);
      expect(fails(relieved)).toEqual([]);
      const acked = [...acks(roomy), ...acks(tight), ...acks(relieved)];
      // The new records are whole, in journals without a torn record before them.
      const relievedHashes = new Set<string>();
      for (const file of journalFiles(cramped.dir)) {
        const tail = journalTail(file);
        expect({ ...tail, file }).toEqual({ ...tail, damaged: 0, size: tail.end, file });
        for (const r of journalRecords(file)) relievedHashes.add(r.hash);
      }
      for (const a of acks(relieved)) expect(relievedHashes.has(a.commit), a.commit).toBe(true);

      // Another process reads every acknowledged version while the writer still holds its journals.
      const reader = await openStore(await openFiles(cramped.dir));
      try {
        await expectAllRead(reader, acked);
        expect((await reader.fsck()).errors).toEqual([]);
      } finally {
        await reader.close();
      }

      await writer.close();
      // Closing sealed every journal of the writer, the abandoned ones too: all loose now.
      expect(journalFiles(cramped.dir)).toEqual([]);
      const after = await openStore(await openFiles(cramped.dir));
      try {
        await expectAllRead(after, acked);
        const stats = await after.driverStats();
        expect([stats.journals, stats.journalObjects, stats.looseObjects]).toEqual([0, 0, 2 * acked.length]);
        expect((await after.fsck()).errors).toEqual([]);
      } finally {
        await after.close();
      }
    } finally {
      await cramped.dispose();
    }
  }, 120_000);

  it('a journal taken by a sealer of another machine while many writes are in flight: every acknowledged version stays readable', async () => {
    const { dir, remove } = await tempDir('gitty-jtaken-');
    let thief: ChildProcess | undefined;
    try {
      const store = await openStore(await openFiles(dir, { durability: 'fsync', journal: true }));
      let closed = false;
      try {
        await store.create('warm.txt', 'the journal exists before the thief starts\n');
        thief = spawnTs(journalThief, [dir], { stdio: ['pipe', 'pipe', 'pipe'] });
        let thiefOut = '';
        thief.stdout!.on('data', (d: Buffer) => (thiefOut += d.toString()));
        await waitFor(() => thiefOut.includes('ready'), 30_000);
        const acked: Ack[] = [{ ack: 'warm.txt', commit: (await store.head('warm.txt'))!, sha: sha('the journal exists before the thief starts\n') }];
        // Eight files written concurrently: group commits of several records, each raced by the thief.
        await Promise.all(Array.from({ length: 8 }, async (_, w) => {
          const name = `w${w}.txt`;
          let head: string | undefined;
          for (let i = 0; i < 40; i++) {
            const text = `writer ${w} version ${i}\n`.repeat(1 + ((i * 13 + w) % 50));
            head = (head ? await store.update(name, text, { previous: head }) : await store.create(name, text)).commit;
            acked.push({ ack: name, commit: head, sha: sha(text) });
          }
        }));
        thief.stdin!.end();
        await new Promise((resolve) => thief!.on('exit', resolve));
        const { steals, records, headerless } = JSON.parse(thiefOut.trim().split('\n').at(-1)!) as { steals: number; records: number; headerless: number[] };
        await expectAllRead(store, acked);
        const other = await openStore(await openFiles(dir));
        try {
          await expectAllRead(other, acked);
        } finally {
          await other.close();
        }
        // The race really ran: journals were taken, with records in them.
        expect(steals).toBeGreaterThan(3);
        expect(records).toBeGreaterThan(0);
        // Every journal it took was one the writer made: none a file the writer re-created under a taken name.
        expect(headerless).toEqual([]);
        await store.close();
        closed = true;
        expect(journalFiles(dir)).toEqual([]);
        const after = await openStore(await openFiles(dir));
        try {
          await expectAllRead(after, acked);
          expect((await after.fsck()).errors).toEqual([]);
        } finally {
          await after.close();
        }
      } finally {
        if (!closed) await store.close();
      }
    } finally {
      if (thief && thief.exitCode === null) thief.kill('SIGKILL');
      await remove();
    }
  }, 120_000);

  it('a journal taken right after its writer renamed it into place: the writer never appends to a new file of that name', async () => {
    const { dir, remove } = await tempDir('gitty-jtaken-');
    const realRename = fs.renameSync;
    let taken = 0;
    // The sealer of another machine wins the race between the writer's rename into place and its open.
    fs.renameSync = (from: fs.PathLike, to: fs.PathLike) => {
      realRename(from, to);
      if (taken === 0 && path.basename(String(from)).startsWith('.tmp-') && String(to).endsWith('.journal')) {
        taken++;
        const sealing = path.join(path.dirname(String(to)), 'elsewhere-1-abcdef.sealing');
        realRename(to, sealing);
        fs.unlinkSync(sealing); // a header and no records: nothing to seal
      }
    };
    syncBuiltinESMExports();
    try {
      const store = await openStore(await openFiles(dir, { durability: 'fsync', journal: true }));
      const acked: Ack[] = [];
      try {
        await Promise.all(Array.from({ length: 3 }, async (_, w) => {
          let head: string | undefined;
          for (let i = 0; i < 3; i++) {
            const text = `early ${w} ${i}\n`;
            head = (head ? await store.update(`e${w}.txt`, text, { previous: head }) : await store.create(`e${w}.txt`, text)).commit;
            acked.push({ ack: `e${w}.txt`, commit: head, sha: sha(text) });
          }
        }));
        expect(taken).toBe(1);
        await expectAllRead(store, acked);
        const other = await openStore(await openFiles(dir));
        try {
          await expectAllRead(other, acked);
        } finally {
          await other.close();
        }
      } finally {
        await store.close();
      }
      expect(journalFiles(dir)).toEqual([]);
      const after = await openStore(await openFiles(dir));
      try {
        await expectAllRead(after, acked);
        expect((await after.fsck()).errors).toEqual([]);
      } finally {
        await after.close();
      }
    } finally {
      fs.renameSync = realRename;
      syncBuiltinESMExports();
      await remove();
    }
  });

  it('git reads every object of every version once a journal store is closed', async () => {
    const { dir, remove } = await tempDir('gitty-jgit-');
    try {
      const store = await openStore(await openFiles(dir, { durability: 'fsync', journal: true }));
      const hashes = new Set<string>();
      try {
        await Promise.all(Array.from({ length: 4 }, async (_, w) => {
          let head = (await store.create(`g${w}.md`, `# file ${w}\n`)).commit;
          for (let i = 0; i < 10; i++) head = (await store.update(`g${w}.md`, `# file ${w}\nline ${i}\n`, { previous: head })).commit;
        }));
        await store.create('binary.bin', new Uint8Array([0, 1, 2, 255, 254, 0]));
        await store.save('a raw blob saved directly');
        for await (const hash of store.driver.objects()) hashes.add(hash);
        expect(hashes.size).toBe(2 * 45 + 1);
        // Still in the journal while open (what git cannot see): that is what closing must change.
        expect((await store.driverStats()).journalObjects).toBe(hashes.size);
      } finally {
        await store.close();
      }
      expect(journalFiles(dir)).toEqual([]);
      const scratch = await createGitScratchRepo(dir);
      try {
        const checked = (await git(['--git-dir', scratch.gitDir, 'cat-file', '--batch-check'], { input: [...hashes].join('\n') + '\n' }))
          .toString().trim().split('\n');
        expect(checked.filter((line) => line.endsWith(' missing'))).toEqual([]);
        expect(checked.length).toBe(hashes.size);
        const reopened = await openStore(await openFiles(dir));
        try {
          for (const line of checked) {
            const [hash, type, size] = line.split(' ');
            const object = await reopened.load(hash!);
            expect([type, Number(size)]).toEqual([object.type, object.data.length]);
          }
        } finally {
          await reopened.close();
        }
        const listed = (await git(['--git-dir', scratch.gitDir, 'cat-file', '--batch-all-objects', '--batch-check=%(objectname)']))
          .toString().trim().split('\n');
        expect(listed.sort()).toEqual([...hashes].sort());
      } finally {
        await scratch.remove();
      }
    } finally {
      await remove();
    }
  }, 60_000);

  it('a dead writer\'s journal damaged in the middle: the live reader stops there, sealing keeps every other record and drops only the damaged one', async () => {
    const { dir, remove } = await tempDir('gitty-jdamaged-');
    try {
      const writer = await Writer.start(dir);
      const acked = acks(await writer.write(0, 8));
      expect(acked.length).toBe(8);
      writer.child.kill('SIGKILL');
      await writer.exited;

      const [file] = journalFiles(dir);
      expect(journalFiles(dir).length).toBe(1);
      const records = journalRecords(file!);
      expect(records.length).toBe(16);
      // A blob in the middle: its version's commit then lacks its data, nothing else does.
      const typeOf = (r: { offset: number; length: number }) =>
        zlib.inflateSync(readFileSync(file!).subarray(r.offset, r.offset + r.length)).toString('latin1').split(' ')[0];
      const victimAt = records.findIndex((r, i) => i >= 6 && typeOf(r) === 'blob');
      expect(victimAt).toBeLessThan(12);
      const victim = records[victimAt]!;
      const bytes = readFileSync(file!);
      bytes[victim.offset + (victim.length >> 1)]! ^= 0x01;
      writeFileSync(file!, bytes);

      // A reader that does not seal stops at the bad CRC: the records before it, and "damaged".
      const live = new JournalIndex(path.dirname(file!), 1 << 30);
      try {
        live.rescan();
        const [seen] = live.known();
        expect([seen!.records.size, seen!.damaged]).toEqual([victimAt, true]);
      } finally {
        live.close();
      }

      // Opening seals the dead writer's journal, past the damage.
      const store = await openStore(await openFiles(dir));
      try {
        expect(journalFiles(dir)).toEqual([]);
        const stats = await store.driverStats();
        expect([stats.journals, stats.journalSeals, stats.journalsDamaged, stats.looseObjects]).toEqual([0, 1, 0, 15]);
        const loose = path.join(dir, 'objects');
        for (const r of records) expect(existsSync(path.join(loose, r.hash.slice(0, 2), r.hash.slice(2))), r.hash).toBe(r !== victim);
        expect(await store.has(victim.hash)).toBe(false);
        let victimCommit: Ack | undefined;
        for (const a of acked) if ((await store.commit(a.commit)).data === victim.hash) victimCommit = a;
        expect(victimCommit).toBeDefined();
        await expectAllRead(store, acked.filter((a) => a !== victimCommit));
        const report = await store.fsck();
        expect(report.counts.corrupt).toBe(0);
        expect(report.errors.map((e) => [e.code, e.hash])).toEqual([['MISSING_OBJECT', victimCommit!.commit]]);
      } finally {
        await store.close();
      }
    } finally {
      await remove();
    }
  }, 60_000);
});

function sha(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
