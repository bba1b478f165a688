import type { BenchContext } from './context.js';
import { BenchContext as Context } from './context.js';
import { generateDataSet } from './data.js';
import { fallbacksUsed } from './drivers.js';
import { machineInfo } from './machine.js';
import type { BenchOptions, WorkloadName } from './options.js';
import type { BenchReport, Row } from './report.js';
import { contentionWorkload } from './workloads/contention.js';
import { concurrentWorkload } from './workloads/concurrent.js';
import { copyWorkload } from './workloads/copy.js';
import { diskWorkload } from './workloads/disk.js';
import { importWorkload } from './workloads/import.js';
import { ingestWorkload } from './workloads/ingest.js';
import { openWorkload } from './workloads/open.js';
import { readWorkload } from './workloads/read.js';
import { replicateWorkload } from './workloads/replicate.js';
import { reasonOf } from './workloads/rows.js';

const WORKLOAD_RUNNERS: Record<WorkloadName, (ctx: BenchContext) => Promise<Row[]>> = {
  ingest: ingestWorkload,
  import: importWorkload,
  copy: copyWorkload,
  concurrent: concurrentWorkload,
  disk: diskWorkload,
  read: readWorkload,
  open: openWorkload,
  contention: contentionWorkload,
  replicate: replicateWorkload,
};

/**
 * Run the selected workloads and return the report (not written anywhere). A workload that
 * fails becomes a note, and the others still run.
 */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const started = Date.now();
  const machine = await machineInfo();
  const data = generateDataSet(options.files, options.versions, options.seed);
  const ctx = await Context.create(options, data);
  for (const { row, reason } of ctx.missing) ctx.log(`${row.id}: not available (${reason})`);
  const rows: Row[] = [];
  const timings: Partial<Record<WorkloadName, number>> = {};
  try {
    for (const workload of options.only) {
      ctx.log(`${workload}…`);
      const start = Date.now();
      try {
        rows.push(...(await WORKLOAD_RUNNERS[workload](ctx)));
        timings[workload] = (Date.now() - start) / 1000;
        ctx.log(`${workload}: ${timings[workload].toFixed(1)} s`);
      } catch (err) {
        ctx.notes.push(`${workload} failed: ${reasonOf(err)}`);
        ctx.log(`${workload} failed: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
  } finally {
    await ctx.close();
  }
  for (const fallback of fallbacksUsed) ctx.notes.push(`opened without its preferred options (so with the driver's defaults): ${fallback}`);
  const { outDir: _outDir, verbose: _verbose, ...recorded } = options;
  return {
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    machine,
    options: recorded,
    drivers: [
      ...ctx.drivers.map((row) => ({ id: row.id, available: true })),
      ...ctx.missing.map(({ row, reason }) => ({ id: row.id, available: false, reason })),
    ],
    rows,
    workloadSeconds: timings,
    notes: ctx.notes,
  };
}
