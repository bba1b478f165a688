/**
 * Measures replication through Redis on loopback (a measurement, not a test):
 * 1. latency from a write returning on node A to the file being readable on node B (another
 *    process, which gets the head event and reads the file from its own store): p50/p99/max;
 * 2. throughput: three node processes writing their own files at once, commits per second,
 *    and the time until all three have every head.
 * Run: node --conditions=gitty-source --import tsx scripts/replication-latency.ts [writes] [memory|files]
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore, registerDriver, type DriverFactory } from '@gitty/core';
import { spawnTs, startRedisServer, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { NodeProcess, type NodeReport } from '../test/node-process.js';

const writes = Number(process.argv[2] ?? 10_000);
const innerKind = process.argv[3] ?? 'memory';
if (innerKind === 'files') registerDriver('files', ((await import('@gitty/driver-files' as string)) as { createDriver: DriverFactory }).createDriver);
const now = () => performance.timeOrigin + performance.now();
const redis = await startRedisServer();
const dirs: Array<{ dir: string; remove: () => Promise<void> }> = [];
const inner = async () => {
  const made = await tempDir('gitty-latency-');
  dirs.push(made);
  return innerKind === 'files' ? { driver: 'files', dir: made.dir } : { driver: 'memory' };
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

try {
  // 1. Latency.
  const config = { url: redis.url, storeId: 'latency' };
  const reader = spawnTs(fileURLToPath(new URL('./latency-reader.ts', import.meta.url)), [JSON.stringify({ ...config, inner: await inner() })], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const readable = new Map<string, number>();
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  let buffer = '';
  reader.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') ready();
      const [commit, time] = line.split(' ');
      if (time) readable.set(commit!, Number(time));
    }
  });
  await started;
  const a = await openStore(await createDriver({ ...config, inner: await inner() }, defaultDriverContext()));
  const returned = new Map<string, number>();
  const called = new Map<string, number>();
  const load = os.loadavg()[0]!.toFixed(1);
  const t0 = now();
  for (let i = 0; i < writes; i++) {
    const start = now();
    const commit = (await a.create(`f${i}.txt`, `content of file ${i}\n`)).commit;
    returned.set(commit, now());
    called.set(commit, start);
  }
  const writeMs = now() - t0;
  while (readable.size < writes) await new Promise((r) => setTimeout(r, 50));
  const latencies = [...returned].map(([commit, t]) => readable.get(commit)! - t).sort((x, y) => x - y);
  const fromCall = [...called].map(([commit, t]) => readable.get(commit)! - t).sort((x, y) => x - y);
  const fmt = (ms: number) => `${ms.toFixed(2)} ms`;
  const under = (xs: number[], ms: number) => ((100 * xs.filter((x) => x < ms).length) / xs.length).toFixed(1);
  const line = (xs: number[]) =>
    `p50 ${fmt(percentile(xs, 50))}, p90 ${fmt(percentile(xs, 90))}, p99 ${fmt(percentile(xs, 99))}, max ${fmt(xs.at(-1)!)}, min ${fmt(xs[0]!)}; ${under(xs, 2)}% < 2 ms, ${under(xs, 10)}% < 10 ms`;
  console.log(`inner: ${innerKind}; load average ${load} on ${os.cpus().length} CPUs; ${writes} sequential creates on A took ${fmt(writeMs)} (${((writes / writeMs) * 1000).toFixed(0)}/s)`);
  console.log(`latency A returned -> readable on B: ${line(latencies)}`);
  console.log(`latency A called   -> readable on B: ${line(fromCall)}`);
  reader.stdin!.end();
  await a.close();
  await new Promise((r) => reader.once('exit', r));

  // 2. Throughput with three node processes.
  const perNode = Math.max(100, Math.round(writes / 5));
  const nodes: NodeProcess[] = [];
  for (let i = 0; i < 3; i++) nodes.push(await NodeProcess.start({ url: redis.url, storeId: 'throughput', inner: await inner(), nodeId: `n${i}` }));
  const names = (i: number) => Array.from({ length: 50 }, (_, k) => `n${i}-${k}.txt`).join(' ');
  const t1 = now();
  await Promise.all(nodes.map((node, i) => node.send(`write ${perNode} ${i + 1} ${names(i)}`)));
  const wroteMs = now() - t1;
  const reports = (await Promise.all(nodes.map((node) => node.send('report')))).map((r) => JSON.parse(r) as NodeReport);
  const convergedMs = now() - t1;
  const sorted = (heads: Record<string, string>) => JSON.stringify(Object.entries(heads).sort(([x], [y]) => (x < y ? -1 : 1)));
  const same = reports.every((r) => sorted(r.heads) === sorted(reports[0]!.heads));
  console.log(`throughput: 3 nodes x ${perNode} commits in ${(wroteMs / 1000).toFixed(2)} s = ${((3 * perNode) / (wroteMs / 1000)).toFixed(0)} commits/s; all heads identical ${same} after ${(convergedMs / 1000).toFixed(2)} s`);
  await Promise.all(nodes.map((node) => node.stop()));
} finally {
  await redis.stop();
  for (const d of dirs) await d.remove();
}
