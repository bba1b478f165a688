import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tsNodeArgs } from '@gitty/driver-test/harness';

/** The worker scripts the bench runs as real processes. */
export type WorkerScript = 'contention-worker' | 'replicate-node' | 'open-rss';

/**
 * Start a worker process with an IPC channel. From sources (tsx, vitest) the worker's `.ts` runs
 * through tsx against workspace sources; from `dist` the compiled `.js` runs on plain node.
 */
export function spawnWorker(script: WorkerScript, config: unknown): ChildProcess {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fileURLToPath(new URL(`./${script}.${fromSources ? 'ts' : 'js'}`, import.meta.url));
  const arg = JSON.stringify(config);
  const args = fromSources ? tsNodeArgs(file, [arg]) : [file, arg];
  return spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
}

/** The line of a worker's stderr that says what went wrong (not a stack frame). */
function errorLine(stderr: string): string {
  const lines = stderr.trim().split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('at '));
  return lines.find((l) => /error/i.test(l)) ?? lines[lines.length - 1] ?? '';
}

/** A worker's messages, delivered in order, with a way to wait for the next one that matches. */
export class WorkerChannel<M extends { type: string }> {
  private readonly queue: M[] = [];
  private readonly waiters: { match: (m: M) => boolean; resolve: (m: M) => void; reject: (e: Error) => void }[] = [];
  private stderr = '';
  private exited: Error | undefined;

  constructor(readonly child: ChildProcess, readonly label: string) {
    child.stderr?.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    child.on('message', (message) => this.deliver(message as M));
    child.on('exit', (code, signal) => {
      this.exited = new Error(`${label} exited (${code ?? signal}): ${errorLine(this.stderr)}`);
      for (const w of this.waiters.splice(0)) w.reject(this.exited);
    });
  }

  private deliver(message: M): void {
    const at = this.waiters.findIndex((w) => w.match(message));
    if (at >= 0) this.waiters.splice(at, 1)[0]!.resolve(message);
    else this.queue.push(message);
  }

  /** The next message of `type` (and matching `match`), waiting at most `timeoutMs`. */
  next<T extends M['type']>(type: T, timeoutMs = 60_000, match: (m: Extract<M, { type: T }>) => boolean = () => true): Promise<Extract<M, { type: T }>> {
    const test = (m: M) => m.type === type && match(m as Extract<M, { type: T }>);
    const queued = this.queue.findIndex(test);
    if (queued >= 0) return Promise.resolve(this.queue.splice(queued, 1)[0] as Extract<M, { type: T }>);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => {
      const waiter = {
        match: test,
        resolve: (m: M) => {
          clearTimeout(timer);
          resolve(m as Extract<M, { type: T }>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new Error(`${this.label}: no "${type}" message within ${timeoutMs} ms ${errorLine(this.stderr)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Send a message to the worker. */
  send(message: unknown): void {
    this.child.send(message as object);
  }

  /** Wait for the process to end, killing it after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await done;
    clearTimeout(timer);
  }
}
