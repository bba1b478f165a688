// watch and serve run until Ctrl-C: tests run them in this process and stop them by calling the
// SIGINT (or SIGTERM) handler they install, as a signal would.
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { registerDriver, resolveDriverFactory } from '@gitty/core';
import { PassThroughDriver } from '@gitty/driver-test';
import { registerBuiltinDrivers } from '../../src/drivers.js';
import { runCli } from '../../src/cli.js';

/** The output so far of a run that has not stopped yet. */
export interface Running {
  stdout: () => string;
  stderr: () => string;
}

/** A finished in-process run. */
export interface Stopped {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * runCli(`argv`) with `env` over the usual test environment (no store from the caller's shell, no
 * colours); once it has installed its SIGINT and SIGTERM handlers, `use` it, then call the
 * `signal` handler and check it leaves no handler behind; `stopped` runs after that. A run that
 * ends before trapping both signals is returned as it is.
 */
export async function untilSignal(
  argv: string[],
  env: NodeJS.ProcessEnv,
  use: (running: Running) => Promise<void>,
  signal: 'SIGINT' | 'SIGTERM' = 'SIGINT',
  stopped: () => Promise<void> = async () => {},
): Promise<Stopped> {
  let stdout = '';
  let stderr = '';
  const handlers: Partial<Record<string | symbol, () => void>> = {};
  let trapped: () => void = () => {};
  const ready = new Promise<void>((resolve) => (trapped = resolve));
  const onListener = (event: string | symbol, listener: () => void) => {
    if (event !== 'SIGINT' && event !== 'SIGTERM') return;
    handlers[event] = listener;
    if (handlers.SIGINT && handlers.SIGTERM) trapped();
  };
  const before = { SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') };
  process.on('newListener', onListener);
  let running: Promise<number>;
  try {
    running = runCli(argv, {
      stdin: Readable.from([]),
      stdout: { write: (chunk) => ((stdout += String(chunk)), true) },
      stderr: { write: (chunk) => ((stderr += String(chunk)), true) },
      env: { ...process.env, GITTY_STORE: '', NO_COLOR: '1', ...env },
    });
    const early = await Promise.race([ready.then(() => undefined), running]);
    if (early !== undefined) return { code: early, stdout, stderr };
  } finally {
    process.off('newListener', onListener);
  }
  try {
    await use({ stdout: () => stdout, stderr: () => stderr });
  } finally {
    handlers[signal]!();
  }
  const code = await running;
  // Stopped, it leaves no handler behind (neither the one called nor the other).
  expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(before);
  await stopped();
  return { code, stdout, stderr };
}

/** Run `gitty <args> watch <watchArgs>`, call `use` once it watches, stop it with `signal`; resolves with the exit status. */
export function watching(args: string[], watchArgs: string[], use: (w: Running) => Promise<void>, signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Promise<Stopped> {
  return untilSignal([...args, 'watch', ...watchArgs], {}, use, signal);
}

/** Register, as `name`, the files driver without its watch (a driver that cannot push changes: watch polls it). */
export async function registerPolledFiles(name: string): Promise<void> {
  registerBuiltinDrivers();
  const files = await resolveDriverFactory('files');
  registerDriver(name, async (options, context) => {
    const driver = new PassThroughDriver(await files(options, context));
    Object.assign(driver, { name: 'polled', capabilities: { ...driver.capabilities, watch: false }, watch: undefined });
    return driver;
  });
}
