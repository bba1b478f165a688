import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { run, tsNodeArgs } from '@gitty/driver-test/harness';
import { runCli } from '../src/cli.js';

/** The CLI's entry point, run from TypeScript sources in a child process. */
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** What a finished `gitty` run left behind. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not). */
  json<T = unknown>(): T;
}

/** The environment every run sees: no store from the caller's shell, no colours. */
function cliEnv(env: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, GITTY_STORE: '', NO_COLOR: '1', ...env };
}

function result(args: readonly string[], code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): CliResult {
  return {
    code,
    signal,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`gitty ${args.join(' ')} printed no JSON (exit ${code}): ${stdout}\n${stderr}`);
      }
    },
  };
}

interface Captured { stdout: Buffer[]; stderr: Buffer[] }

/** In-process runs not yet finished (see {@link gitty}). */
const inFlight = new Set<Captured>();
let release: (() => void) | undefined;

/**
 * While runs are in flight, whatever reaches this process's own stdout, stderr or console (a
 * Node warning, a library's console.warn) is also counted as output of every run in flight:
 * a real gitty process would have printed it, so assertions such as "stderr is empty" still fail.
 */
function catchStrayOutput(): () => void {
  const streams = { stdout: process.stdout, stderr: process.stderr } as const;
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const into = (which: keyof Captured, chunk: unknown) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    for (const run of inFlight) run[which].push(bytes);
  };
  for (const which of ['stdout', 'stderr'] as const) {
    const original = writes[which];
    streams[which].write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      into(which, chunk);
      return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof original;
  }
  const methods = { log: 'stdout', info: 'stdout', debug: 'stdout', warn: 'stderr', error: 'stderr' } as const;
  const originals = new Map<keyof typeof methods, (...args: unknown[]) => void>();
  for (const [method, which] of Object.entries(methods) as [keyof typeof methods, keyof Captured][]) {
    const original = console[method];
    originals.set(method, original);
    console[method] = (...args: unknown[]) => {
      into(which, `${format(...args)}\n`);
      original.apply(console, args);
    };
  }
  return () => {
    streams.stdout.write = writes.stdout;
    streams.stderr.write = writes.stderr;
    for (const [method, original] of originals) console[method] = original;
  };
}

/**
 * Run `gitty <args>` in this process, through `runCli` with its own stdin, stdout, stderr and
 * environment (what main.ts passes on from the process), and wait for it. Runs may overlap.
 * Tests of what only a process has (its working directory, exit on signals, a terminal,
 * resource limits) use {@link gittyProcess} or {@link startGitty}.
 */
export async function gitty(args: readonly string[], options: { env?: NodeJS.ProcessEnv; input?: string | Uint8Array } = {}): Promise<CliResult> {
  const captured: Captured = { stdout: [], stderr: [] };
  const sink = (chunks: Buffer[]) => ({
    write(chunk: string | Uint8Array) {
      chunks.push(Buffer.from(chunk));
      return true;
    },
  });
  const stdin = Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]);
  if (inFlight.size === 0) release = catchStrayOutput();
  inFlight.add(captured);
  let code: number;
  try {
    code = await runCli(args, { stdin, stdout: sink(captured.stdout), stderr: sink(captured.stderr), env: cliEnv(options.env) });
  } finally {
    inFlight.delete(captured);
    if (inFlight.size === 0) release?.();
  }
  return result(args, code, null, Buffer.concat(captured.stdout).toString('utf8'), Buffer.concat(captured.stderr).toString('utf8'));
}

/** Run `gitty <args>` as a real child process (TypeScript sources through main.ts) and wait for it. */
export async function gittyProcess(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Uint8Array } = {}): Promise<CliResult> {
  const done = await run(process.execPath, tsNodeArgs(MAIN, args), { cwd: options.cwd, env: cliEnv(options.env), input: options.input, timeoutMs: 60_000 });
  return result(args, done.code, done.signal, done.stdout.toString('utf8'), done.stderr);
}

/** Start `gitty <args>` and return the running child (for watch and interrupted copies). */
export function startGitty(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, tsNodeArgs(MAIN, args), {
    cwd: options.cwd,
    env: cliEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Collect a child's output as it arrives. */
export function collectOutput(child: ChildProcess): { stdout: () => string; stderr: () => string; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }> } {
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { stdout: () => out, stderr: () => err, exited };
}
