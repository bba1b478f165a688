import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { git, run } from '@gitty/driver-test/harness';
import type { GeneratedVersion } from '../data.js';

/** Create a bare repository at `gitdir`. */
export async function initBare(gitdir: string): Promise<void> {
  await git(['init', '-q', '--bare', gitdir]);
}

/**
 * The `git fast-import` stream for some versions, each file's versions consecutive: per version a
 * blob and a commit (with its one-entry tree) on the file's own branch. Built before timing.
 */
export function fastImportStream(versions: readonly GeneratedVersion[]): Buffer {
  const parts: Buffer[] = [];
  let mark = 0;
  const lastCommit = new Map<string, number>();
  const branches = new Map<string, number>();
  for (const v of versions) {
    const blob = ++mark;
    parts.push(Buffer.from(`blob\nmark :${blob}\ndata ${v.bytes.length}\n`), Buffer.from(v.bytes), Buffer.from('\n'));
    const branch = branches.get(v.name) ?? branches.size;
    branches.set(v.name, branch);
    const commit = ++mark;
    const from = lastCommit.get(v.name);
    parts.push(Buffer.from(
      `commit refs/heads/f${branch}\nmark :${commit}\ncommitter bench <bench@gitty> ${Math.floor(v.time)} +0000\ndata 0\n` +
        `${from ? `from :${from}\n` : ''}M 100644 :${blob} ${v.name}\n\n`,
    ));
    lastCommit.set(v.name, commit);
  }
  parts.push(Buffer.from('done\n'));
  return Buffer.concat(parts);
}

/** Run `git fast-import` on a prepared stream into a bare repository. */
export async function fastImport(gitdir: string, stream: Buffer): Promise<void> {
  const result = await run('git', ['--git-dir', gitdir, 'fast-import', '--quiet', '--done'], { input: stream });
  if (result.code !== 0) throw new Error(`git fast-import failed: ${result.stderr}`);
}

/** Write each version's text to a file under `dir` (untimed preparation); returns the paths. */
export async function writeVersionFiles(dir: string, versions: readonly GeneratedVersion[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [i, v] of versions.entries()) {
    const file = path.join(dir, `${i}.txt`);
    await writeFile(file, v.bytes);
    paths.push(file);
  }
  return paths;
}

/** `git hash-object -w --stdin-paths`: every path's content as a loose blob. */
export async function hashObjectPaths(gitdir: string, paths: readonly string[]): Promise<void> {
  const result = await run('git', ['--git-dir', gitdir, 'hash-object', '-w', '--stdin-paths'], { input: `${paths.join('\n')}\n` });
  if (result.code !== 0) throw new Error(`git hash-object failed: ${result.stderr}`);
}

/**
 * Pack the given objects the way `git repack -adf --window=250 --depth=50` would, with
 * `git pack-objects` fed the object list directly (each blob named after its file, for git's
 * delta heuristics): repack itself only packs what refs reach, and no ref reaches gitty objects.
 * The pack is written into `packedGitdir`, which borrows the objects through alternates while
 * packing and stands alone afterwards.
 */
export async function packObjects(
  sourceGitdir: string,
  packedGitdir: string,
  objects: readonly { hash: string; name: string }[],
  window = 250,
  depth = 50,
): Promise<void> {
  await initBare(packedGitdir);
  const alternates = path.join(packedGitdir, 'objects', 'info', 'alternates');
  await writeFile(alternates, `${path.resolve(sourceGitdir, 'objects')}\n`);
  const input = objects.map((o) => `${o.hash} ${o.name}`).join('\n') + '\n';
  const result = await run('git', [
    '--git-dir', packedGitdir, 'pack-objects', '-q', `--window=${window}`, `--depth=${depth}`,
    path.join(packedGitdir, 'objects', 'pack', 'pack'),
  ], { input });
  await rm(alternates, { force: true });
  if (result.code !== 0) throw new Error(`git pack-objects failed: ${result.stderr}`);
}

/**
 * A long-running `git cat-file --batch`, git's fastest way to read many objects: requests are
 * pipelined (all hashes written at once) and the replies parsed as they stream back.
 */
export class CatFileBatch {
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(gitdir: string) {
    this.child = spawn('git', ['--git-dir', gitdir, 'cat-file', '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  /** Read every hash; resolves with the total bytes of object data read. */
  read(hashes: readonly string[]): Promise<number> {
    return new Promise((resolve, reject) => {
      let buffer: Buffer = Buffer.alloc(0);
      let remaining = hashes.length;
      let bytes = 0;
      const onData = (chunk: Buffer) => {
        buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
        while (remaining > 0) {
          const eol = buffer.indexOf(10);
          if (eol < 0) return;
          const header = buffer.subarray(0, eol).toString();
          const parts = header.split(' ');
          if (parts[1] === 'missing') {
            cleanup();
            reject(new Error(`git cat-file: ${header}`));
            return;
          }
          const size = Number(parts[2]);
          if (buffer.length < eol + 1 + size + 1) return;
          bytes += size;
          buffer = buffer.subarray(eol + 1 + size + 1);
          remaining--;
        }
        cleanup();
        resolve(bytes);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        this.child.stdout.off('data', onData);
        this.child.off('error', onError);
      };
      this.child.stdout.on('data', onData);
      this.child.on('error', onError);
      this.child.stdin.write(`${hashes.join('\n')}\n`);
    });
  }

  /** End the process. */
  async close(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('close', () => resolve()));
    this.child.stdin.end();
    await exited;
  }
}
