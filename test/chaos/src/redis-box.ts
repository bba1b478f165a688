import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { run, startRedisServer, type RedisServer } from '@gitty/driver-test/harness';

/**
 * One real redis-server on a fixed loopback port that the nemesis can kill, restart empty,
 * restart from an older snapshot of the same data, flush, and cut clients off.
 * RDB files live in `dir`; nothing is saved unless {@link snapshot} asks for it.
 */
export class RedisBox {
  private server: RedisServer | undefined;
  private port = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get serverPort(): number {
    return this.port;
  }

  get running(): boolean {
    const child = this.server?.process;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  private get dump(): string {
    return path.join(this.dir, 'dump.rdb');
  }

  private get older(): string {
    return path.join(this.dir, 'older.rdb');
  }

  /** Start (or restart on the same port), loading `dump.rdb` when present. */
  async start(): Promise<void> {
    this.server = await startRedisServer(['--dir', this.dir, '--dbfilename', 'dump.rdb'], this.port || undefined);
    this.port = this.server.port;
  }

  /** redis-cli against this server; the reply text. */
  async cli(...args: string[]): Promise<string> {
    const result = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], { timeoutMs: 10_000 });
    return result.stdout.toString().trim();
  }

  /** Save the current data set as the "older snapshot" a later {@link restartFromSnapshot} restores. */
  async snapshot(): Promise<boolean> {
    const answer = await this.cli('SAVE');
    if (answer !== 'OK' || !existsSync(this.dump)) return false;
    copyFileSync(this.dump, this.older);
    rmSync(this.dump, { force: true });
    return true;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    await this.server?.kill();
  }

  /** Kill, then start with no data at all. */
  async restartEmpty(): Promise<void> {
    await this.kill();
    rmSync(this.dump, { force: true });
    await this.start();
  }

  /** Kill, then start from the snapshot taken earlier: Redis silently loses the writes since. */
  async restartFromSnapshot(): Promise<void> {
    await this.kill();
    if (existsSync(this.older)) copyFileSync(this.older, this.dump);
    await this.start();
    rmSync(this.dump, { force: true });
  }

  /** Start again if a fault left it down. */
  async ensureRunning(): Promise<void> {
    if (!this.running) await this.start();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
  }
}
