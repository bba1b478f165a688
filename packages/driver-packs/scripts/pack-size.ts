/**
 * Disk use of N files × V versions of ~1.4 KB text (each version a one-line edit of the
 * previous): loose objects vs our pack vs `git pack-objects --window=250 --depth=50` over the
 * same objects (each blob and commit named after its file, as git's name hash wants).
 *
 *   node --conditions=gitty-source --import tsx scripts/pack-size.ts [files=1000] [versions=10]
 *
 * Prints one JSON line: looseBytes (sum of loose object files), looseDiskBytes4k (each rounded up
 * to a 4 KiB block), looseDu/packedDu (`du` of the store's objects folder before and after our
 * repack), ourPack/ourIdx, gitPack/gitIdx and the ratios. Sizes are deterministic (no timings),
 * so tests may assert on ratios.
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { defaultDriverContext, frameObject, nodeCompression, openStore } from '@gitty/core';
import { createDriver } from '../src/index.js';

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
export async function measurePackSizes(files: number, versions: number) {
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
    const ours = await store.repack({ minFiles: 1 });
    const packedDu = await diskUse(path.join(storeDir, 'objects'));
    const ourIdx = (await stat(ours.pack!.replace(/\.pack$/, '.idx'))).size;
    await store.close();
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
      ourPack: ours.bytes, ourIdx, ourDeltas: ours.deltas,
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
  console.log(JSON.stringify(await measurePackSizes(files, versions)));
}
