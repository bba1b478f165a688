import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { freePort, run, startRedisServer, tempDir, waitFor, type RedisServer } from './harness.js';

/**
 * A Redis Sentinel deployment on loopback for failover tests: a master, replicas, and sentinels
 * (`redis-server <conf> --sentinel`) with short timeouts so a failover takes a few seconds.
 */
export interface SentinelSet {
  /** The name the sentinels monitor (ioredis `name`). */
  readonly name: string;
  /** The servers started, master first (the roles change on failover; see {@link masterPort}). */
  readonly servers: RedisServer[];
  readonly sentinels: Array<{ host: string; port: number; process: ChildProcess }>;
  /** The master's port as the sentinels report it now. */
  masterPort(): Promise<number>;
  /** Wait until the sentinels report a master other than `oldPort`; resolves the new port. */
  waitForFailover(oldPort: number, timeoutMs?: number): Promise<number>;
  /** Stop every process (by pid) and remove the temp dir. */
  stop(): Promise<void>;
}

export interface SentinelOptions {
  /** Replicas of the master (default 1). */
  replicas?: number;
  /** Sentinels (default 3, quorum 2). */
  sentinels?: number;
  /** `down-after-milliseconds` (default 1,000). */
  downAfterMs?: number;
  /** `failover-timeout` (default 3,000). */
  failoverTimeoutMs?: number;
  /** Extra redis-server arguments for master and replicas. */
  serverArgs?: readonly string[];
}

/** Start a master, its replicas and sentinels monitoring it, all on free 127.0.0.1 ports. */
export async function startSentinelSet(options: SentinelOptions = {}): Promise<SentinelSet> {
  const name = 'gitty-master';
  const { dir, remove } = await tempDir('gitty-sentinel-');
  const servers: RedisServer[] = [];
  const sentinels: Array<{ host: string; port: number; process: ChildProcess }> = [];
  const stop = async () => {
    for (const s of sentinels) await stopProcess(s.process);
    for (const s of servers) await s.stop();
    await remove();
  };
  try {
    // No 5 s wait for more replicas before a full sync (the default diskless-sync delay).
    const serverArgs = (i: number) => ['--dir', dir, '--dbfilename', `dump-${i}.rdb`, '--repl-diskless-sync-delay', '0', ...(options.serverArgs ?? [])];
    const master = await startRedisServer(serverArgs(0));
    servers.push(master);
    for (let i = 1; i <= (options.replicas ?? 1); i++) {
      servers.push(await startRedisServer([...serverArgs(i), '--replicaof', '127.0.0.1', String(master.port)]));
    }
    await waitFor(async () => {
      const info = (await run('redis-cli', ['-p', String(master.port), 'info', 'replication'])).stdout.toString();
      return Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0) === servers.length - 1
        && !/state=(wait_bgsave|send_bulk)/.test(info);
    }, 20_000, 50);
    const count = options.sentinels ?? 3;
    for (let i = 0; i < count; i++) {
      const port = await freePort();
      const conf = path.join(dir, `sentinel-${i}.conf`);
      await writeFile(conf, [
        `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master.port} ${Math.floor(count / 2) + 1}`,
        `sentinel down-after-milliseconds ${name} ${options.downAfterMs ?? 1_000}`,
        `sentinel failover-timeout ${name} ${options.failoverTimeoutMs ?? 3_000}`,
        `sentinel parallel-syncs ${name} 1`, '',
      ].join('\n'));
      const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'ignore', 'ignore'] });
      sentinels.push({ host: '127.0.0.1', port, process: child });
    }
    // Ready when every sentinel answers and knows the replicas and the other sentinels.
    await waitFor(async () => {
      for (const s of sentinels) {
        const reply = (await run('redis-cli', ['-p', String(s.port), 'sentinel', 'master', name])).stdout.toString();
        const field = (key: string) => Number(new RegExp(`(?:^|\\n)${key}\\n(\\d+)`).exec(reply)?.[1] ?? -1);
        if (field('num-slaves') !== servers.length - 1 || field('num-other-sentinels') !== count - 1) return false;
      }
      return true;
    }, 30_000, 100);
  } catch (err) {
    await stop();
    throw err;
  }
  const masterPort = async (): Promise<number> => {
    for (const s of sentinels) {
      const reply = await run('redis-cli', ['-p', String(s.port), 'sentinel', 'get-master-addr-by-name', name]);
      const port = Number(reply.stdout.toString().trim().split('\n')[1]);
      if (reply.code === 0 && Number.isSafeInteger(port) && port > 0) return port;
    }
    throw new Error('no sentinel answered');
  };
  return {
    name,
    servers,
    sentinels,
    masterPort,
    async waitForFailover(oldPort, timeoutMs = 30_000) {
      let port = oldPort;
      await waitFor(async () => (port = await masterPort().catch(() => oldPort)) !== oldPort, timeoutMs, 100);
      // The promoted replica takes writes once it has left read-only replica mode.
      await waitFor(async () => /role:master/.test((await run('redis-cli', ['-p', String(port), 'info', 'replication'])).stdout.toString()), timeoutMs, 50);
      return port;
    },
    stop,
  };
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
