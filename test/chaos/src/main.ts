/**
 * `pnpm chaos [--row R|all] [--seed N] [--duration S] [--clients N] [--names N] [--faults a,b] [--root DIR] [--keep]`
 * `pnpm chaos --regressions [--root DIR]`
 * Runs driver rows (or the recorded regression runs) under faults and prints each report; exits 1
 * when any run has a violation.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatReport } from './report.js';
import { FAULT_KINDS, ROW_NAMES, type FaultKind, type RowName } from './rows.js';
import { REGRESSION_RUNS } from './regressions.js';
import { abortRuns, runChaos, type RunOptions } from './runner.js';

const { values } = parseArgs({
  options: {
    row: { type: 'string', default: 'all' },
    seed: { type: 'string' },
    duration: { type: 'string', default: '60' },
    clients: { type: 'string', default: '4' },
    names: { type: 'string', default: '3' },
    faults: { type: 'string' },
    root: { type: 'string', default: process.env.GITTY_CHAOS_ROOT },
    keep: { type: 'boolean', default: false },
    regressions: { type: 'boolean', default: false },
  },
});

function fail(message: string): never {
  process.stderr.write(`chaos: ${message}\n`);
  process.exit(2);
}

const rows = values.row === 'all' ? [...ROW_NAMES] : values.row.split(',');
for (const row of rows) if (!(ROW_NAMES as readonly string[]).includes(row)) fail(`unknown row "${row}" (rows: ${ROW_NAMES.join(', ')}, all)`);
const faults = values.faults?.split(',');
for (const f of faults ?? []) if (!(FAULT_KINDS as readonly string[]).includes(f)) fail(`unknown fault "${f}" (faults: ${FAULT_KINDS.join(', ')})`);
const number = (text: string, what: string) => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) fail(`--${what} must be a positive integer`);
  return n;
};

// pnpm runs the script in this package's folder; a relative --root means the caller's folder.
const root = values.root ? { root: path.resolve(process.env.INIT_CWD ?? process.cwd(), values.root) } : {};
const log = (line: string) => process.stderr.write(`${line}\n`);
const runs: RunOptions[] = values.regressions
  ? REGRESSION_RUNS.map((r) => ({
    row: r.row, seed: r.seed, durationMs: r.durationS * 1000, clients: r.clients, names: r.names, faults: r.faults, ...root, keep: values.keep, log,
  }))
  : (rows as RowName[]).map((row) => ({
    row,
    seed: values.seed ? number(values.seed, 'seed') : Math.floor(Math.random() * 2 ** 31),
    durationMs: number(values.duration, 'duration') * 1000,
    clients: number(values.clients, 'clients'),
    names: number(values.names, 'names'),
    ...(faults ? { faults: faults as FaultKind[] } : {}),
    ...root, keep: values.keep, log,
  }));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`chaos: ${signal}: stopping the processes, Redis and the tmpfs of the run\n`);
    void abortRuns().finally(() => process.exit(130));
  });
}

let violations = 0;
for (const options of runs) {
  const report = await runChaos(options);
  const text = formatReport(report);
  process.stdout.write(`${text}\n\n`);
  if (existsSync(report.dir)) writeFileSync(path.join(report.dir, 'report.txt'), `${text}\n`);
  violations += report.check.violations.length;
}
process.exit(violations > 0 ? 1 : 0);
