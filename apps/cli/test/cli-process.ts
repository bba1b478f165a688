import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run, tsNodeArgs } from '@gitty/driver-test/harness';

/** The CLI's entry point, run from TypeScript sources in a child process. */
export const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

/** What a finished `gitty` process left behind. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws with the output when it is not). */
  json<T = unknown>(): T;
}

/** Run `gitty <args>` as a real child process and wait for it. */
export async function gitty(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string | Uint8Array } = {}): Promise<CliResult> {
  const env = { ...process.env, GITTY_STORE: '', NO_COLOR: '1', ...options.env };
  const result = await run(process.execPath, tsNodeArgs(MAIN, args), { cwd: options.cwd, env, input: options.input, timeoutMs: 60_000 });
  const stdout = result.stdout.toString('utf8');
  return {
    code: result.code,
    signal: result.signal,
    stdout,
    stderr: result.stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`gitty ${args.join(' ')} printed no JSON (exit ${result.code}): ${stdout}\n${result.stderr}`);
      }
    },
  };
}

/** Start `gitty <args>` and return the running child (for watch and interrupted copies). */
export function startGitty(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  return spawn(process.execPath, tsNodeArgs(MAIN, args), {
    cwd: options.cwd,
    env: { ...process.env, GITTY_STORE: '', NO_COLOR: '1', ...options.env },
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
