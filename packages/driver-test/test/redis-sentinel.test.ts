import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readlink, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { run } from '../src/harness.js';
import { startSentinelSet, type SentinelSet } from '../src/redis-sentinel.js';

// driver-redis's failover tests trust this deployment: that the sentinels watch the master
// they were started with, with the timeouts asked for, and that waitForFailover answers only
// once a replica really took over. Real redis-server and sentinels on free loopback ports.

const sets: SentinelSet[] = [];
afterEach(async () => {
  for (const set of sets.splice(0)) await set.stop();
});

const cli = async (port: number, ...args: string[]) => (await run('redis-cli', ['-p', String(port), ...args])).stdout.toString();

/** `SENTINEL MASTER` as field -> value. */
async function sentinelMaster(port: number, name: string): Promise<Record<string, string>> {
  const lines = (await cli(port, 'sentinel', 'master', name)).trimEnd().split('\n');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < lines.length; i += 2) out[lines[i]!] = lines[i + 1]!;
  return out;
}

const exited = (p: { exitCode: number | null; signalCode: NodeJS.Signals | null }) => p.exitCode !== null || p.signalCode !== null;

describe('startSentinelSet', () => {
  it('starts a master, a replica and three sentinels that agree, and follows a failover', async () => {
    const set = await startSentinelSet();
    sets.push(set);
    expect(set.name).toBe('gitty-master');
    expect(set.servers.length).toBe(2);
    expect(set.sentinels.length).toBe(3);
    const [master, replica] = set.servers;
    const ports = [master!.port, replica!.port, ...set.sentinels.map((s) => s.port)];
    expect(new Set(ports).size).toBe(5);
    expect(ports).not.toContain(6379);
    expect(set.sentinels.map((s) => s.host)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
    expect(await set.masterPort()).toBe(master!.port);

    // The replica follows the master, with no delay before a full sync; each keeps its own dump file.
    const info = await cli(replica!.port, 'info', 'replication');
    expect(info).toContain('role:slave');
    expect(info).toContain(`master_port:${master!.port}`);
    expect(await cli(master!.port, 'config', 'get', 'repl-diskless-sync-delay')).toBe('repl-diskless-sync-delay\n0\n');
    expect(await cli(master!.port, 'config', 'get', 'dbfilename')).toBe('dbfilename\ndump-0.rdb\n');
    expect(await cli(replica!.port, 'config', 'get', 'dbfilename')).toBe('dbfilename\ndump-1.rdb\n');
    const dir = (await cli(master!.port, 'config', 'get', 'dir')).split('\n')[1]!;
    expect(path.basename(dir)).toMatch(/^gitty-sentinel-/);
    expect((await cli(replica!.port, 'config', 'get', 'dir')).split('\n')[1]).toBe(dir);

    for (const s of set.sentinels) {
      // Loopback IPv4 only, working in the set's folder.
      expect((await run('redis-cli', ['-h', '::1', '-p', String(s.port), 'ping'])).stdout.toString()).not.toBe('PONG\n');
      expect(await readlink(`/proc/${s.process.pid}/cwd`)).toBe(dir);
      const m = await sentinelMaster(s.port, 'gitty-master');
      expect({
        ip: m.ip, port: m.port, quorum: m.quorum, down: m['down-after-milliseconds'], failover: m['failover-timeout'],
        syncs: m['parallel-syncs'], slaves: m['num-slaves'], others: m['num-other-sentinels'],
      }).toEqual({ ip: '127.0.0.1', port: String(master!.port), quorum: '2', down: '1000', failover: '3000', syncs: '1', slaves: '1', others: '2' });
    }

    // Not before the master fails.
    await expect(set.waitForFailover(master!.port, 200)).rejects.toThrow(new Error('condition not met within 200 ms'));
    await master!.kill();
    expect(await set.waitForFailover(master!.port)).toBe(replica!.port);
    expect(await cli(replica!.port, 'info', 'replication')).toContain('role:master');
    expect(await set.masterPort()).toBe(replica!.port);
    expect(await cli(replica!.port, 'set', 'k', 'v')).toBe('OK\n');

    // Any sentinel that answers will do: the first one gone, the next is asked.
    set.sentinels[0]!.process.kill('SIGKILL');
    await new Promise((resolve) => set.sentinels[0]!.process.once('exit', resolve));
    expect(await set.masterPort()).toBe(replica!.port);

    // stop ends every process (the killed master and sentinel too) and removes the folder.
    await set.stop();
    sets.splice(0);
    expect(set.sentinels.every((s) => exited(s.process))).toBe(true);
    expect(set.servers.every((s) => exited(s.process))).toBe(true);
    expect(existsSync(dir)).toBe(false);
    await expect(set.masterPort()).rejects.toThrow(new Error('no sentinel answered'));
  });

  it('takes the numbers of replicas and sentinels, the timeouts and extra server arguments', async () => {
    const set = await startSentinelSet({ replicas: 2, sentinels: 1, downAfterMs: 2_500, failoverTimeoutMs: 7_000, serverArgs: ['--databases', '5'] });
    sets.push(set);
    expect(set.servers.length).toBe(3);
    expect(set.sentinels.length).toBe(1);
    for (const server of set.servers) expect(await cli(server.port, 'config', 'get', 'databases')).toBe('databases\n5\n');
    expect(await cli(set.servers[2]!.port, 'config', 'get', 'dbfilename')).toBe('dbfilename\ndump-2.rdb\n');
    const m = await sentinelMaster(set.sentinels[0]!.port, 'gitty-master');
    expect({ quorum: m.quorum, down: m['down-after-milliseconds'], failover: m['failover-timeout'], slaves: m['num-slaves'], others: m['num-other-sentinels'] })
      .toEqual({ quorum: '1', down: '2500', failover: '7000', slaves: '2', others: '0' });
    // A sentinel that already died does not hold up stop.
    set.sentinels[0]!.process.kill('SIGKILL');
    await new Promise((resolve) => set.sentinels[0]!.process.once('exit', resolve));
    await set.stop();
    sets.splice(0);
    expect(set.servers.every((s) => s.process.exitCode === 0)).toBe(true);
  });

  it('four sentinels need a quorum of three', async () => {
    const set = await startSentinelSet({ replicas: 0, sentinels: 4 });
    sets.push(set);
    expect(set.servers.length).toBe(1);
    const m = await sentinelMaster(set.sentinels[3]!.port, 'gitty-master');
    expect([m.quorum, m['num-slaves'], m['num-other-sentinels'], m['down-after-milliseconds'], m['failover-timeout']]).toEqual(['3', '0', '3', '1000', '3000']);
    // stop does not wait forever for a sentinel that ignores SIGTERM (a stopped process): SIGKILL follows.
    process.kill(set.sentinels[3]!.process.pid!, 'SIGSTOP');
    await set.stop();
    sets.splice(0);
    expect(set.sentinels.map((s) => s.process.signalCode)).toEqual([null, null, null, 'SIGKILL']);
  });

  it('when a server cannot start, stops what it started, removes the folder and rejects', async () => {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'gitty-sentinel-test-'));
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = tmp; // the set's temp folder goes here, so its removal can be seen
    try {
      const err = await startSentinelSet({ serverArgs: ['--no-such-directive', 'x'] }).then(() => undefined, (e: unknown) => e);
      expect((err as Error).message).toMatch(/^redis-server exited with 1: [\s\S]*Bad directive or wrong number of arguments/);
      expect(await readdir(tmp)).toEqual([]);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      await rm(tmp, { recursive: true, force: true });
    }
  });
});
