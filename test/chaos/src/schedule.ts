import { seededRandom } from '@gitty/driver-test/harness';
import type { FaultKind } from './rows.js';

/** One planned fault. */
export interface PlannedFault {
  /** Milliseconds after the workload starts. */
  at: number;
  kind: FaultKind;
  /** The client (or node) it targets, where it targets one. */
  client: number;
  /** How long the fault lasts before it heals (0: instantaneous). */
  durationMs: number;
  /** Kind-specific: clock offset in seconds, proxy delay in ms, 1 = truncate (sqlite-index), 1 = every client but the target (stall). */
  param: number;
}

const CLOCK_OFFSETS = [3600, -3600, 120, -600, 86_400, -30];

function between(random: () => number, low: number, high: number): number {
  return Math.round(low + random() * (high - low));
}

function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/**
 * The fault schedule of a run, derived from the seed only: rounds in which every kind the row
 * supports occurs once, in a seed-shuffled order, one fault at a time with a short calm between.
 * A run long enough for one round therefore injects every kind.
 */
export function planFaults(seed: number, kinds: readonly FaultKind[], durationMs: number, clients: number, lockStaleMs: number): PlannedFault[] {
  const random = seededRandom(seed ^ 0x5eed_fa17);
  const plan: PlannedFault[] = [];
  if (kinds.length === 0) return plan;
  let at = between(random, 1_000, 2_500);
  for (;;) {
    for (const kind of shuffled(random, kinds)) {
      const fault = plannedFault(random, kind, at, clients, lockStaleMs);
      if (fault.at + fault.durationMs > durationMs) return plan;
      plan.push(fault);
      at = fault.at + fault.durationMs + between(random, 600, 2_000);
    }
  }
}

function plannedFault(random: () => number, kind: FaultKind, at: number, clients: number, lockStaleMs: number): PlannedFault {
  const client = Math.floor(random() * clients);
  const fault = (durationMs: number, param = 0): PlannedFault => ({ at, kind, client, durationMs, param });
  switch (kind) {
    case 'kill': return fault(between(random, 300, 2_500));
    case 'stall': return fault(lockStaleMs + between(random, 800, 3_000), random() < 0.5 ? 1 : 0);
    case 'disk-full': return fault(between(random, 1_500, 4_000));
    case 'clock-jump': return fault(between(random, 2_000, 5_000), CLOCK_OFFSETS[Math.floor(random() * CLOCK_OFFSETS.length)]!);
    case 'sqlite-index': return fault(0, random() < 0.5 ? 1 : 0);
    case 'redis-kill': return fault(between(random, 300, 2_500));
    case 'redis-rollback': return fault(between(random, 1_500, 4_000));
    case 'redis-flushall': return fault(0);
    case 'redis-client-kill': return fault(0);
    case 'proxy-delay': return fault(between(random, 2_000, 4_000), between(random, 100, 1_500));
    case 'proxy-drop': return fault(0);
    case 'proxy-blackhole': return fault(between(random, 2_500, 5_000));
  }
}
