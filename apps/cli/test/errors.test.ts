import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty, gittyProcess, type CliResult } from './cli-process.js';

/** A failure must be exactly one line on stderr, naming the problem and the fix. */
function expectOneLine(result: CliResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gitty: /);
  expect(lines[0]).toMatch(pattern);
}

describe('bad input gets one clear line and the right exit status', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;
  let head: string;
  let first: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-errors-'));
    store = path.join(dir, 'store');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
    first = (await gitty(['--store', store, '--json', 'put', 'a.txt', '-'], { input: 'one\n' })).json<{ commit: { commit: string } }>().commit.commit;
    head = (await gitty(['--store', store, '--json', 'put', 'a.txt', '-'], { input: 'two\n' })).json<{ commit: { commit: string } }>().commit.commit;
    await writeFile(path.join(dir, 'broken.json'), '{ "driver": "files", ');
    await writeFile(path.join(dir, 'nodriver.json'), JSON.stringify({ dir: 'store' }));
    await writeFile(path.join(dir, 'badoption.json'), JSON.stringify({ driver: 'files', dir: 'store', maxObjectSize: -3 }));
  });
  afterAll(async () => remove());

  it('reports a missing store, an unknown driver and malformed configs', async () => {
    const [none, absent, unknownDriver, broken, noDriver, badOption, missingConfig] = await Promise.all([
      gittyProcess(['ls'], { cwd: dir }), // a process of its own: its working directory, and main.ts's exit status
      gitty(['--store', path.join(dir, 'nope'), 'ls']),
      gitty(['--store', store, '--driver', 'nosuchdriver', 'ls']),
      gitty(['--config', path.join(dir, 'broken.json'), 'ls']),
      gitty(['--config', path.join(dir, 'nodriver.json'), 'ls']),
      gitty(['--config', path.join(dir, 'badoption.json'), 'ls']),
      gitty(['--config', path.join(dir, 'missing.json'), 'ls']),
    ]);
    expectOneLine(none, 2, /No store selected — give --store <dir>, set GITTY_STORE/);
    expectOneLine(absent, 1, /No store at .*nope — create one with `gitty --store .*nope init`/);
    expectOneLine(unknownDriver, 1, /Driver "nosuchdriver" not found: not a built-in driver \(memory, files, packs, sqlite, redis\), and no package "nosuchdriver" is installed: npm install nosuchdriver$/);
    expectOneLine(broken, 1, /broken\.json is not valid JSON/);
    expectOneLine(noDriver, 1, /nodriver\.json: The config lacks "driver"/);
    expectOneLine(badOption, 1, /"maxObjectSize" must be a positive integer/);
    expectOneLine(missingConfig, 1, /Config file .*missing\.json does not exist/);
  });

  it('reports an invalid name, an unknown hash and a stale --expect, leaving the store intact', async () => {
    const unknown = 'f'.repeat(40);
    const [badName, badHash, unknownHash, stale, expectOnNew] = await Promise.all([
      gitty(['--store', store, 'put', 'a/b.txt', '-'], { input: 'x' }),
      gitty(['--store', store, 'cat', 'xyz']),
      gitty(['--store', store, 'get', unknown]),
      gitty(['--store', store, 'put', 'a.txt', '-', '--expect', first], { input: 'stale\n' }),
      gitty(['--store', store, 'put', 'new.txt', '-', '--expect', first], { input: 'x' }),
    ]);
    expectOneLine(badName, 1, /Invalid file name "a\/b.txt": contains a control character, "\/" or "\\" — a name is 1-255 characters/);
    expectOneLine(badHash, 1, /a hash is 40 hexadecimal digits, or a unique prefix of at least 4/);
    expectOneLine(unknownHash, 1, new RegExp(`No commit "${unknown}" — list versions with \`gitty log <name>\``));
    expectOneLine(stale, 1, new RegExp(`File "a.txt" is at ${head}, not at ${first} — someone saved first: .*--expect ${head}`));
    expectOneLine(expectOnNew, 1, /File "new.txt" has no head .*create it with `gitty put new.txt` without --expect/);

    const after = await gitty(['--store', store, 'get', 'a.txt']);
    expect(after.stdout).toBe('two\n');
  });

  it('gives usage errors exit status 2', async () => {
    const [option, duration, json] = await Promise.all([
      gitty(['--store', store, 'frobnicate', '--bogus']),
      gitty(['--store', store, 'gc', '--grace', 'soon']),
      gitty(['--store', store, '--json', 'log', 'a.txt', '--depth', '0']),
    ]);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^gitty: unknown (command 'frobnicate'|option '--bogus')/);
    expectOneLine(duration, 2, /Invalid --grace "soon" — write a number with a unit: ms, s, m, h, d or w/);
    expect(json.code).toBe(2);
    expect(json.json()).toEqual({ error: { code: 'USAGE', message: 'Invalid --depth "0"', hint: 'give a whole number of at least 1' } });
  });

  it('shows the stack trace only with --debug', async () => {
    const [plain, debug] = await Promise.all([
      gitty(['--store', store, 'get', 'missing.txt']),
      gitty(['--store', store, '--debug', 'get', 'missing.txt']),
    ]);
    expectOneLine(plain, 1, /No file "missing.txt" — list the files with `gitty ls`/);
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/NotFoundError: No file "missing.txt"\n\s+at /);
  });
});
