import type { ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnTs } from '@gitty/driver-test/harness';
import type { ClientArgs, ClientCommand, ClientReply } from './client.js';

const CLIENT_SCRIPT = fileURLToPath(new URL('./client.ts', import.meta.url));

/** A client child process (src/client.ts), its IPC channel and its stderr log. */
export class ClientProcess {
  private readonly waiting: Array<{ event: ClientReply['event']; resolve: (reply: ClientReply) => void }> = [];
  readonly exited: Promise<void>;
  private stopped = false;

  private constructor(
    readonly child: ChildProcess,
    readonly args: ClientArgs,
    private readonly log: WriteStream,
  ) {
    child.stderr?.pipe(log, { end: false });
    child.stdout?.resume();
    child.on('message', (reply: ClientReply) => {
      const index = this.waiting.findIndex((w) => w.event === reply.event || reply.event === 'error');
      if (index >= 0) this.waiting.splice(index, 1)[0]!.resolve(reply);
      else if (reply.event === 'error') log.write(`client error: ${reply.message}\n`);
    });
    child.on('error', () => undefined); // IPC to a killed process
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Spawn a client with `env` added (the fake clock), logging stderr to `logFile`. */
  static spawn(args: ClientArgs, env: Record<string, string>, logFile: string): ClientProcess {
    const child = spawnTs(CLIENT_SCRIPT, [JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...env },
    });
    return new ClientProcess(child, args, createWriteStream(logFile, { flags: 'a' }));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Whether the nemesis holds it stopped (SIGSTOP). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** The next reply of kind `event` (or an error reply), or undefined after `timeoutMs` or an exit. */
  next(event: ClientReply['event'], timeoutMs: number): Promise<ClientReply | undefined> {
    return new Promise((resolve) => {
      const entry = { event, resolve: (reply: ClientReply | undefined) => finish(reply) };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (reply: ClientReply | undefined) => {
        clearTimeout(timer);
        const index = this.waiting.indexOf(entry);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(reply);
      };
      this.waiting.push(entry);
      void this.exited.then(() => finish(undefined));
    });
  }

  /** Send a command and wait for its reply (undefined on timeout or exit). */
  async request(command: ClientCommand, event: ClientReply['event'], timeoutMs: number): Promise<ClientReply | undefined> {
    if (!this.alive || !this.child.connected) return undefined;
    const answer = this.next(event, timeoutMs);
    try {
      this.child.send(command);
    } catch {
      return undefined;
    }
    return answer;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.alive) return;
    if (signal === 'SIGSTOP') this.stopped = true;
    if (signal === 'SIGCONT') this.stopped = false;
    this.child.kill(signal);
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
    this.log.end();
  }

  /** Ask it to close its store and exit; SIGKILL after `timeoutMs`. */
  async exit(timeoutMs: number): Promise<void> {
    if (this.alive) {
      this.signal('SIGCONT');
      try {
        this.child.send({ cmd: 'exit' } satisfies ClientCommand);
      } catch {
        // already disconnected
      }
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.log.end();
  }
}
