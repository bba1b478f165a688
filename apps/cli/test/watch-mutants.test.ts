import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { registerDriver, resolveDriverFactory } from '@gitty/core';
import { PassThroughDriver } from '@gitty/driver-test';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { registerBuiltinDrivers } from '../src/drivers.js';
import { runCli } from '../src/cli.js';
import { gitty } from './cli-process.js';

// What watch-exact leaves open in commands/watch.ts (mutation survivors): a polled deletion's
// origin in --json, and the poll timer cleared when watch stops (no timer left in the process).

interface Watching {
  stdout: () => string;
  stderr: () => string;
}

async function watching(args: string[], watchArgs: string[], use: (w: Watching) => Promise<void>, signal: 'SIGINT' | 'SIGTERM' = 'SIGINT'): Promise<{ code: number; stdout: string; stderr: string }> {
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
    running = runCli([...args, 'watch', ...watchArgs], {
      stdin: Readable.from([]),
      stdout: { write: (chunk) => ((stdout += String(chunk)), true) },
      stderr: { write: (chunk) => ((stderr += String(chunk)), true) },
      env: { ...process.env, GITTY_STORE: '', NO_COLOR: '1' },
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
  expect({ SIGINT: process.listenerCount('SIGINT'), SIGTERM: process.listenerCount('SIGTERM') }).toEqual(before);
  return { code, stdout, stderr };
}


// Counting the process's active timers was flaky (another test file's timer could expire meanwhile),
// so track the intervals watch starts and check each one is cleared.
const original = { set: globalThis.setInterval.bind(globalThis), clear: globalThis.clearInterval.bind(globalThis) };
function trackIntervals(): { uncleared: () => unknown[]; restore: () => void } {
  const started: unknown[] = [];
  const cleared = new Set<unknown>();
  const set = vi.spyOn(globalThis, 'setInterval').mockImplementation(((...args: Parameters<typeof setInterval>) => {
    const handle = original.set(...args);
    started.push(handle);
    return handle;
  }) as typeof setInterval);
  const clear = vi.spyOn(globalThis, 'clearInterval').mockImplementation(((handle?: Parameters<typeof clearInterval>[0]) => {
    cleared.add(handle);
    original.clear(handle);
  }) as typeof clearInterval);
  return {
    uncleared: () => started.filter((handle) => !cleared.has(handle)),
    restore: () => {
      set.mockRestore();
      clear.mockRestore();
    },
  };
}

describe('gitty watch on a polled driver (mutants)', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-watch-mutants-'));
    registerBuiltinDrivers();
    const files = await resolveDriverFactory('files');
    registerDriver('polled-files-m', async (options, context) => {
      const driver = new PassThroughDriver(await files(options, context));
      Object.assign(driver, { name: 'polled', capabilities: { ...driver.capabilities, watch: false }, watch: undefined });
      return driver;
    });
  });
  afterAll(async () => remove());

  it('with --json a polled deletion carries origin "remote"; stopping leaves no poll timer behind', async () => {
    const store = path.join(dir, 'json');
    const put = await gitty(['--store', store, '--json', 'put', 'd.txt', '-'], { input: 'd\n' });
    const head = put.json<{ commit: { commit: string } }>().commit.commit;
    const intervals = trackIntervals();
    const done = await watching(['--store', store, '--driver', 'polled-files-m', '--json'], ['--interval', '10ms'], async (w) => {
      expect((await gitty(['--store', store, 'rm', 'd.txt'])).code).toBe(0);
      await waitFor(() => w.stdout().includes('\n'), 30_000);
    }).finally(() => intervals.restore());
    expect(done.code).toBe(0);
    const events = done.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toEqual([{ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), name: 'd.txt', old: head, new: null, origin: 'remote' }]);
    expect(intervals.uncleared()).toEqual([]);
  });
});
