/**
 * Disk use of N files × V versions of ~1.4 KB text (each version a one-line edit of the
 * previous): loose objects vs our pack vs `git pack-objects --window=250 --depth=50` over the
 * same objects (each blob and commit named after its file, as git's name hash wants).
 *
 *   node --conditions=gitty-source --import tsx scripts/pack-size.ts [files=1000] [versions=10] [depth=50]
 *
 * `depth` is our repack's chain bound (git's stays 50, as `git repack -adf --window=250` uses).
 * Prints one JSON line: looseBytes (sum of loose object files), looseDiskBytes4k (each rounded up
 * to a 4 KiB block), looseDu/packedDu (`du` of the store's objects folder before and after our
 * repack), ourPack/ourIdx, gitPack/gitIdx and the ratios, the mean and longest delta chain of
 * our pack (what a cold read of an old version pays), and the time to read every version once from
 * a freshly opened store in a shuffled order (`coldReadCpuMs` for the first 5%, `readAllCpuMs`; CPU time, the only timings). Sizes are deterministic, so tests may
 * assert on ratios.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { defaultDriverContext, frameObject, nodeCompression, openStore } from '@gitty/core';
import { createDriver } from '../src/index.js';
import { parseEntryHeader, PackType } from '../src/pack-format.js';
import { PackIndex } from '../src/pack-index.js';

/** Mean and longest delta chain over every entry of the pack at `packPath` (a whole object: 0). */
export async function chainLengths(packPath: string): Promise<{ meanChain: number; maxChain: number }> {
  const pack = await readFile(packPath);
  const index = new PackIndex(await readFile(packPath.replace(/\.pack$/, '.idx')), packPath);
  const depthAt = new Map<number, number>();
  const depth = (offset: number): number => {
    const known = depthAt.get(offset);
    if (known !== undefined) return known;
    const header = parseEntryHeader(pack.subarray(offset, offset + 64), offset, packPath);
    let d = 0;
    if (header.type === PackType.ofsDelta) d = 1 + depth(header.baseOffset!);
    else if (header.type === PackType.refDelta) d = 1 + depth(index.offsetAt(index.find(header.baseHash!)));
    depthAt.set(offset, d);
    return d;
  };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < index.count; i++) {
    const d = depth(index.offsetAt(i));
    sum += d;
    max = Math.max(max, d);
  }
  return { meanChain: +(sum / Math.max(1, index.count)).toFixed(2), maxChain: max };
}

/** Version `v` of file `f`: ~24 lines of ~60 bytes, each version appending to one line. */
export function benchText(f: number, v: number): string {
  const lines: string[] = [];
  for (let i = 0; i < 22; i++) lines.push(`file ${f} line ${i}: the quick brown fox jumps over ${(f * 31 + i * 17) % 97} lazy dogs`);
  for (let k = 1; k <= v; k++) {
    const i = (f * 7 + k * 11) % 22;
    lines[i] = `${lines[i]} (edit ${k} by user${(f + k) % 13})`;
  }
  return lines.join('\n') + '\n';
}

/** Bytes allocated on disk under `dir`, as `du` reports them. */
function diskUse(dir: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('du', ['-s', '-B1', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(Number(out.split(/\s/)[0])));
  });
}

function runGit(args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`git ${args.join(' ')}: ${err}`))));
    child.stdin.end(input);
  });
}

/** The measurement: bytes of loose objects (content and 4 KiB blocks), our pack + idx, git's pack + idx. */
export async function measurePackSizes(files: number, versions: number, depth?: number) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'gitty-pack-size-'));
  try {
    const storeDir = path.join(root, 'store');
    const driver = await createDriver({ dir: storeDir, durability: 'none' }, defaultDriverContext());
    const store = await openStore(driver);
    const gitDir = path.join(root, 'git.git');
    await runGit(['init', '-q', '--bare', gitDir], '');
    let looseBytes = 0;
    let looseBlocks = 0;
    const names: string[] = [];
    const seen = new Set<string>();
    const writeLoose = async (hash: string, type: string, data: Uint8Array, name: string) => {
      if (seen.has(hash)) return;
      seen.add(hash);
      const raw = nodeCompression.deflate(frameObject(type, data));
      looseBytes += raw.length;
      looseBlocks += Math.ceil(raw.length / 4096) * 4096;
      const folder = path.join(gitDir, 'objects', hash.slice(0, 2));
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, hash.slice(2)), raw);
      names.push(`${hash} ${name}`);
    };
    for (let f = 0; f < files; f++) {
      const name = `file-${f}.txt`;
      let previous: string | undefined;
      for (let v = 0; v < versions; v++) {
        const text = benchText(f, v);
        const c = previous ? await store.update(name, text, { previous, time: 1e9 + v }) : await store.create(name, text, { time: 1e9 });
        previous = c.commit;
        await writeLoose(c.data, 'blob', new TextEncoder().encode(text), name);
        const commit = await driver.loadObject(c.commit);
        await writeLoose(c.commit, 'commit', commit!.data, name);
      }
    }
    const looseDu = await diskUse(path.join(storeDir, 'objects'));
    const commits: string[] = [];
    for await (const entry of driver.heads()) for await (const c of store.walk(entry.name)) commits.push(c.commit);
    const ours = await store.repack({ minFiles: 1, depth });
    const packedDu = await diskUse(path.join(storeDir, 'objects'));
    const ourIdx = (await stat(ours.pack!.replace(/\.pack$/, '.idx'))).size;
    await store.close();
    const chains = await chainLengths(ours.pack!);
    const reader = await openStore(await createDriver({ dir: storeDir, durability: 'none' }, defaultDriverContext()));
    // Every version once, in a shuffled order (cold chains, as random old reads meet them); CPU time, less noisy than wall time on a shared machine.
    let seed = 1;
    for (let i = commits.length - 1; i > 0; i--) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const j = seed % (i + 1);
      [commits[i], commits[j]] = [commits[j]!, commits[i]!];
    }
    const cpuMs = async (list: string[]) => {
      const started = process.cpuUsage();
      for (const commit of list) await reader.get(commit);
      const spent = process.cpuUsage(started);
      return Math.round((spent.user + spent.system) / 1000);
    };
    // The first 5% meet a cold base cache (a random old read); then every version.
    const cold = Math.ceil(commits.length / 20);
    const coldReadCpuMs = await cpuMs(commits.slice(0, cold));
    const readAllCpuMs = coldReadCpuMs + (await cpuMs(commits.slice(cold)));
    await reader.close();
    const base = path.join(root, 'git-pack', 'pack');
    await mkdir(path.dirname(base), { recursive: true });
    const sha = (await runGit(['--git-dir', gitDir, 'pack-objects', '-q', '--window=250', '--depth=50', base], names.join('\n') + '\n')).trim();
    const gitPack = (await stat(`${base}-${sha}.pack`)).size;
    const gitIdx = (await stat(`${base}-${sha}.idx`)).size;
    const objects = (await readdir(path.dirname(base))).length;
    return {
      files, versions, objects: seen.size,
      averageTextBytes: Math.round(Array.from({ length: versions }, (_, v) => benchText(0, v).length).reduce((a, b) => a + b, 0) / versions),
      looseBytes, looseDiskBytes4k: looseBlocks, looseDu, packedDu,
      ourPack: ours.bytes, ourIdx, ourDeltas: ours.deltas, depth: depth ?? 'default', ...chains, coldReads: cold, coldReadCpuMs, readAllCpuMs,
      gitPack, gitIdx, gitFiles: objects,
      ratioOursToGit: +((ours.bytes + ourIdx) / (gitPack + gitIdx)).toFixed(3),
      ratioPackOnly: +(ours.bytes / gitPack).toFixed(3),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  const files = Number(process.argv[2] ?? 1000);
  const versions = Number(process.argv[3] ?? 10);
  const depth = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  console.log(JSON.stringify(await measurePackSizes(files, versions, depth)));
}
