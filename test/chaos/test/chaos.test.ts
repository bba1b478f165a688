import { describe, expect, it } from 'vitest';
import { findLibfaketime } from '../src/clock.js';
import { formatReport } from '../src/report.js';
import { FAULT_KINDS, rowByName } from '../src/rows.js';
import { runChaos } from '../src/runner.js';

// The short profile of the campaign (`pnpm chaos` runs the long one): real client processes,
// real faults, the full checker. Together the two runs inject every fault kind; the seeds are
// ones whose schedule fits every kind of the row into the short duration (the test checks it).
describe('chaos, short profile', () => {
  it('redis over sqlite: every fault kind once, nothing acknowledged lost or duplicated, nodes agree, fsck finds nothing reachable missing', async () => {
    expect(findLibfaketime(), 'clock jumps need libfaketime: run scripts/setup-test-machine.sh (apt-get install faketime)').toBeDefined();
    const report = await runChaos({ row: 'redis-sqlite', seed: 9, durationMs: 36_000, clients: 3, names: 3 });
    const text = formatReport(report);
    console.log(text);
    expect(Object.keys(report.faultsByKind).sort()).toEqual([...rowByName('redis-sqlite').faults].sort());
    expect(report.check.acknowledged).toBeGreaterThan(50);
    expect(report.check.violations, text).toEqual([]);
  });

  it('files and sqlite processes on one folder: stalls past lockStale, kills, full disk, clock jumps, index damage', async () => {
    const report = await runChaos({ row: 'mixed', seed: 3, durationMs: 16_000, clients: 3, names: 3 });
    const text = formatReport(report);
    console.log(text);
    expect(Object.keys(report.faultsByKind).sort()).toEqual([...rowByName('mixed').faults].sort());
    expect(report.check.acknowledged).toBeGreaterThan(50);
    expect(report.check.violations, text).toEqual([]);
  });

  it('covers every fault kind between the two rows', () => {
    const covered = new Set([...rowByName('redis-sqlite').faults, ...rowByName('mixed').faults]);
    expect([...covered].sort()).toEqual([...FAULT_KINDS].sort());
  });
});
