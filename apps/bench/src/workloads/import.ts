import type { ImportVersion } from '@gitty/core';
import type { BenchContext } from '../context.js';
import type { GeneratedVersion } from '../data.js';
import { openRowStore } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import { fastImport, fastImportStream, initBare } from '../peers/git.js';
import type { Row } from '../report.js';
import { comparedRow, missingRows, reasonOf } from './rows.js';

const FAST_IMPORT = 'git fast-import';

/** The data set as `Store.import` takes it: the generated times, so the commits hash as the generator computed them. */
function importVersions(versions: readonly GeneratedVersion[]): ImportVersion[] {
  return versions.map((v) => ({ name: v.name, data: v.bytes, meta: { time: v.time } }));
}

/**
 * Import: versions/s of one `Store.import` of the whole data set (every version of every file)
 * into an empty store, per driver, against `git fast-import` reading the same versions (blob,
 * one-entry tree, commit each) from a prepared stream into a fresh bare repository, in
 * interleaved rounds. Each import's heads are checked against the generator's hashes, so every
 * subject writes the same objects.
 */
export async function importWorkload(ctx: BenchContext): Promise<Row[]> {
  const versions = ctx.data.versions;
  const input = importVersions(versions);
  const expected = new Map(ctx.data.byFile.map((file) => [file.at(-1)!.name, file.at(-1)!.commitHash]));
  const stream = fastImportStream(versions);
  const subjects = [...ctx.drivers.map((d) => d.id), FAST_IMPORT];
  const failures = new Map<string, string>();
  ctx.log(`import: ${versions.length} versions × ${subjects.length} subjects × ${ctx.options.rounds} rounds`);

  const measure = async (subject: string, round: number): Promise<number> => {
    const row = ctx.drivers.find((d) => d.id === subject);
    let ms: number;
    if (row) {
      const place = await ctx.place(row, `import${round}`);
      const store = await openRowStore(row, place);
      try {
        let heads: Record<string, string> = {};
        ms = await timed(async () => {
          heads = (await store.import(input)).heads;
        });
        for (const [name, head] of expected) {
          if (heads[name] !== head) throw new Error(`${name}: the import's head ${heads[name]} is not the generator's ${head}`);
        }
      } finally {
        await store.close();
      }
      await ctx.removeDir(place.dir);
    } else {
      const dir = await ctx.tempDir('import-fast-import');
      await initBare(dir);
      ms = await timed(() => fastImport(dir, stream));
      await ctx.removeDir(dir);
    }
    return versions.length / (ms / 1000);
  };

  const values = await interleave(subjects, ctx.options.rounds, measure, (subject, err) => {
    failures.set(subject, reasonOf(err));
    ctx.log(`import: ${subject} failed: ${reasonOf(err)}`);
  });

  const unit = 'versions/s';
  const rows: Row[] = [];
  for (const row of ctx.drivers) {
    const note = failures.has(row.id) ? `failed: ${failures.get(row.id)}` : undefined;
    const goal = row.id === 'packs' ? { text: '≥ 0.5× git fast-import', on: 'ratio' as const, op: '>=' as const, target: 0.5 } : undefined;
    rows.push(comparedRow('import', values, row.id, FAST_IMPORT, 'Store.import', unit, { goal, note }));
  }
  rows.push(...missingRows(ctx, 'import', 'Store.import', unit));
  rows.push(comparedRow('import', values, FAST_IMPORT, undefined, 'blob + tree + commit', unit, { note: 'one pack, deltas; same versions from a prepared stream' }));
  if (failures.has(FAST_IMPORT)) ctx.notes.push(`import peer ${FAST_IMPORT} failed: ${failures.get(FAST_IMPORT)}`);
  return rows;
}
