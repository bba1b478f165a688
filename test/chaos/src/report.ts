import { THIS_ROOT } from './gitty-root.js';
import type { HistoryEvent } from './history.js';
import type { RunOptions, RunReport } from './runner.js';

/** Violations most telling first. */
const SEVERITY = ['duplicated', 'lost', 'phantom', 'not-linear', 'foreign', 'diverged', 'unreadable', 'fsck'];

function countKinds(violations: ReadonlyArray<{ kind: string }>): string {
  const counts = new Map<string, number>();
  for (const v of violations) counts.set(v.kind, (counts.get(v.kind) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
}

/** The command that runs the same row, seed, schedule and workload mix again. */
export function replayCommand(options: RunOptions): string {
  const parts = [
    'pnpm chaos', `--row ${options.row}`, `--seed ${options.seed}`, `--duration ${Math.round(options.durationMs / 1000)}`,
    `--clients ${options.clients}`, `--names ${options.names}`,
  ];
  if (options.faults) parts.push(`--faults ${options.faults.join(',')}`);
  if (options.root && options.root !== THIS_ROOT) parts.push(`--root ${options.root}`);
  return parts.join(' ');
}

/**
 * History lines of a violation: every line of its operations, plus writes to the same file
 * within ±500 ms of them (at most `context` of those, nearest first), in time order.
 */
export function excerpt(events: readonly HistoryEvent[], ops: readonly string[], name: string | undefined, context = 16): string[] {
  const ids = new Set(ops);
  const own = events.filter((e) => ids.has(e.id));
  if (own.length === 0) return [];
  const invokes = new Map(events.filter((e) => e.type === 'invoke').map((e) => [e.id, e]));
  const distance = (e: HistoryEvent) => Math.min(...own.map((o) => Math.abs(o.time - e.time)));
  const nearby = events
    .filter((e) => {
      if (ids.has(e.id)) return false;
      const invoke = invokes.get(e.id);
      return invoke?.type === 'invoke' && invoke.name === name && ['create', 'update', 'delete'].includes(invoke.op) && distance(e) <= 500;
    })
    .sort((a, b) => distance(a) - distance(b))
    .slice(0, context);
  return [...own, ...nearby].sort((a, b) => a.time - b.time).map((e) => `${ids.has(e.id) ? '>' : ' '} ${JSON.stringify(e)}`);
}

/** The report a person reads: figures, faults by kind, and each violation with its evidence. */
export function formatReport(report: RunReport): string {
  const { options, check } = report;
  const out: string[] = [];
  out.push(`gitty chaos: row ${options.row}, seed ${options.seed}, ${options.clients} clients, ${options.names} names, ${(report.workloadMs / 1000).toFixed(1)} s`
    + (options.root && options.root !== THIS_ROOT ? ` (code under test: ${options.root})` : ''));
  out.push(`  operations ${check.operations}, acknowledged writes ${check.acknowledged}, unknown outcome ${check.unknown}`);
  const errors = Object.entries(check.errors).sort((a, b) => b[1] - a[1]).map(([code, n]) => `${code} ${n}`).join(', ');
  out.push(`  failed operations by code: ${errors || 'none'}`);
  // Untyped failures with their messages, so each can be traced to the call that threw it.
  for (const [what, n] of Object.entries(check.untyped ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 10)) {
    out.push(`  untyped ×${n}: ${what.length > 300 ? `${what.slice(0, 300)}…` : what}`);
  }
  const kinds = Object.entries(report.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ');
  out.push(`  faults ${report.faults.length}: ${kinds || 'none (in-process row)'}${report.diskMethod !== 'none' ? ` (full disk by ${report.diskMethod})` : ''}`);
  out.push(`  lost ${check.lost}, duplicated ${check.duplicated}, violations ${check.violations.length}${check.violations.length ? ` (${countKinds(check.violations)})` : ''}`);
  for (const w of check.warnings) out.push(`  warning [${w.kind}] ${w.message.length > 300 ? `${w.message.slice(0, 300)}…` : w.message}`);
  if (check.violations.length > 0) {
    out.push(`  VIOLATIONS (seed ${options.seed}; replay: ${replayCommand(options)}; run folder kept: ${report.dir})`);
    const ordered = [...check.violations].sort((a, b) => SEVERITY.indexOf(a.kind) - SEVERITY.indexOf(b.kind));
    let excerpts = 0;
    for (const v of ordered.slice(0, 12)) {
      out.push(`  - [${v.kind}] ${v.message.length > 600 ? `${v.message.slice(0, 600)}…` : v.message}`);
      if (v.ops.length > 0 && excerpts++ < 3) for (const line of excerpt(report.events, v.ops, v.name)) out.push(`      ${line}`);
    }
    if (ordered.length > 12) out.push(`  … and ${ordered.length - 12} more (${countKinds(ordered.slice(12))})`);
    const first = ordered.find((v) => v.ops.length > 0);
    const firstTime = first ? report.events.find((e) => e.id === first.ops[0])?.time : undefined;
    if (firstTime !== undefined) {
      const near = report.faults.filter((f) => f.startedAt <= firstTime + 2_000 && f.healedAt >= firstTime - 10_000);
      for (const f of near) out.push(`  fault near the first violation: ${f.kind} → client ${f.client}: ${f.note}`);
    }
  }
  return out.join('\n');
}
