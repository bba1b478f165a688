/** The median of some numbers (NaN for none). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0–100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Milliseconds since an arbitrary origin, sub-millisecond. */
export function now(): number {
  return performance.now();
}

/** Run `work` and return how long it took, in milliseconds. */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = now();
  await work();
  return now() - start;
}

/** A subject measured in interleaved rounds: its per-round values, in round order. */
export type RoundValues = Map<string, number[]>;

/**
 * Measure every subject once per round, rotating the order each round so that no subject always
 * runs first (or right after a noisy neighbour). `measure` returns one value per call. A subject
 * that throws is recorded as failed and not measured again.
 */
export async function interleave(
  subjects: readonly string[],
  rounds: number,
  measure: (subject: string, round: number) => Promise<number>,
  onFailure: (subject: string, err: unknown) => void = () => {},
): Promise<RoundValues> {
  const values: RoundValues = new Map(subjects.map((s) => [s, []]));
  const failed = new Set<string>();
  for (let round = 0; round < rounds; round++) {
    const order = subjects.map((_, i) => subjects[(i + round) % subjects.length]!);
    for (const subject of order) {
      if (failed.has(subject)) continue;
      try {
        values.get(subject)!.push(await measure(subject, round));
      } catch (err) {
        failed.add(subject);
        values.delete(subject);
        onFailure(subject, err);
      }
    }
  }
  return values;
}

/**
 * The median of per-round ratios `a[i] / b[i]` (paired by round, so a round that was slow for
 * both cancels out), or NaN when either is missing.
 */
export function pairedRatio(a: readonly number[] | undefined, b: readonly number[] | undefined): number {
  if (!a || !b || a.length === 0 || b.length === 0) return Number.NaN;
  const n = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < n; i++) ratios.push(a[i]! / b[i]!);
  return median(ratios);
}
