import type { BenchContext } from '../context.js';
import { median, pairedRatio, type RoundValues } from '../measure.js';
import type { WorkloadName } from '../options.js';
import { checkGoal, type Goal, type Row } from '../report.js';

/** Rows for driver rows that could not run: value null, "not available" (the header says why). */
export function missingRows(ctx: BenchContext, workload: WorkloadName, metric: string, unit: string): Row[] {
  return ctx.missing.map(({ row }) => ({ workload, subject: row.id, metric, unit, value: null, note: 'not available' }));
}

/** A row comparing `subject` with `peer` from interleaved round values. */
export function comparedRow(
  workload: WorkloadName,
  values: RoundValues,
  subject: string,
  peer: string | undefined,
  metric: string,
  unit: string,
  extra: { goal?: Goal; note?: string } = {},
): Row {
  const own = values.get(subject);
  const row: Row = { workload, subject, metric, unit, value: own ? median(own) : null, ...extra };
  if (peer) {
    const theirs = values.get(peer);
    row.peer = peer;
    if (theirs) row.peerValue = median(theirs);
    row.ratio = pairedRatio(own, theirs);
  }
  return checkGoal(row);
}

/** The message of a failure, for a note. */
export function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}
