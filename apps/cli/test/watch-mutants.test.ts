import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { registerPolledFiles, watching } from './support/until-signal.js';

// What watch-exact leaves open in commands/watch.ts (mutation survivors): a polled deletion's
// origin in --json, and the poll timer cleared when watch stops (no timer left in the process).

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
    await registerPolledFiles('polled-files-m');
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
