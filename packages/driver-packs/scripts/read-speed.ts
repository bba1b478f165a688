/**
 * Packed object loads against `git cat-file --batch` on git's own pack of the same objects, in
 * the same run, interleaved — the bench's "packs object load" row without the rest of the bench,
 * for profiling and quick before/after comparisons on a busy machine.
 *
 *   node --conditions=gitty-source --import tsx scripts/read-speed.ts [files=1000] [versions=10] [rounds=7] [reads=1000]
 *
 * The store gets N files × V versions of ~1.4 KB text (one-line edits, see pack-size.ts) through
 * `Store.import`, unpacked, then `repack({ minFiles: 1, window: 250, depth: 50 })` as the bench does; git
 * packs the same objects with `pack-objects --window=250 --depth=50`. Each round loads the same
 * random objects (half blobs, half commits, any version) from a freshly opened store and through
 * a freshly started `cat-file --batch` (pipelined, started before the clock). Prints one JSON
 * line: per-round ops/s of both and the median of the per-round ratios (ours / git's), and the
 * same for CPU time (git's from /proc, in 10 ms ticks: use enough reads), which a loaded machine
 * disturbs far less than wall time. `READ_SPEED_ONLY=packs`
 * skips git; `READ_SPEED_PROFILE=file.cpuprofile` writes a CPU profile of the rounds alone;
 * `READ_SPEED_AB=<other checkout>/packages/driver-packs/src/index.ts` measures that build too,
 * in the same rounds (`altRatio`, and `packsOverAltCpu`: this build's CPU advantage over it).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { defaultDriverContext, openStore } from '@gitty/core';
import { createDriver } from '../src/index.js';
import { benchText, chainLengths } from './pack-size.js';

function runGit(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // git's exit status and stderr tell why
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')}: ${err}`))));
    child.stdin.end(input);
  });
}

/** CPU ms a process has used so far (user + system, from /proc: 10 ms ticks). */
function childCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Wall and CPU time to read every hash through one `git cat-file --batch`, started (and one
 * object read) before the clock.
 */
function catFile(gitDir: string, hashes: readonly string[]): Promise<{ ms: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['--git-dir', gitDir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buffer: Buffer = Buffer.alloc(0);
    let remaining = 1;
    let started = 0;
    let cpuBefore = 0;
    let stderr = '';
    child.on('error', reject);
    child.stdin.on('error', (err) => reject(new Error(`git cat-file: ${err.message} ${stderr}`)));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => reject(new Error(`git cat-file exited with ${code}: ${stderr}`)));
    child.stdout.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      while (remaining > 0) {
        const eol = buffer.indexOf(10);
        if (eol < 0) return;
        const size = Number(buffer.subarray(0, eol).toString().split(' ')[2]);
        if (buffer.length < eol + size + 2) return;
        buffer = buffer.subarray(eol + size + 2);
        remaining--;
      }
      if (started === 0) {
        remaining = hashes.length;
        cpuBefore = childCpuMs(child.pid!);
        started = performance.now();
        child.stdin.write(`${hashes.join('\n')}\n`);
        return;
      }
      const ms = performance.now() - started;
      const cpuMs = childCpuMs(child.pid!) - cpuBefore;
      child.stdin.end();
      resolve({ ms, cpuMs });
    });
    child.stdin.write(`${hashes[0]}\n`);
  });
}

function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const [files = 1000, versions = 10, rounds = 7, reads = 1000] = process.argv.slice(2).map(Number);
  const onlyPacks = process.env.READ_SPEED_ONLY === 'packs';
  const root = await mkdtemp(path.join(os.tmpdir(), 'gitty-read-speed-'));
  try {
    const storeDir = path.join(root, 'store');
    const open = async () => openStore(await createDriver({ dir: storeDir, durability: 'none' }, defaultDriverContext()));
    const writer = await open();
    const entries = function* () {
      for (let f = 0; f < files; f++) for (let v = 0; v < versions; v++) yield { name: `file-${f}.txt`, data: benchText(f, v), meta: { time: 1e9 + v } };
    };
    await writer.import(entries());
    // Every version of every file, newest first: its blob and commit, named for git's delta heuristics.
    const byFile: { blob: string; commit: string }[][] = [];
    const names: string[] = [];
    for (let f = 0; f < files; f++) {
      const chain: { blob: string; commit: string }[] = [];
      for await (const c of writer.walk(`file-${f}.txt`)) {
        chain.push({ blob: c.data, commit: c.commit });
        names.push(`${c.data} file-${f}.txt`, `${c.commit} file-${f}.txt`);
      }
      byFile.push(chain);
    }
    // The import wrote a pack of its own layout; the bench repacks loose objects, so do that.
    await writer.unpack();
    const report = await writer.repack({ minFiles: 1, window: 250, depth: 50 });
    await writer.close();
    const gitDir = path.join(root, 'git.git');
    await runGit(['init', '-q', '--bare', gitDir], '');
    const alternates = path.join(gitDir, 'objects', 'info', 'alternates');
    await writeFile(alternates, `${path.join(storeDir, 'objects')}\n`);
    await mkdir(path.join(gitDir, 'objects', 'pack'), { recursive: true });
    const sha = (await runGit(['--git-dir', gitDir, 'pack-objects', '-q', '--window=250', '--depth=50', path.join(gitDir, 'objects', 'pack', 'pack')], names.join('\n') + '\n')).trim();
    await rm(alternates);
    // An import already wrote one pack, which a repack with nothing loose to add may leave as it is.
    const packFolder = path.join(storeDir, 'objects', 'pack');
    const ourPackPath = report.pack ?? path.join(packFolder, (await readdir(packFolder)).find((n) => n.endsWith('.pack'))!);
    const ourPack = (await stat(ourPackPath)).size;
    const gitPack = (await stat(path.join(gitDir, 'objects', 'pack', `pack-${sha}.pack`))).size;

    // Another build of this package (a checkout's src/index.ts) measured in the same rounds: a before/after in one run.
    const alternative = process.env.READ_SPEED_AB;
    const altCreate = alternative ? ((await import(path.resolve(alternative))) as { createDriver: typeof createDriver }).createDriver : undefined;
    const subjects = ['packs', ...(altCreate ? ['alt'] : []), ...(onlyPacks ? [] : ['git'])];
    const wall = new Map<string, number[]>(subjects.map((s) => [s, []]));
    const cpu = new Map<string, number[]>(subjects.map((s) => [s, []]));
    const profile = process.env.READ_SPEED_PROFILE;
    const session = profile ? new Session() : undefined;
    const post = (method: string) => new Promise<unknown>((resolve, reject) => session!.post(method, (err, result) => (err ? reject(err) : resolve(result))));
    if (session) {
      session.connect();
      await post('Profiler.enable');
      await post('Profiler.start');
    }
    for (let round = 0; round < rounds; round++) {
      const next = random(round + 1);
      const plan = Array.from({ length: reads }, () => {
        const chain = byFile[Math.floor(next() * files)]!;
        const v = chain[Math.floor(next() * chain.length)]!;
        return next() < 0.5 ? v.blob : v.commit;
      });
      const measureStore = async (create: typeof createDriver) => {
        const store = await openStore(await create({ dir: storeDir, durability: 'none' }, defaultDriverContext()));
        try {
          const before = process.cpuUsage();
          const started = performance.now();
          for (const hash of plan) await store.load(hash);
          const spent = process.cpuUsage(before);
          return { ms: performance.now() - started, cpuMs: (spent.user + spent.system) / 1000 };
        } finally {
          await store.close();
        }
      };
      // The order rotates each round, so no subject always runs first (or right after git).
      for (let k = 0; k < subjects.length; k++) {
        const subject = subjects[(round + k) % subjects.length]!;
        const m = subject === 'git' ? await catFile(gitDir, plan) : await measureStore(subject === 'alt' ? altCreate! : createDriver);
        wall.get(subject)!.push(m.ms);
        cpu.get(subject)!.push(m.cpuMs);
      }
    }
    if (session) {
      const { profile: taken } = (await post('Profiler.stop')) as { profile: unknown };
      await writeFile(profile!, JSON.stringify(taken));
      session.disconnect();
    }
    /** Median over rounds of `a`'s throughput over `b`'s (time of b / time of a). */
    const ratio = (times: Map<string, number[]>, a: string, b: string) =>
      times.has(a) && times.has(b) ? +median(times.get(a)!.map((t, i) => times.get(b)![i]! / t)).toFixed(3) : null;
    console.log(JSON.stringify({
      files, versions, reads,
      opsPerSec: Object.fromEntries(subjects.map((s) => [s, wall.get(s)!.map((ms) => Math.round(reads / (ms / 1000)))])),
      cpuMs: Object.fromEntries(subjects.map((s) => [s, cpu.get(s)!.map((ms) => Math.round(ms))])),
      ratio: ratio(wall, 'packs', 'git'), cpuRatio: ratio(cpu, 'packs', 'git'),
      ...(altCreate ? { altRatio: ratio(wall, 'alt', 'git'), altCpuRatio: ratio(cpu, 'alt', 'git'), packsOverAltCpu: ratio(cpu, 'packs', 'alt') } : {}),
      ourPack, gitPack, packRatio: +(ourPack / gitPack).toFixed(3), ...(await chainLengths(ourPackPath)),
    }));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
