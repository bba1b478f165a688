import { mkdirSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startTcpProxy, type TcpProxy } from '@gitty/driver-test/harness';
import { check, type CheckResult } from './checker.js';
import type { ClientArgs } from './client.js';
import { ClientProcess } from './client-process.js';
import { Clocks, findLibfaketime } from './clock.js';
import { Disk } from './disk.js';
import { loadGitty, THIS_ROOT } from './gitty-root.js';
import { HistoryWriter, monotonicMs, readHistory, type HistoryEvent } from './history.js';
import { healAll, inject, type Cluster, type InjectedFault } from './nemesis.js';
import { observe, type Observation } from './observe.js';
import { RedisBox } from './redis-box.js';
import { rowByName, storeDir, type FaultKind, type Row, type RowName } from './rows.js';
import { planFaults } from './schedule.js';
import { Workload, type WorkloadSpec } from './workload.js';

/** One campaign run. */
export interface RunOptions {
  row: RowName;
  seed: number;
  /** How long the workload runs under faults, in ms. */
  durationMs: number;
  clients: number;
  /** How many file names the clients share. */
  names: number;
  /** Root of the checkout whose code is tested (default: this one). */
  root?: string;
  /** Only these fault kinds (default: every kind the row supports). */
  faults?: FaultKind[];
  /** Keep the run's folder (stores, history, logs) even when the run passes. */
  keep?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** A run's outcome. */
export interface RunReport {
  options: RunOptions;
  dir: string;
  /** Wall time of the workload phase, ms. */
  workloadMs: number;
  check: CheckResult;
  faults: InjectedFault[];
  faultsByKind: Record<string, number>;
  diskMethod: string;
  events: HistoryEvent[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Undo functions of the runs under way (processes, Redis, the proxy, the tmpfs mount). */
const cleanups = new Set<() => Promise<void>>();

/**
 * Stop everything the runs under way started, for a runner interrupted by a signal: the
 * processes are stopped by pid and the tmpfs is unmounted (a mount would outlive the process).
 */
export async function abortRuns(): Promise<void> {
  await Promise.all([...cleanups].map((cleanup) => cleanup().catch(() => undefined)));
}

/** Run one row under faults, then check it. */
export async function runChaos(options: RunOptions): Promise<RunReport> {
  const row = rowByName(options.row);
  const dir = await mkdtemp(path.join(os.tmpdir(), `gitty-chaos-${row.name}-`));
  const report = row.inProcess ? await runInProcess(row, options, dir) : await runProcesses(row, options, dir);
  if (!options.keep && report.check.violations.length === 0) rmSync(dir, { recursive: true, force: true });
  return report;
}

function workloadSpec(row: Row, options: RunOptions, client: number, incarnation: number): WorkloadSpec {
  return {
    client, incarnation, seed: options.seed,
    names: Array.from({ length: options.names }, (_, i) => `f${i}.txt`),
    maintenance: row.maintenance(client),
    gcGraceMs: 2_000,
    maintenanceEveryMs: 1_500,
  };
}

function tally(faults: InjectedFault[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of faults) if (!f.note.startsWith('skipped')) counts[f.kind] = (counts[f.kind] ?? 0) + 1;
  return counts;
}

/**
 * The memory row: its store lives in one process, so clients are concurrent workers over one
 * MemoryBacking and no process-level fault applies; it checks the workload and checker against
 * the reference driver.
 */
async function runInProcess(row: Row, options: RunOptions, dir: string): Promise<RunReport> {
  const core = await loadGitty(options.root ?? THIS_ROOT);
  const backing = new core.MemoryBacking();
  const historyDir = path.join(dir, 'history');
  mkdirSync(historyDir, { recursive: true });
  const started = monotonicMs();
  const workers = await Promise.all(Array.from({ length: options.clients }, async (_, client) => {
    const store = await core.openStore(new core.MemoryDriver(backing));
    const history = new HistoryWriter(path.join(historyDir, `history-c${client}-0.jsonl`));
    const workload = new Workload(store, history, workloadSpec(row, options, client, 0));
    workload.start();
    return { store, history, workload };
  }));
  await sleep(options.durationMs);
  await Promise.all(workers.map((w) => w.workload.stop()));
  const workloadMs = monotonicMs() - started;
  const observations: Array<{ label: string; observation: Observation }> = [];
  for (const [i, w] of workers.entries()) {
    observations.push({ label: `store ${i}`, observation: await observe(w.store) });
    w.history.close();
    await w.store.close();
  }
  const events = readHistory(historyDir);
  return { options, dir, workloadMs, check: check(events, observations), faults: [], faultsByKind: {}, diskMethod: 'none', events };
}

/**
 * The tmpfs size for a run: 256 MiB per 5 minutes of workload. Under the fault schedule most
 * gc runs are killed before they finish, so garbage grows with the run; a fixed 256 MiB filled
 * for real after 15 minutes of a 30-minute row, and the final check could not even open the stores.
 */
export function diskMiB(durationMs: number): number {
  return 256 * Math.max(1, Math.ceil(durationMs / 300_000));
}

async function runProcesses(row: Row, options: RunOptions, dir: string): Promise<RunReport> {
  const log = options.log ?? (() => undefined);
  const root = options.root ?? THIS_ROOT;
  const historyDir = path.join(dir, 'history');
  const logDir = path.join(dir, 'logs');
  mkdirSync(historyDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const disk = await Disk.create(path.join(dir, 'disk'), diskMiB(options.durationMs));
  const clocks = new Clocks(dir, findLibfaketime());
  let redis: RedisBox | undefined;
  let proxy: TcpProxy | undefined;
  const clients: ClientProcess[] = [];
  const incarnations: number[] = [];
  const observers: ClientProcess[] = [];
  const cleanup = async () => {
    await Promise.all([...clients, ...observers].filter(Boolean).map((c) => c.exit(10_000)));
    await proxy?.stop();
    await redis?.stop();
    await disk.dispose();
  };
  cleanups.add(cleanup);
  try {
    if (row.redis) {
      redis = new RedisBox(path.join(dir, 'redis'));
      await redis.start();
      proxy = await startTcpProxy(redis.serverPort);
    }
    const argsOf = (client: number, mode: ClientArgs['mode']): ClientArgs => ({
      mode, root,
      store: row.config({ client, dir: storeDir(row, disk.dir, client), ...(proxy ? { redisUrl: proxy.url } : {}) }),
      historyFile: path.join(historyDir, `history-c${client}-${incarnations[client]}.jsonl`),
      workload: workloadSpec(row, options, client, incarnations[client]!),
    });
    const start = (client: number) => {
      const child = ClientProcess.spawn(argsOf(client, 'work'), clocks.env(client), path.join(logDir, `client-${client}.log`));
      clients[client] = child;
      return child;
    };
    const cluster: Cluster = {
      clients, disk, clocks, redis, proxy,
      storeDir: (client) => storeDir(row, disk.dir, client),
      lockPath: (client) => path.join(storeDir(row, disk.dir, client), 'ref', 'head.lock'),
      restart: async (client) => {
        incarnations[client] = (incarnations[client] ?? 0) + 1;
        start(client); // no wait for ready: a fault may be active, the client retries its open
      },
    };
    for (let i = 0; i < options.clients; i++) {
      incarnations[i] = 0;
      start(i);
    }
    const ready = await Promise.all(clients.map((c) => c.next('ready', 120_000)));
    if (ready.some((r) => r?.event !== 'ready')) throw new Error(`clients did not start; see ${logDir}`);
    log(`${row.name}: ${options.clients} clients ready (disk: ${disk.method}, clocks: ${clocks.available ? 'libfaketime' : 'none'})`);

    const kinds = (options.faults ?? row.faults).filter((k) => row.faults.includes(k));
    const plan = planFaults(options.seed, kinds, options.durationMs, options.clients, row.lockStaleMs);
    const injected: InjectedFault[] = [];
    const started = monotonicMs();
    for (const fault of plan) {
      const wait = started + fault.at - monotonicMs();
      if (wait > 0) await sleep(wait);
      const done = await inject(cluster, fault);
      injected.push(done);
      log(`  ${((done.startedAt - started) / 1000).toFixed(1)} s ${done.kind} → client ${done.client}: ${done.note}`);
    }
    const rest = started + options.durationMs - monotonicMs();
    if (rest > 0) await sleep(rest);
    await healAll(cluster);
    const workloadMs = monotonicMs() - started;

    // Quiescence: every client finishes its operation under way (a hung one is killed: unknown).
    await Promise.all(clients.map(async (c) => {
      const stopped = await c.request({ cmd: 'stop' }, 'stopped', 60_000);
      if (!stopped) await c.kill();
    }));
    await Promise.all(clients.map((c) => c.exit(15_000)));
    log(`${row.name}: workload stopped after ${(workloadMs / 1000).toFixed(1)} s; checking`);

    // Fresh processes (same node ids, true clocks) read back what survived.
    for (let i = 0; i < options.clients; i++) {
      observers[i] = ClientProcess.spawn(argsOf(i, 'observe'), {}, path.join(logDir, `observer-${i}.log`));
    }
    await Promise.all(observers.map((o) => o.next('ready', 120_000)));
    if (row.redis) await converge(observers, 60_000);
    const observations: Array<{ label: string; observation: Observation }> = [];
    for (const [i, o] of observers.entries()) {
      const reply = await o.request({ cmd: 'observe' }, 'observed', 300_000);
      if (reply?.event !== 'observed') throw new Error(`observer ${i} did not answer: ${reply?.event === 'error' ? reply.message : 'timeout'}; see ${logDir}`);
      observations.push({ label: row.redis ? `node-${i}` : `process ${i} (${String(argsOf(i, 'observe').store.driver)})`, observation: reply.observation });
    }
    const events = readHistory(historyDir);
    return {
      options, dir, workloadMs, check: check(events, observations), faults: injected, faultsByKind: tally(injected), diskMethod: disk.method, events,
    };
  } finally {
    cleanups.delete(cleanup);
    await cleanup();
  }
}

/** Wait until every node reports the same heads twice in a row (replication has settled), or the deadline. */
async function converge(nodes: ClientProcess[], timeoutMs: number): Promise<void> {
  const deadline = monotonicMs() + timeoutMs;
  let previous = '';
  while (monotonicMs() < deadline) {
    const replies = await Promise.all(nodes.map((n) => n.request({ cmd: 'heads' }, 'heads', 20_000)));
    const views = replies.map((r) => (r?.event === 'heads' ? JSON.stringify(r.heads) : 'none'));
    const settled = views.every((v) => v === views[0] && v !== 'none' && v !== 'null');
    if (settled && views[0] === previous) return;
    previous = settled ? views[0]! : '';
    await sleep(1_000);
  }
}
