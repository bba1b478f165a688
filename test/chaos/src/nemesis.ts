import { constants, existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, truncateSync } from 'node:fs';
import path from 'node:path';
import type { TcpProxy } from '@gitty/driver-test/harness';
import type { ClientProcess } from './client-process.js';
import type { Clocks } from './clock.js';
import type { Disk } from './disk.js';
import { monotonicMs } from './history.js';
import type { RedisBox } from './redis-box.js';
import type { PlannedFault } from './schedule.js';

/** What the nemesis acts on. */
export interface Cluster {
  clients: ClientProcess[];
  /** Kill client `i` is done by the nemesis; this starts it again (same node id, next incarnation). */
  restart(client: number): Promise<void>;
  /** The head log's lock folder of client `i`'s store. */
  lockPath(client: number): string;
  /** The folder holding client `i`'s store (for the SQLite index). */
  storeDir(client: number): string;
  disk: Disk;
  clocks: Clocks;
  redis?: RedisBox;
  proxy?: TcpProxy;
}

/** A fault as injected: when (monotonic ms), what, and a note on how. */
export interface InjectedFault extends PlannedFault {
  startedAt: number;
  healedAt: number;
  note: string;
}

const O_APPEND = constants.O_APPEND;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The client that has `logFile` open for appending but has not written yet (Linux /proc: an
 * O_APPEND descriptor at position 0) — a writer past its compare, about to append.
 */
function appendingClient(clients: readonly ClientProcess[], logFile: string): ClientProcess | undefined {
  for (const client of clients) {
    try {
      for (const fd of readdirSync(`/proc/${client.pid}/fd`)) {
        if (readlinkSync(`/proc/${client.pid}/fd/${fd}`) !== logFile) continue;
        const info = readFileSync(`/proc/${client.pid}/fdinfo/${fd}`, 'utf8');
        const flags = Number.parseInt(/flags:\s*([0-7]+)/.exec(info)?.[1] ?? '0', 8);
        const pos = Number(/pos:\s*(\d+)/.exec(info)?.[1] ?? '-1');
        if ((flags & O_APPEND) !== 0 && pos === 0) return client;
      }
    } catch {
      // the process or descriptor went away meanwhile
    }
  }
  return undefined;
}

/**
 * A stall hurts most when it freezes a writer inside the head log's lock, between its compare
 * and its append. First try to catch exactly that moment: whenever the lock folder exists, stop
 * every client and look (/proc) for one about to append; keep only that one stopped. Failing
 * that, stop `planned` while a stopped process holds the lock (the folder still exists 100 ms
 * later); after `timeoutMs`, stop them anyway. Returns who is stopped and how they were caught.
 */
async function stopLockHolder(
  lock: string, logFile: string, all: readonly ClientProcess[], planned: ClientProcess[], timeoutMs: number,
): Promise<{ stalled: ClientProcess[]; how: string }> {
  const live = () => all.filter((c) => c.alive);
  const precise = monotonicMs() + timeoutMs / 2;
  while (monotonicMs() < precise && existsSync('/proc/self/fdinfo')) {
    if (!existsSync(lock)) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    const clients = live();
    for (const c of clients) c.signal('SIGSTOP');
    const writer = appendingClient(clients, logFile);
    for (const c of clients) if (c !== writer) c.signal('SIGCONT');
    if (writer) return { stalled: [writer], how: ' between its compare and its append' };
    await new Promise((r) => setTimeout(r, 1));
  }
  const deadline = monotonicMs() + timeoutMs / 2;
  while (monotonicMs() < deadline) {
    if (!existsSync(lock)) {
      await new Promise((r) => setImmediate(r));
      continue;
    }
    for (const c of planned) c.signal('SIGSTOP');
    await sleep(100);
    if (existsSync(lock)) return { stalled: planned, how: ' holding the log lock' };
    for (const c of planned) c.signal('SIGCONT');
  }
  for (const c of planned) c.signal('SIGSTOP');
  return { stalled: planned, how: '' };
}

/** Inject one fault, hold it for its duration, heal it. Every fault is real: signals, files, sockets, processes. */
export async function inject(cluster: Cluster, fault: PlannedFault): Promise<InjectedFault> {
  const startedAt = monotonicMs();
  const client = cluster.clients[fault.client];
  let note = '';
  switch (fault.kind) {
    case 'kill':
      note = `SIGKILL pid ${client?.pid}, restarted after ${fault.durationMs} ms`;
      await client?.kill();
      await sleep(fault.durationMs);
      await cluster.restart(fault.client);
      break;
    case 'stall': {
      const planned = fault.param === 1 ? cluster.clients.filter((_, i) => i !== fault.client) : client ? [client] : [];
      const lock = cluster.lockPath(fault.client);
      const { stalled, how } = await stopLockHolder(lock, lock.replace(/\.lock$/, ''), cluster.clients, planned, 4_000);
      note = `SIGSTOP pid ${stalled.map((c) => c.pid).join(',')}${how} for ${fault.durationMs} ms, then SIGCONT`;
      await sleep(fault.durationMs);
      for (const c of stalled) c.signal('SIGCONT');
      break;
    }
    case 'disk-full':
      await cluster.disk.fill(cluster.clients.filter((c) => c.alive).map((c) => c.pid));
      note = `${cluster.disk.method} full for ${fault.durationMs} ms`;
      await sleep(fault.durationMs);
      await cluster.disk.release();
      break;
    case 'clock-jump':
      if (!cluster.clocks.available) {
        note = 'skipped: libfaketime not installed';
        break;
      }
      note = `wall clock of client ${fault.client} ${fault.param >= 0 ? '+' : ''}${fault.param} s for ${fault.durationMs} ms`;
      cluster.clocks.jump(fault.client, fault.param);
      await sleep(fault.durationMs);
      cluster.clocks.jump(fault.client, 0);
      break;
    case 'sqlite-index': {
      const file = path.join(cluster.storeDir(fault.client), 'index.sqlite');
      if (!existsSync(file)) {
        note = 'no index yet';
      } else if (fault.param === 1) {
        const size = statSync(file).size;
        const keep = Math.floor(size / 2 / 4096) * 4096;
        truncateSync(file, keep);
        note = `truncated ${file} from ${size} to ${keep} bytes in use`;
      } else {
        rmSync(file, { force: true });
        note = `deleted ${file} in use`;
      }
      break;
    }
    case 'redis-kill':
      note = `redis-server SIGKILL, restarted empty after ${fault.durationMs} ms`;
      await cluster.redis?.kill();
      await sleep(fault.durationMs);
      await cluster.redis?.restartEmpty();
      break;
    case 'redis-rollback': {
      const saved = await cluster.redis?.snapshot();
      note = saved ? `snapshot, ${fault.durationMs} ms of writes, SIGKILL, restarted from the snapshot` : 'snapshot failed';
      await sleep(fault.durationMs);
      if (saved) await cluster.redis?.restartFromSnapshot();
      break;
    }
    case 'redis-flushall':
      note = `FLUSHALL: ${await cluster.redis?.cli('FLUSHALL')}`;
      break;
    case 'redis-client-kill':
      note = `CLIENT KILL TYPE normal: ${await cluster.redis?.cli('CLIENT', 'KILL', 'TYPE', 'normal')} connections`;
      break;
    case 'proxy-delay':
      note = `proxy delays ${fault.param} ms for ${fault.durationMs} ms`;
      cluster.proxy?.delay(fault.param);
      await sleep(fault.durationMs);
      cluster.proxy?.delay(0);
      break;
    case 'proxy-drop':
      note = `proxy reset ${cluster.proxy?.connections} connections`;
      cluster.proxy?.dropConnections();
      break;
    case 'proxy-blackhole':
      note = `proxy silent (connections open, bytes discarded) for ${fault.durationMs} ms`;
      cluster.proxy?.blackhole();
      await sleep(fault.durationMs);
      cluster.proxy?.heal();
      break;
  }
  return { ...fault, startedAt, healedAt: monotonicMs(), note };
}

/** Undo whatever a fault may have left: every process running and continued, space, clocks, Redis, the proxy. */
export async function healAll(cluster: Cluster): Promise<void> {
  cluster.proxy?.delay(0);
  cluster.proxy?.heal();
  await cluster.redis?.ensureRunning();
  await cluster.disk.release();
  cluster.clocks.healAll(cluster.clients.length);
  for (const client of cluster.clients) client.signal('SIGCONT');
  for (let i = 0; i < cluster.clients.length; i++) if (!cluster.clients[i]!.alive) await cluster.restart(i);
}
