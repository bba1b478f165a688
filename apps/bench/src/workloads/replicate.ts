import path from 'node:path';
import type { BenchContext } from '../context.js';
import { driverRow, type DriverRow, type StorePlace } from '../drivers.js';
import { interleave, percentile } from '../measure.js';
import { RedisPing } from '../peers/redis-ping.js';
import { checkGoal, type Row } from '../report.js';
import type { NodeMessage, WorkerConfig } from '../workers/protocol.js';
import { spawnWorker, WorkerChannel } from '../workers/spawn.js';
import { comparedRow, reasonOf } from './rows.js';

type Node = WorkerChannel<NodeMessage>;

async function startNodes(row: DriverRow, base: StorePlace, count: number): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i++) {
    const config: WorkerConfig = { driver: row.id, place: { ...base, dir: path.join(base.dir, `node${i}`) }, name: `node${i}` };
    nodes.push(new WorkerChannel(spawnWorker('replicate-node', config), `${row.id} node ${i}`));
  }
  await Promise.all(nodes.map((n) => n.next('ready')));
  return nodes;
}

async function stopNodes(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map(async (n) => {
    try {
      n.send({ type: 'close' });
      await n.next('closed', 10_000);
    } catch {
      // A node that already died is simply stopped below.
    }
    await n.stop();
  }));
}

/** Latencies (ms) from a write returning on node A to the version being readable on node B, with PINGs between. */
async function measureLatency(ctx: BenchContext, row: DriverRow, port: number): Promise<{ latencies: number[]; pings: number[]; missed: number }> {
  const base = await ctx.place(row, 'latency');
  const nodes = await startNodes(row, base, 2);
  const [a, b] = nodes as [Node, Node];
  const ping = await RedisPing.connect(port);
  const latencies: number[] = [];
  const pings: number[] = [];
  let missed = 0;
  try {
    for (let i = 0; i < ctx.options.replicateWrites; i++) {
      a.send({ type: 'write', name: `latency-${i % 100}.txt`, text: `write ${i}\n` });
      const wrote = await a.next('wrote', 10_000);
      try {
        const seen = await b.next('seen', 5000, (m) => m.commit === wrote.commit);
        // B may see the head before A's promise resolves: that is a latency of zero, not less.
        latencies.push(Math.max(0, Number(BigInt(seen.t) - BigInt(wrote.t)) / 1e6));
      } catch {
        missed++;
      }
      pings.push(await ping.ping());
    }
  } finally {
    ping.close();
    await stopNodes(nodes);
    await ctx.removeDir(base.dir);
  }
  return { latencies, pings, missed };
}

/** One write on A seen on B: monotonic ns before A's call, at A's acknowledgement, when readable on B. */
interface DurableSample {
  t0: bigint;
  acked: bigint;
  seen: bigint;
}

/**
 * A → B with durable (fsync, the files driver's default) inner stores on both nodes: per write,
 * when A was called, when A acknowledged, and when `get` returned the version on B.
 */
async function measureDurableLag(ctx: BenchContext, row: DriverRow): Promise<{ samples: DurableSample[]; missed: number }> {
  const base = await ctx.place(row, 'durable');
  const nodes = await startNodes(row, base, 2);
  const [a, b] = nodes as [Node, Node];
  const samples: DurableSample[] = [];
  let missed = 0;
  try {
    for (let i = 0; i < ctx.options.replicateWrites; i++) {
      a.send({ type: 'write', name: `durable-${i % 100}.txt`, text: `write ${i}\n` });
      const wrote = await a.next('wrote', 10_000);
      try {
        const seen = await b.next('seen', 5000, (m) => m.commit === wrote.commit);
        samples.push({ t0: BigInt(wrote.t0 ?? wrote.t), acked: BigInt(wrote.t), seen: BigInt(seen.t) });
      } catch {
        missed++;
      }
    }
  } finally {
    await stopNodes(nodes);
    await ctx.removeDir(base.dir);
  }
  return { samples, missed };
}

/**
 * Rows of the durable A → B run: B's visibility lag from A's acknowledgement (zero when B was
 * first), and from just before A's call next to A's own write time in the same run.
 */
function durableRows(samples: DurableSample[], missed: number): Row[] {
  const ms = (ns: bigint) => Number(ns) / 1e6;
  const fromAck = samples.map((s) => Math.max(0, ms(s.seen - s.acked)));
  const fromCall = samples.map((s) => ms(s.seen - s.t0));
  const own = samples.map((s) => ms(s.acked - s.t0));
  const first = samples.filter((s) => s.seen <= s.acked).length;
  const note = `${samples.length} writes, fsync inner stores; B readable before A's acknowledgement in ${first}${missed ? `; ${missed} not readable on B within 5 s` : ''}`;
  const subject = 'redis (fsync inner), A → B';
  const rows: Row[] = [];
  for (const [label, p, target] of [['p50', 50, 1], ['p99', 99, 5]] as const) {
    rows.push(checkGoal({
      workload: 'replicate', subject, metric: `visibility lag from A's ack ${label}`, unit: 'ms', value: percentile(fromAck, p),
      note, goal: { text: `< ${target} ms`, on: 'value', op: '<', target },
    }));
  }
  for (const [label, p] of [['p50', 50], ['p99', 99]] as const) {
    const value = percentile(fromCall, p);
    const peerValue = percentile(own, p);
    rows.push(checkGoal({
      workload: 'replicate', subject, metric: `visibility lag from before A's call ${label}`, unit: 'ms', value,
      peer: `A's own write time ${label}`, peerValue, ratio: value / peerValue, note,
      goal: label === 'p50' ? { text: `< A's write time + 2 ms (${(peerValue + 2).toFixed(2)} ms)`, on: 'value', op: '<', target: peerValue + 2 } : undefined,
    }));
  }
  return rows;
}

/** Total commits/s of `count` nodes writing their own files at once for `durationMs`. */
async function measureThroughput(ctx: BenchContext, row: DriverRow, count: number, round: number): Promise<number> {
  const base = await ctx.place(row, `throughput${round}`);
  const nodes = await startNodes(row, base, count);
  try {
    for (const n of nodes) n.send({ type: 'burst', durationMs: ctx.options.replicateMs });
    const done = await Promise.all(nodes.map((n) => n.next('burst-done', ctx.options.replicateMs + 60_000)));
    const failed = done.find((d) => d.firstError);
    if (failed) throw new Error(failed.firstError);
    return done.reduce((s, d) => s + d.count, 0) / (Math.max(...done.map((d) => d.elapsedMs)) / 1000);
  } finally {
    await stopNodes(nodes);
    await ctx.removeDir(base.dir);
  }
}

/**
 * Replicate: write on node A → readable on node B (separate processes, own store dirs, one
 * spawned redis-server): p50/p99/max against a raw Redis PING round trip; and the throughput of
 * 3 nodes writing at once against 3 processes on the files driver alone (no replication).
 */
export async function replicateWorkload(ctx: BenchContext): Promise<Row[]> {
  const redis = ctx.drivers.find((r) => r.id === 'redis');
  if (!redis) {
    return [{ workload: 'replicate', subject: 'redis', metric: 'A → B latency', unit: 'ms', value: null, note: 'not available' }];
  }
  const files = ctx.drivers.find((r) => r.id === 'files')!;
  const server = await ctx.redis();
  const rows: Row[] = [];
  ctx.log(`replicate: ${ctx.options.replicateWrites} writes A → B`);
  try {
    const { latencies, pings, missed } = await measureLatency(ctx, redis, server.port);
    const note = `${latencies.length} writes${missed ? `, ${missed} not readable on B within 5 s` : ''}`;
    for (const [label, p] of [['p50', 50], ['p99', 99], ['max', 100]] as const) {
      const value = percentile(latencies, p);
      const peerValue = percentile(pings, p);
      rows.push(checkGoal({
        workload: 'replicate', subject: 'redis, A → B', metric: `latency ${label}`, unit: 'ms', value,
        peer: 'redis PING round trip', peerValue, ratio: value / peerValue, note,
        goal: label === 'p99' ? { text: '< 10 ms', on: 'value', op: '<', target: 10 } : label === 'p50' ? { text: '< 2 ms', on: 'value', op: '<', target: 2 } : undefined,
      }));
    }
  } catch (err) {
    rows.push({ workload: 'replicate', subject: 'redis, A → B', metric: 'latency', unit: 'ms', value: null, note: `failed: ${reasonOf(err)}` });
  }
  ctx.log(`replicate: ${ctx.options.replicateWrites} writes A → B, fsync inner stores`);
  try {
    const { samples, missed } = await measureDurableLag(ctx, driverRow('redis-fsync'));
    rows.push(...durableRows(samples, missed));
  } catch (err) {
    rows.push({ workload: 'replicate', subject: 'redis (fsync inner), A → B', metric: 'visibility lag', unit: 'ms', value: null, note: `failed: ${reasonOf(err)}` });
  }
  const count = ctx.options.replicateNodes;
  const three = `redis, ${count} nodes`;
  const alone = `files, ${count} processes`;
  const rounds = ctx.options.quick ? 1 : Math.min(ctx.options.rounds, 2);
  ctx.log(`replicate: throughput, ${count} nodes vs files alone, ${rounds} round(s)`);
  let failure: string | undefined;
  const values = await interleave([three, alone], rounds, (subject, round) =>
    measureThroughput(ctx, subject === three ? redis : files, count, round), (_s, err) => (failure = reasonOf(err)));
  rows.push(comparedRow('replicate', values, three, alone, 'throughput', 'commits/s', {
    note: failure ? `failed: ${failure}` : 'each node writes its own files; the peer is the inner driver without replication',
  }));
  return rows;
}
