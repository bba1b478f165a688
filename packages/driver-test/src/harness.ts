import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { createRequire } from 'node:module';

/**
 * Test harness helpers shared by every package's tests: temp dirs, child processes running
 * TypeScript sources, free loopback ports, real redis-server and git processes.
 */

/** A fresh temp directory and a function that removes it. */
export async function tempDir(prefix = 'gitty-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

const tsxLoader = createRequire(import.meta.url).resolve('tsx');

/**
 * Node arguments that run a TypeScript file against the workspace's sources
 * (the `gitty-source` export condition), as a child process.
 */
export function tsNodeArgs(script: string, args: readonly string[] = []): string[] {
  return ['--conditions=gitty-source', '--import', pathToFileHref(tsxLoader), script, ...args];
}

function pathToFileHref(p: string): string {
  return new URL(`file://${p}`).href;
}

/** Spawn `node` on a TypeScript script (see {@link tsNodeArgs}). */
export function spawnTs(script: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildProcess {
  return spawn(process.execPath, tsNodeArgs(script, args), { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Run a command to completion; resolves with its output and exit code (never rejects on exit code). */
export function run(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { input?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (d: Buffer) => out.push(d));
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin?.on('error', () => undefined); // a command may exit without reading its input (EPIPE)
    child.stdin?.end(options.input ?? '');
  });
}

/** Run git; rejects with its stderr when it exits non-zero. */
export async function git(args: readonly string[], options: SpawnOptions & { input?: string | Uint8Array } = {}): Promise<Buffer> {
  const result = await run('git', args, options);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return result.stdout;
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server started by a test on a free loopback port, with nothing persisted. */
export interface RedisServer {
  port: number;
  url: string;
  process: ChildProcess;
  /** Stop it (SIGTERM, then SIGKILL) and wait for the exit. */
  stop(): Promise<void>;
  /** Kill it abruptly (SIGKILL) and wait for the exit. */
  kill(): Promise<void>;
}

/** Start a redis-server on a free loopback port (`--save "" --appendonly no`). */
export async function startRedisServer(extraArgs: readonly string[] = [], port?: number): Promise<RedisServer> {
  const chosen = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(chosen), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (d: Buffer) => {
      log += d.toString();
      if (/Ready to accept connections/.test(log)) {
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    // Configuration errors go to stderr: without it the rejection would not say what was wrong.
    const onErr = (d: Buffer) => (log += d.toString());
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onErr);
    // 'close', not 'exit': only then has all of its output been read.
    child.on('close', (code) => reject(new Error(`redis-server exited with ${code}: ${log}`)));
    setTimeout(() => reject(new Error(`redis-server did not start: ${log}`)), 10_000).unref();
  });
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return {
    port: chosen,
    url: `redis://127.0.0.1:${chosen}`,
    process: child,
    stop: () => stopWith('SIGTERM'),
    kill: () => stopWith('SIGKILL'),
  };
}

/**
 * Replace the loose object file of `hash` below `objectsRoot` (git's `ab/cdef…` layout, as the
 * files, packs and sqlite drivers keep it) with a valid zlib encoding of other content, as the
 * suite's `corruptObject` hook: it still inflates and parses, and only re-hashing notices.
 */
export async function corruptLooseObject(objectsRoot: string, hash: string): Promise<void> {
  const file = path.join(objectsRoot, hash.slice(0, 2), hash.slice(2));
  const other = Buffer.from('replaced behind the driver\'s back\n');
  await rm(file); // object files may be read-only
  await writeFile(file, deflateSync(Buffer.concat([Buffer.from(`blob ${other.length}\0`), other])));
}

/** Wait until `predicate` holds, polling every `intervalMs`, or throw after `timeoutMs`. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * mulberry32: a tiny seeded PRNG in [0, 1), so the same seed gives the same data on every
 * machine (generated workloads, reproducible random populations).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
export { startSentinelSet, type SentinelOptions, type SentinelSet } from './redis-sentinel.js';
export { openFilesUnder } from './open-files.js';
