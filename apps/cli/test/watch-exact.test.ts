import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { registerPolledFiles, watching } from './support/until-signal.js';

// `gitty watch` in the test process: started through runCli, fed by writes of other runs, and
// stopped by calling the SIGINT (or SIGTERM) handler it installs, as a signal would.

const short = (hash: string) => hash.slice(0, 10);
const TIME = '\\d\\d:\\d\\d:\\d\\d';

describe('gitty watch (in-process)', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-watch-exact-'));
    // A driver that cannot push changes (the files driver without its watch): watch polls it.
    await registerPolledFiles('polled-files');
  });
  afterAll(async () => remove());

  async function put(store: string, name: string, data: string): Promise<string> {
    return (await gitty(['--store', store, '--json', 'put', name, '-'], { input: data })).json<{ commit: { commit: string } }>().commit.commit;
  }

  for (const driver of ['files', 'polled-files']) {
    it(`prints created, updated and deleted heads as they happen (${driver}), says what it watches, and stops at SIGINT`, async () => {
      const store = path.join(dir, `text-${driver}`);
      expect((await gitty(['--store', store, 'init'])).code).toBe(0);
      const hashes: string[] = [];
      const done = await watching(['--store', store, '--driver', driver], driver === 'files' ? [] : ['--interval', '10ms'], async (w) => {
        expect(w.stderr()).toBe(`watching --store ${store} (${driver === 'files' ? 'files' : 'polled'} driver); Ctrl-C to stop\n`);
        hashes.push(await put(store, 'w.txt', 'one\n'));
        await waitFor(() => w.stdout().split('\n').length > 1, 30_000);
        hashes.push(await put(store, 'w.txt', 'two\n'));
        await waitFor(() => w.stdout().split('\n').length > 2, 30_000);
        expect((await gitty(['--store', store, 'rm', 'w.txt'])).code).toBe(0);
        await waitFor(() => w.stdout().split('\n').length > 3, 30_000);
      });
      expect(done.code).toBe(0);
      expect(done.stdout).toMatch(new RegExp(`^${TIME} created w\\.txt - → ${short(hashes[0]!)}\n${TIME} updated w\\.txt ${short(hashes[0]!)} → ${short(hashes[1]!)}\n${TIME} deleted w\\.txt ${short(hashes[1]!)} → -\n$`));
    });
  }

  it('with --json prints one event per line with its time; SIGTERM stops it', async () => {
    const store = path.join(dir, 'json');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
    let created = '';
    const done = await watching(['--store', store, '--driver', 'polled-files', '--json'], ['--interval', '0'], async (w) => {
      created = await put(store, 'j.txt', 'j\n');
      await waitFor(() => w.stdout().includes('\n'), 30_000);
    }, 'SIGTERM');
    expect({ code: done.code, stderr: done.stderr }).toEqual({ code: 0, stderr: `watching --store ${store} (polled driver); Ctrl-C to stop\n` });
    const events = done.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toEqual([{ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), name: 'j.txt', old: null, new: created, origin: 'remote' }]);
  });

  it('refuses a bad --interval and a missing store', async () => {
    const store = path.join(dir, 'missing');
    const bad = await gitty(['--store', store, 'watch', '--interval', 'soon']);
    expect({ code: bad.code, stdout: bad.stdout, stderr: bad.stderr }).toEqual({ code: 2, stdout: '', stderr: 'gitty: Invalid --interval "soon" — write a number with a unit: ms, s, m, h, d or w (e.g. 1h, 30m, 1h30m, 0)\n' });
    const missing = await gitty(['--store', store, 'watch']);
    expect({ code: missing.code, stdout: missing.stdout, stderr: missing.stderr }).toEqual({ code: 1, stdout: '', stderr: `gitty: No store at ${store} — create one with \`gitty --store ${store} init\`, or check --store ${store}\n` });
  });
});
