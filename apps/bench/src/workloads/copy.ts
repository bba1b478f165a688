import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run, tsNodeArgs } from '@gitty/driver-test/harness';
import type { BenchContext } from '../context.js';
import { openRowStore, type DriverRow } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import { fastImport, fastImportStream, initBare } from '../peers/git.js';
import type { Row } from '../report.js';
import { comparedRow, reasonOf } from './rows.js';

const FAST_IMPORT = 'git fast-import';
const METRIC = 'gitty copy, whole data set';
const UNIT = 'versions/s';
/** The copy targets measured, when their row is selected: the drivers `gitty copy` is used to migrate to. */
const TARGETS = ['files', 'packs'] as const;
const subjectOf = (target: string) => `gitty copy → ${target}`;

/**
 * The CLI's entry point and the node arguments that run it. The bench does not depend on the CLI
 * package (it measures the command as users run it, in its own process): from sources (tsx,
 * vitest) its `.ts` runs through tsx, from `dist` its built `main.js`, which `pnpm bench` builds.
 */
async function cliCommand(): Promise<{ args: (cliArgs: string[]) => string[] } | { missing: string }> {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`../../../cli/${fromSources ? 'src/main.ts' : 'dist/main.js'}`, import.meta.url));
  try {
    await access(file);
  } catch {
    return { missing: `${file} not found (build it: pnpm --filter @gitty/cli build)` };
  }
  return { args: (cliArgs) => (fromSources ? tsNodeArgs(file, cliArgs) : [file, ...cliArgs]) };
}

/**
 * Copy: versions/s of `gitty copy <files store> <target>:<new dir>` — the CLI in a child process,
 * startup included — from a files store holding the whole data set into an empty files store and
 * an empty packs store, against `git fast-import` (also a child process) reading the same
 * versions from a prepared stream into a fresh bare repository, in interleaved rounds. Every
 * copy's heads are checked against the generator's hashes (hashes are preserved by copy).
 */
export async function copyWorkload(ctx: BenchContext): Promise<Row[]> {
  const files = ctx.drivers.find((r) => r.id === 'files');
  const targets = TARGETS.map((id) => ctx.drivers.find((r) => r.id === id)).filter((r): r is DriverRow => r !== undefined);
  const cli = await cliCommand();
  if (!files || 'missing' in cli) {
    const why = !files ? 'not available (the copy source is a files store)' : `not available: ${'missing' in cli ? cli.missing : ''}`;
    return [{ workload: 'copy', subject: subjectOf('files'), metric: METRIC, unit: UNIT, value: null, note: why }];
  }
  const versions = ctx.data.versions;
  const expected = new Map(ctx.data.byFile.map((file) => [file.at(-1)!.name, file.at(-1)!.commitHash]));
  const stream = fastImportStream(versions);
  const source = await ctx.builtStore(files);
  const subjects = [...targets.map((t) => subjectOf(t.id)), FAST_IMPORT];
  const failures = new Map<string, string>();
  // A copy of 10k versions into packs took ~2 minutes on a loaded 2-core machine: one round from
  // 5,000 versions up (the full run), two below, so the bench keeps near its time.
  const rounds = Math.min(ctx.options.rounds, versions.length >= 5_000 ? 1 : 2);
  ctx.log(`copy: ${versions.length} versions × ${subjects.length} subjects × ${rounds} rounds`);

  const measure = async (subject: string, round: number): Promise<number> => {
    const target = targets.find((t) => subjectOf(t.id) === subject);
    let ms: number;
    if (target) {
      const place = await ctx.place(target, `copy${round}`);
      const args = cli.args(['copy', source.place.dir, `${target.id}:${place.dir}`]);
      let failed = '';
      ms = await timed(async () => {
        const result = await run(process.execPath, args);
        if (result.code !== 0) failed = `exit ${result.code}: ${result.stderr.trim().split('\n').at(-1) ?? ''}`;
      });
      if (failed) throw new Error(`gitty copy → ${target.id}: ${failed}`);
      const store = await openRowStore(target, place);
      try {
        for (const [name, head] of expected) {
          const got = await store.head(name);
          if (got !== head) throw new Error(`${name}: the copy's head ${got} is not the source's ${head}`);
        }
      } finally {
        await store.close();
      }
      await ctx.removeDir(place.dir);
    } else {
      const dir = await ctx.tempDir('copy-fast-import');
      await initBare(dir);
      ms = await timed(() => fastImport(dir, stream));
      await ctx.removeDir(dir);
    }
    return versions.length / (ms / 1000);
  };

  const values = await interleave(subjects, rounds, measure, (subject, err) => {
    failures.set(subject, reasonOf(err));
    ctx.log(`copy: ${subject} failed: ${reasonOf(err)}`);
  });

  const rows: Row[] = [];
  for (const target of targets) {
    const subject = subjectOf(target.id);
    const note = failures.has(subject) ? `failed: ${failures.get(subject)}` : `from a files store; CLI process startup included`;
    rows.push(comparedRow('copy', values, subject, FAST_IMPORT, METRIC, UNIT, { note }));
  }
  rows.push(comparedRow('copy', values, FAST_IMPORT, undefined, 'blob + tree + commit', UNIT, { note: failures.has(FAST_IMPORT) ? `failed: ${failures.get(FAST_IMPORT)}` : 'same versions from a prepared stream, one process' }));
  return rows;
}
