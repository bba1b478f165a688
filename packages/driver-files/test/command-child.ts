import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { spawnTs } from '@gitty/driver-test/harness';

/**
 * A child process driven line by line: {@link next} resolves its next stdout line, {@link ask}
 * writes a command and resolves the answer. Rejects (with its stderr) when it exits first.
 */
export class CommandChild {
  readonly process: ChildProcess;
  private readonly lines: string[] = [];
  private readonly waiters: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  private stderr = '';
  private exited: number | undefined;

  constructor(script: string, args: readonly string[]) {
    this.process = spawnTs(script, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(line);
      else this.lines.push(line);
    });
    this.process.once('exit', (code, signal) => {
      this.exited = code ?? -1;
      // Let the last lines arrive first.
      setTimeout(() => {
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`child exited (${code ?? signal}) before answering: ${this.stderr}`));
      }, 100);
    });
  }

  /** The next line the child prints. */
  next(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited !== undefined) return Promise.reject(new Error(`child exited (${this.exited}): ${this.stderr}`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Send one command line and resolve the child's answer. */
  async ask(command: string): Promise<string> {
    this.process.stdin!.write(`${command}\n`);
    return this.next();
  }

  /** Resolves when the child has exited (its exit code, or -1 for a signal). */
  exit(): Promise<number> {
    if (this.exited !== undefined) return Promise.resolve(this.exited);
    return new Promise((resolve) => this.process.once('exit', (code) => resolve(code ?? -1)));
  }

  kill(): void {
    if (this.exited === undefined) this.process.kill('SIGKILL');
  }
}
