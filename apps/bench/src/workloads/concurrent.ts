import { defaultDriverContext, openStore } from '@gitty/core';
import type { BenchContext } from '../context.js';
import { subset } from '../data.js';
import { driverRow, loadDriver } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import type { Row } from '../report.js';
import { writeVersions } from '../store-writer.js';
import { comparedRow, reasonOf } from './rows.js';

/** Writers in the one process: the busy server the issue names (one writer per file). */
export const CONCURRENT_WRITERS = 32;

const GROUP = 'files-fsync';
const BASELINE = 'files-fsync (groupCommit: false)';
const NO_FSYNC = 'files';
const JOURNAL = 'files-journal-fsync';

const SUBJECTS: Record<string, Record<string, unknown>> = {
  [GROUP]: { durability: 'fsync' },
  [BASELINE]: { durability: 'fsync', groupCommit: false },
  [NO_FSYNC]: { durability: 'none' },
  [JOURNAL]: { durability: 'fsync', journal: true },
};

/**
 * Concurrent durable writers: 32 writers in one process, each writing its own file's versions
 * in order through the Store API, all at once, with the default durability (fsync, group
 * commit) against the same driver with group commit off (every write flushed on its own, as
 * before group commit) and without fsync (the ceiling), in interleaved rounds.
 */
export async function concurrentWorkload(ctx: BenchContext): Promise<Row[]> {
  const data = subset(ctx.data, CONCURRENT_WRITERS);
  const writers = data.byFile;
  const total = data.versions.length;
  const metric = `${writers.length} writers, distinct files`;
  const unit = 'versions/s';
  const unavailable = (reason: string): Row[] => {
    ctx.notes.push(`concurrent: ${reason}`);
    return Object.keys(SUBJECTS).map((subject) => ({ workload: 'concurrent', subject, metric, unit, value: null, note: 'not available' }));
  };
  if (!ctx.drivers.some((d) => d.id === 'files' || d.id === 'files-fsync')) return unavailable('not selected (--drivers has no files row)');
  const available = await loadDriver(driverRow('files'));
  if (!available.available) return unavailable(available.reason);
  const failures = new Map<string, string>();
  ctx.log(`concurrent: ${writers.length} writers × ${data.versionsPerFile} versions × ${Object.keys(SUBJECTS).length} subjects × ${ctx.options.rounds} rounds`);

  const values = await interleave(Object.keys(SUBJECTS), ctx.options.rounds, async (subject, round) => {
    const dir = await ctx.tempDir(`concurrent-${round}`);
    try {
      const store = await openStore(await available.factory({ dir, ...SUBJECTS[subject] }, defaultDriverContext()));
      try {
        const ms = await timed(() => Promise.all(writers.map((versions) => writeVersions(store, versions))));
        return total / (ms / 1000);
      } finally {
        await store.close();
      }
    } finally {
      await ctx.removeDir(dir);
    }
  }, (subject, err) => {
    failures.set(subject, reasonOf(err));
    ctx.log(`concurrent: ${subject} failed: ${reasonOf(err)}`);
  });

  const note = (subject: string, text: string) => (failures.has(subject) ? `failed: ${failures.get(subject)}` : text);
  return [
    // No goal on the loose row: on a quiet disk its own no-flush ceiling (the `files` row) is only
    // about 3.4× the baseline, so no flush, however cheap, could make it 3× (README).
    comparedRow('concurrent', values, GROUP, BASELINE, metric, unit, {
      note: note(GROUP, 'default durability, loose objects: group commit shares the fsyncs'),
    }),
    comparedRow('concurrent', values, BASELINE, undefined, metric, unit, { note: note(BASELINE, 'the baseline: each write flushed on its own') }),
    comparedRow('concurrent', values, NO_FSYNC, BASELINE, metric, unit, { note: note(NO_FSYNC, 'durability none: the loose ceiling without flushes') }),
    comparedRow('concurrent', values, JOURNAL, BASELINE, metric, unit, {
      goal: { text: '≥ 3× groupCommit: false', on: 'ratio', op: '>=', target: 3 },
      note: note(JOURNAL, 'durable, with the object journal: one append and one fdatasync per group (time includes sealing at close)'),
    }),
  ];
}
