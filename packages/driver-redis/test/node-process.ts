import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnTs } from '@gitty/driver-test/harness';

const SCRIPT = fileURLToPath(new URL('./fixtures/node.ts', import.meta.url));

/** A replica node running in a child process (test/fixtures/node.ts), driven line by line. */
export class NodeProcess {
  private readonly lines: string[] = [];
  private readonly waiting: Array<(line: string) => void> = [];
  private stderr = '';
  private readonly exited: Promise<void>;

  private constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const waiter = this.waiting.shift();
        if (waiter) waiter(line);
        else this.lines.push(line);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Start a node with the redis driver's config (minus `driver`) and wait until it is open; `env` adds variables (e.g. libfaketime's). */
  static async start(config: Record<string, unknown>, env: Record<string, string> = {}): Promise<NodeProcess> {
    const node = new NodeProcess(spawnTs(SCRIPT, [JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } }));
    const first = await node.nextLine(60_000);
    if (first !== 'ready') throw new Error(`node did not start: ${first} ${node.stderr}`);
    return node;
  }

  /** The next line the node prints. */
  nextLine(timeoutMs = 60_000): Promise<string> {
    const queued = this.lines.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer from node within ${timeoutMs} ms: ${this.stderr}`)), timeoutMs);
      this.waiting.push((line) => {
        clearTimeout(timer);
        resolve(line);
      });
      this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`node exited: ${this.stderr}`));
      }, () => undefined);
    });
  }

  /** Send one command and wait for its answer line. */
  async send(command: string): Promise<string> {
    this.child.stdin!.write(`${command}\n`);
    const answer = await this.nextLine();
    if (answer.startsWith('error ')) throw new Error(`node: ${answer}`);
    return answer;
  }

  /** Close the node's store and wait for the process to end (kill after 10 s). */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGCONT');
      this.child.stdin!.end('exit\n');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Kill abruptly and wait for the exit. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** What a node's `report` command prints. */
export interface NodeReport {
  heads: Record<string, string>;
  objects: string[];
  fsckErrors: unknown[];
  stats: Record<string, number>;
}
