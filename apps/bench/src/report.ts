import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { MachineInfo } from './machine.js';
import type { BenchOptions, WorkloadName } from './options.js';

/** A target a figure is held to: `ratio` (value / peer) or `value` compared with `target`. */
export interface Goal {
  text: string;
  on: 'ratio' | 'value';
  op: '>=' | '<=' | '<' | '==';
  target: number;
  /** Filled in by {@link checkGoal}. */
  met?: boolean;
}

/** One figure of the report: a subject's value, its peer in the same run, and the ratio. */
export interface Row {
  workload: WorkloadName;
  subject: string;
  metric: string;
  unit: string;
  /** Median over rounds; null when the subject is not available. */
  value: number | null;
  peer?: string;
  peerValue?: number;
  /** value / peerValue, the median of per-round ratios where rounds were paired. */
  ratio?: number;
  goal?: Goal;
  note?: string;
}

/** A whole run: machine, options, rows and closing notes. */
export interface BenchReport {
  startedAt: string;
  durationSeconds: number;
  machine: MachineInfo;
  options: Omit<BenchOptions, 'outDir' | 'verbose'>;
  /** Every driver row: whether it ran, and why not. */
  drivers: { id: string; available: boolean; reason?: string }[];
  rows: Row[];
  /** How long each workload took (includes untimed preparation). */
  workloadSeconds: Partial<Record<WorkloadName, number>>;
  notes: string[];
}

/** Set `goal.met` from the row's value or ratio; a missing figure never meets its goal. */
export function checkGoal(row: Row): Row {
  if (!row.goal) return row;
  const x = row.goal.on === 'ratio' ? row.ratio : row.value;
  const t = row.goal.target;
  let met = false;
  if (x !== undefined && x !== null && Number.isFinite(x)) {
    met = row.goal.op === '>=' ? x >= t : row.goal.op === '<=' ? x <= t : row.goal.op === '<' ? x < t : x === t;
  }
  return { ...row, goal: { ...row.goal, met } };
}

/** A number for a table cell: 3 significant digits, thousands kept whole. */
export function formatNumber(x: number | null | undefined): string {
  if (x === null || x === undefined) return '—';
  if (!Number.isFinite(x)) return 'n/a';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  if (abs >= 100) return x.toFixed(0);
  if (abs >= 10) return x.toFixed(1);
  if (abs >= 1) return x.toFixed(2);
  return x.toPrecision(2);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function rowLine(row: Row): string {
  const value = row.value === null ? (row.note === 'not available' ? 'not available' : 'failed') : `${formatNumber(row.value)} ${row.unit}`.trim();
  const peer = row.peer ? (row.peerValue === undefined ? row.peer : `${row.peer}: ${formatNumber(row.peerValue)} ${row.unit}`) : '';
  const ratio = row.ratio !== undefined && Number.isFinite(row.ratio) ? `${formatNumber(row.ratio)}×` : '';
  const goal = row.goal ? `${row.goal.met ? '✅' : '❌'} ${row.goal.text}` : '';
  return `| ${cell(row.subject)} | ${cell(row.metric)} | ${value} | ${cell(peer)} | ${ratio} | ${cell(goal)} | ${cell(row.note ?? '')} |`;
}

/** The report as markdown: machine header, one table per workload, goals, notes. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const o = report.options;
  const lines: string[] = [
    `# gitty bench${o.quick ? ' (quick)' : ''}`,
    '',
    `${report.startedAt}, ${report.durationSeconds.toFixed(0)} s. Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; ` +
      `node ${m.node}, git ${m.git}, redis ${m.redis}; load average ${m.loadAverage} at start.`,
    '',
    `Stores and repositories in ${o.tmpDir}. Data: ${o.files} files × ${o.versions} versions of ~1.4 KB text (seed ${o.seed}); ingest rounds use the first ${o.ingestFiles} files; ` +
      `${o.rounds} interleaved rounds, medians. Ratio = value / peer (median of per-round ratios): above 1 means more ` +
      'throughput, or more time or bytes, than the peer — see the goal column for which way is good.',
  ];
  const missing = report.drivers.filter((d) => !d.available);
  lines.push('', `Drivers: ${report.drivers.filter((d) => d.available).map((d) => d.id).join(', ') || 'none'} available.`);
  for (const d of missing) lines.push(`- ${d.id}: not available — ${d.reason ?? 'unknown reason'}`);
  const workloads = [...new Set(report.rows.map((r) => r.workload))];
  for (const workload of workloads) {
    lines.push('', `## ${workload}`, '', '| subject | metric | value | peer | ratio | goal | note |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const row of report.rows.filter((r) => r.workload === workload)) lines.push(rowLine(row));
  }
  const goals = report.rows.filter((r) => r.goal);
  if (goals.length > 0) {
    lines.push('', '## goals', '');
    for (const row of goals) {
      const x = row.goal!.on === 'ratio' ? row.ratio : row.value;
      lines.push(`- ${row.goal!.met ? '✅ met' : '❌ missed'}: ${row.workload} ${row.subject} ${row.metric} — ${row.goal!.text} (measured ${formatNumber(x)}${row.goal!.on === 'ratio' ? '×' : ` ${row.unit}`})`);
    }
  }
  if (report.notes.length > 0) lines.push('', '## notes', '', ...report.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

/** Write `latest.md` and `latest.json` into `dir`; returns their paths. */
export async function writeReport(report: BenchReport, dir: string): Promise<{ markdown: string; json: string }> {
  await mkdir(dir, { recursive: true });
  const markdown = path.join(dir, 'latest.md');
  const json = path.join(dir, 'latest.json');
  await writeFile(markdown, renderMarkdown(report));
  await writeFile(json, `${JSON.stringify(report, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  return { markdown, json };
}
