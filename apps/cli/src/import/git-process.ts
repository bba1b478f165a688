import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { CliError } from '../errors.js';

/**
 * The real `git` binary as child processes, for `gitty import --git`: short commands run to
 * completion, and long-running ones (`git log`, `git cat-file --batch`) read as streams.
 */

// No pager, no prompt for credentials, no lock taken on the repository's index; and the
// repository is the one given with -C, not one that GIT_DIR & co. of a calling hook name.
const GIT_ENV: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', GIT_OPTIONAL_LOCKS: '0' };
for (const variable of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_COMMON_DIR', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_NAMESPACE']) {
  delete GIT_ENV[variable];
}

/** Start git in `repo` with pipes on every stream. */
export function spawnGit(repo: string, args: readonly string[]): ChildProcessWithoutNullStreams {
  return spawn('git', ['-C', repo, ...args], { env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** What a finished git command printed. */
export interface GitResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

/** Run a short git command to completion (never rejects on its exit status; GIT_FAILED when git cannot start). */
export function runGit(repo: string, args: readonly string[]): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawnGit(repo, args);
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e) => reject(gitMissing(e)));
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err.trim() }));
    child.stdin.end();
  });
}

/** The error for a git that cannot be started at all. */
export function gitMissing(err: Error): CliError {
  return new CliError('GIT_FAILED', `Cannot run git: ${err.message}`, 'install git and make sure it is on the PATH');
}

/** The error for a long-running git command that failed midway. */
export function gitFailed(what: string, code: number | null, stderr: string): CliError {
  return new CliError('GIT_FAILED', `git ${what} failed (exit ${code ?? 'signal'}): ${stderr.trim().split('\n')[0] ?? ''}`);
}

/**
 * A long-running git child whose failure is reported once it ends: `finished()` resolves when
 * it exited 0 and rejects with GIT_FAILED (its first stderr line) otherwise; `stop()` ends it early.
 */
export class GitChild {
  readonly process: ChildProcessWithoutNullStreams;
  private stderr = '';
  private readonly exit: Promise<number | null>;
  private stopped = false;

  constructor(
    repo: string,
    private readonly args: readonly string[],
  ) {
    this.process = spawnGit(repo, args);
    this.process.stderr.on('data', (d: Buffer) => {
      // Only the start is reported; a runaway stderr must not grow without bound.
      if (this.stderr.length < 4096) this.stderr += d.toString();
    });
    this.process.stdin.on('error', () => undefined); // git may exit before reading all input (EPIPE)
    this.exit = new Promise((resolve, reject) => {
      this.process.on('error', (e) => reject(gitMissing(e)));
      this.process.on('close', (code) => resolve(code));
    });
    this.exit.catch(() => undefined); // observed by finished(); never an unhandled rejection
  }

  /** Resolves when git exited 0; GIT_FAILED otherwise (unless stopped on purpose). */
  async finished(): Promise<void> {
    const code = await this.exit;
    if (code !== 0 && !this.stopped) throw gitFailed(this.args[0] ?? '', code, this.stderr);
  }

  /** End the process now (early return, abort, or an error elsewhere) and wait for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill('SIGTERM');
    await this.exit.catch(() => undefined);
  }
}

/**
 * The NUL-terminated fields of a stream (`git log -z`), as they arrive, with backpressure:
 * only the current chunk and a partial field are held.
 */
export async function* nulFields(stream: Readable): AsyncGenerator<Buffer> {
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const data = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nul = data.indexOf(0, start); nul !== -1; nul = data.indexOf(0, start)) {
      yield data.subarray(start, nul);
      start = nul + 1;
    }
    rest = Buffer.from(data.subarray(start));
  }
  if (rest.length > 0) yield rest;
}
