import path from 'node:path';
import type { BenchContext } from '../context.js';
import { subset } from '../data.js';
import { EXTRA_ROWS, openRowStore, type DriverRow } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import { fastImport, fastImportStream, hashObjectPaths, initBare, writeVersionFiles } from '../peers/git.js';
import { LooseObjectFloor } from '../peers/floor.js';
import { JournalFloor } from '../peers/journal-floor.js';
import { IsomorphicGitPeer } from '../peers/isomorphic-git.js';
import type { Row } from '../report.js';
import { writeVersions } from '../store-writer.js';
import { comparedRow, missingRows, reasonOf } from './rows.js';

const ISO = 'isomorphic-git';
const FAST_IMPORT = 'git fast-import';
const HASH_OBJECT = 'git hash-object';
const FLOOR = 'floor';
const FLOOR_FSYNC = 'floor (fsync)';
const JOURNAL = 'floor (journal)';
const JOURNAL_SYNC = 'floor (journal, fdatasync)';

/**
 * Ingest: versions/s written through the Store API by each driver, against isomorphic-git writing
 * the same blob + commit objects loose, git fast-import and hash-object, and the floor (a bare
 * temp+rename loop), in interleaved rounds on a fresh directory each time.
 */
export async function ingestWorkload(ctx: BenchContext): Promise<Row[]> {
  const data = subset(ctx.data, ctx.options.ingestFiles);
  const versions = data.versions;
  const stream = fastImportStream(versions);
  const paths = await writeVersionFiles(await ctx.tempDir('texts'), versions);
  // The journal rows ride along unless --drivers leaves them out.
  const journalRows = EXTRA_ROWS.filter((r) => r.id.startsWith('files-journal') && (ctx.options.drivers.length === 0 || ctx.options.drivers.includes(r.id)));
  const drivers: DriverRow[] = [...ctx.drivers, ...journalRows];
  const subjects = [...drivers.map((d) => d.id), ISO, FAST_IMPORT, HASH_OBJECT, FLOOR, FLOOR_FSYNC, JOURNAL, JOURNAL_SYNC];
  const failures = new Map<string, string>();
  ctx.log(`ingest: ${versions.length} versions × ${subjects.length} subjects × ${ctx.options.rounds} rounds`);

  const measure = async (subject: string, round: number): Promise<number> => {
    const row = drivers.find((d) => d.id === subject);
    let ms: number;
    if (row) {
      const place = await ctx.place(row, `ingest${round}`);
      ms = await timed(async () => {
        const store = await openRowStore(row, place);
        try {
          await writeVersions(store, versions);
        } finally {
          await store.close();
        }
      });
      await ctx.removeDir(place.dir);
    } else {
      const dir = await ctx.tempDir(`ingest-${subject.replace(/\W+/g, '-')}`);
      ms = await measurePeer(subject, dir);
      await ctx.removeDir(dir);
    }
    return versions.length / (ms / 1000);
  };

  const measurePeer = async (subject: string, dir: string): Promise<number> => {
    switch (subject) {
      case ISO: {
        const iso = new IsomorphicGitPeer(dir);
        await iso.init();
        return timed(async () => {
          for (const v of versions) {
            await iso.write('blob', v.bytes);
            await iso.write('commit', v.commitBody);
          }
        });
      }
      case FAST_IMPORT:
        await initBare(dir);
        return timed(() => fastImport(dir, stream));
      case HASH_OBJECT:
        await initBare(dir);
        return timed(() => hashObjectPaths(dir, paths));
      case JOURNAL:
      case JOURNAL_SYNC: {
        const journal = new JournalFloor(path.join(dir, 'journal'), subject === JOURNAL_SYNC);
        await journal.open();
        try {
          return await timed(async () => {
            for (const v of versions) await journal.writeVersion(v.name, { type: 'blob', body: v.bytes }, { type: 'commit', body: v.commitBody });
          });
        } finally {
          await journal.close();
        }
      }
      default: {
        const floor = new LooseObjectFloor(path.join(dir, 'objects'), subject === FLOOR_FSYNC);
        return timed(async () => {
          for (const v of versions) {
            await floor.write({ type: 'blob', body: v.bytes });
            await floor.write({ type: 'commit', body: v.commitBody });
          }
        });
      }
    }
  };

  const values = await interleave(subjects, ctx.options.rounds, measure, (subject, err) => {
    failures.set(subject, reasonOf(err));
    ctx.log(`ingest: ${subject} failed: ${reasonOf(err)}`);
  });

  const unit = 'versions/s';
  const rows: Row[] = [];
  for (const row of drivers) {
    const failed = failures.has(row.id) ? `failed: ${failures.get(row.id)}` : undefined;
    const journal = row.id.startsWith('files-journal');
    const note = failed ?? (journal ? 'object journal; the time includes sealing it into loose objects at close' : undefined);
    const target = row.id === 'files' || row.id === 'files-journal' ? 3 : row.id === 'files-journal-fsync' ? 1 : undefined;
    const goal = target === undefined ? undefined : { text: `≥ ${target}× isomorphic-git`, on: 'ratio' as const, op: '>=' as const, target };
    const durable = row.id.endsWith('-fsync');
    rows.push(comparedRow('ingest', values, row.id, ISO, 'create/update', unit, { goal, note }));
    rows.push(comparedRow('ingest', values, row.id, durable ? (journal ? JOURNAL_SYNC : FLOOR_FSYNC) : journal ? JOURNAL : FLOOR, 'create/update', unit, { note }));
  }
  rows.push(...missingRows(ctx, 'ingest', 'create/update', unit));
  rows.push(comparedRow('ingest', values, ISO, undefined, 'blob + commit', unit, { note: 'writeObject, loose, the reference peer' }));
  rows.push(comparedRow('ingest', values, FAST_IMPORT, ISO, 'blob + commit + tree', unit, { note: 'one pack, deltas against the previous version' }));
  rows.push(comparedRow('ingest', values, HASH_OBJECT, ISO, 'blob only', unit, { note: 'loose blobs, no commits; one process for all' }));
  rows.push(comparedRow('ingest', values, FLOOR, ISO, 'blob + commit', unit, { note: 'bare temp+rename loop, no fsync' }));
  rows.push(comparedRow('ingest', values, FLOOR_FSYNC, ISO, 'blob + commit', unit, { note: 'bare temp+rename loop, fsync each file' }));
  rows.push(comparedRow('ingest', values, JOURNAL, ISO, 'blob + commit + head line', unit, { note: 'one append per version to one file, no fsync (journal-pack floor)' }));
  rows.push(comparedRow('ingest', values, JOURNAL_SYNC, ISO, 'blob + commit + head line', unit, { note: 'one append + fdatasync per version (durable journal-pack floor)' }));
  for (const [subject, reason] of failures) {
    if (!drivers.some((d) => d.id === subject)) ctx.notes.push(`ingest peer ${subject} failed: ${reason}`);
  }
  return rows;
}
