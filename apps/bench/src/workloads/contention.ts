import path from 'node:path';
import type { BenchContext } from '../context.js';
import { openRowStore, type DriverRow, type StorePlace } from '../drivers.js';
import { interleave, median } from '../measure.js';
import { checkGoal, type Row } from '../report.js';
import type { ContentionMessage, WorkerConfig } from '../workers/protocol.js';
import { spawnWorker, WorkerChannel } from '../workers/spawn.js';
import { comparedRow, missingRows, reasonOf } from './rows.js';

const FILE = 'contended.txt';

/** The outcome of one contention run. */
interface ContentionRun {
  commitsPerSecond: number;
  acked: number;
  conflicts: number;
  errors: number;
  lost: number;
  firstError?: string;
}

/** Each worker's place: the shared directory, or for redis its own node directory. */
function workerPlace(row: DriverRow, place: StorePlace, worker: number): StorePlace {
  return row.needsRedis ? { ...place, dir: path.join(place.dir, `node${worker}`) } : place;
}

/**
 * Run `processes` workers updating one file for `durationMs`, then check that every commit a
 * worker was told succeeded is in the file's final history.
 */
export async function runContention(ctx: BenchContext, row: DriverRow, processes: number, durationMs: number, round: number): Promise<ContentionRun> {
  const place = await ctx.place(row, `contention${processes}-${round}`);
  const owner = await openRowStore(row, workerPlace(row, place, -1));
  const channels: WorkerChannel<ContentionMessage>[] = [];
  try {
    await owner.create(FILE, 'start\n');
    for (let i = 0; i < processes; i++) {
      const config: WorkerConfig = { driver: row.id, place: workerPlace(row, place, i), name: FILE, durationMs, worker: i };
      channels.push(new WorkerChannel(spawnWorker('contention-worker', config), `contention worker ${i}`));
    }
    await Promise.all(channels.map((c) => c.next('ready')));
    for (const c of channels) c.send({ type: 'go' });
    const results = await Promise.all(channels.map((c) => c.next('done', durationMs + 60_000)));
    const history = new Set<string>();
    await owner.rescan();
    for await (const commit of owner.walk(FILE)) history.add(commit.commit);
    const acked = results.flatMap((r) => r.acked);
    const elapsed = Math.max(...results.map((r) => r.elapsedMs));
    return {
      commitsPerSecond: acked.length / (elapsed / 1000),
      acked: acked.length,
      conflicts: results.reduce((n, r) => n + r.conflicts, 0),
      errors: results.reduce((n, r) => n + r.errors, 0),
      lost: acked.filter((hash) => !history.has(hash)).length,
      firstError: results.find((r) => r.firstError)?.firstError,
    };
  } finally {
    await Promise.all(channels.map((c) => c.stop()));
    await owner.close();
    await ctx.removeDir(place.dir);
  }
}

/**
 * Contention: N processes (default 8) updating one file through each shared driver, retrying on
 * NOT_AT_HEAD: commits/s against the same driver with one process, conflicts, and lost updates
 * (acknowledged commits missing from the final history — must be 0).
 */
export async function contentionWorkload(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  const n = ctx.options.contenders;
  const rounds = ctx.options.quick ? 1 : Math.min(ctx.options.rounds, 2);
  const many = `${n} processes`;
  for (const row of ctx.drivers.filter((d) => d.shared && d.id !== 'files-fsync')) {
    const runs: ContentionRun[] = [];
    let failure: string | undefined;
    ctx.log(`contention: ${row.id}, ${n} processes vs 1, ${rounds} round(s) of ${ctx.options.contentionMs} ms`);
    const values = await interleave([many, '1 process'], rounds, async (subject, round) => {
      const run = await runContention(ctx, row, subject === many ? n : 1, ctx.options.contentionMs, round);
      if (subject === many) runs.push(run);
      return run.commitsPerSecond;
    }, (_s, err) => (failure = reasonOf(err)));
    const unit = 'commits/s';
    const note = failure ? `failed: ${failure}` : undefined;
    const compared = comparedRow('contention', values, many, '1 process', 'commits/s', unit, { note });
    rows.push({ ...compared, subject: `${row.id}, ${many}`, peer: `${row.id}, 1 process` });
    if (runs.length > 0) {
      const acked = runs.reduce((s, r) => s + r.acked, 0);
      const conflicts = runs.reduce((s, r) => s + r.conflicts, 0);
      const errors = runs.reduce((s, r) => s + r.errors, 0);
      rows.push({
        workload: 'contention', subject: `${row.id}, ${many}`, metric: 'conflicts per commit', unit: '',
        value: conflicts / Math.max(1, acked), note: `${conflicts} NOT_AT_HEAD retries for ${acked} commits, ${errors} other errors${runs.find((r) => r.firstError) ? ` (${runs.find((r) => r.firstError)!.firstError})` : ''}`,
      });
      rows.push(checkGoal({
        workload: 'contention', subject: `${row.id}, ${many}`, metric: 'lost updates', unit: '',
        value: runs.reduce((s, r) => s + r.lost, 0), goal: { text: 'zero lost updates', on: 'value', op: '==', target: 0 },
        note: `median ${median(runs.map((r) => r.acked)).toFixed(0)} acknowledged commits per round, each checked against the final history`,
      }));
    }
  }
  rows.push(...missingRows(ctx, 'contention', 'commits/s', 'commits/s').filter((r) => r.subject !== 'memory' && r.subject !== 'files-fsync'));
  return rows;
}
