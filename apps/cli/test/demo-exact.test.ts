import { readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerDriver, resolveDriverFactory, type Commit, type DriverFactory } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { registerBuiltinDrivers } from '../src/drivers.js';
import { gitty, type CliResult } from './cli-process.js';

// `gitty demo` in the test process with a frozen clock, so every hash is fixed: the whole
// screen, exactly (only the bytes on disk vary with the file system), for each driver.

/** Steps 1-6 and the title of step 7, the same on every driver. */
const STEPS_1_TO_6 = [
  '',
  '1. Save files; every save is a new version  $ gitty put hello.pl ./hello.pl --author jan -m "first try"',
  '   hello.pl   created  ceeeb7856c  jan   first try',
  '   notes.md   created  e27a2343a7  anne  start notes',
  '   hello.pl   updated  bc930be4f8  anne  greet someone',
  '   queens.pl  created  4dd742d52c  jan   n-queens',
  '   notes.md   updated  6cdd2cf992  jan   more notes',
  '   hello.pl   updated  ed5a917b51  jan   default greeting',
  '',
  '2. List files with their newest version  $ gitty ls',
  '   hello.pl   ed5a917b51  jan  #demo #stable',
  '   notes.md   6cdd2cf992  jan  #docs #todo',
  '   queens.pl  4dd742d52c  jan  #puzzle',
  '',
  `3. A file's history, newest first  $ gitty log hello.pl`,
  '   ed5a917b51  jan   default greeting',
  '   bc930be4f8  anne  greet someone',
  '   ceeeb7856c  jan   first try',
  '',
  '4. What changed in the newest version  $ gitty diff hello.pl',
  '   tags added: stable',
  '   @@ -1,2 +1,4 @@',
  '   +hello :- hello(world).',
  '   +',
  '    hello(Who) :-',
  '        format("hello ~w~n", [Who]).',
  '',
  '5. Optimistic concurrency: saving over a stale version is refused  $ gitty put hello.pl --expect bc930be4f8',
  '   refused NOT_AT_HEAD: hello.pl is at ed5a917b51, not bc930be4f8; nothing overwritten',
  '',
  '6. Objects are git objects  $ git hash-object hello.pl',
  '   blob a3cf9420aa555564150a5bfdf7168260f6ed73b1  = git hash-object',
  '',
  '7. Pack loose objects, with deltas between versions  $ gitty repack',
].join('\n');

function screen(dir: string, driver: string, step7: string, stats: string, run: string): string {
  const flag = driver === 'files' ? '' : ` --driver ${driver}`;
  return [
    'gitty — a versioned file store modelled on git',
    `store: ${dir} (${driver} driver)`,
    STEPS_1_TO_6,
    `   ${step7}`,
    '',
    '8. Verify every object, history and head  $ gitty fsck',
    '   ok: 14 objects, 7 commits, 3 heads (1 commit from the refused save awaits gc)',
    '',
    '9. Store statistics  $ gitty stats',
    `   ${stats}; N KiB on disk`,
    '',
    `Explore this store (and ${run} --help):`,
    `   ${run} --store ${dir}${flag} log hello.pl`,
    `   ${run} --store ${dir}${flag} git cat-file -p a3cf9420aa`,
    '',
  ].join('\n');
}

/** The bytes on disk depend on the file system's blocks: the one figure not compared. */
function shown(result: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: result.code, stdout: result.stdout.replace(/; [\d.]+ KiB on disk\n/, '; N KiB on disk\n'), stderr: result.stderr };
}

const PACKS_STEP7 = 'packed 14 objects (4 deltas) into 1.3 KiB';
const FILES_STEP7 = 'repack skipped: the files driver has no packs (try --driver packs)';
const PACKS_STATS = '3 files, 6 versions; objects 0 loose + 14 packed (1 pack)';
const FILES_STATS = '3 files, 6 versions; objects 14 loose + 0 packed';

describe('gitty demo (exact)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const argv1 = process.argv[1] as string;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-demo-exact-')));
  afterAll(async () => remove());
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_700_000_000_000);
  });
  afterEach(() => {
    vi.useRealTimers();
    process.argv[1] = argv1;
  });

  it('on the packs driver (the default), run as `node dist/main.js` from the repository', async () => {
    const store = path.join(dir, 'packs');
    process.argv[1] = path.join(process.cwd(), 'dist', 'main.js');
    const relative = path.join('dist', 'main.js');
    expect(shown(await gitty(['demo', store]))).toEqual({ code: 0, stdout: screen(store, 'packs', PACKS_STEP7, PACKS_STATS, `node ${relative}`), stderr: '' });
  });

  it('on the files driver, run as an installed `gitty`; a script outside the working directory is `gitty` too', async () => {
    const store = path.join(dir, 'files');
    process.argv[1] = '/usr/local/bin/gitty';
    expect(shown(await gitty(['--driver', 'files', 'demo', store]))).toEqual({ code: 0, stdout: screen(store, 'files', FILES_STEP7, FILES_STATS, 'gitty'), stderr: '' });
    // Inside the working directory but not a .js script (an installed link): `gitty` as well.
    const linked = path.join(dir, 'files-linked');
    process.argv[1] = path.join(process.cwd(), 'bin', 'gitty');
    expect(shown(await gitty(['--driver', 'files', 'demo', linked]))).toEqual({ code: 0, stdout: screen(linked, 'files', FILES_STEP7, FILES_STATS, 'gitty'), stderr: '' });
    const elsewhere = path.join(dir, 'files-elsewhere');
    process.argv[1] = path.join(path.dirname(process.cwd()), 'other', 'main.js');
    expect(shown(await gitty(['--driver', 'files', 'demo', elsewhere]))).toEqual({ code: 0, stdout: screen(elsewhere, 'files', FILES_STEP7, FILES_STATS, 'gitty'), stderr: '' });
  });

  it('without git on the PATH, shows the blob without the comparison', async () => {
    const store = path.join(dir, 'no-git');
    process.argv[1] = '/usr/local/bin/gitty';
    const pathVariable = process.env.PATH;
    process.env.PATH = path.join(dir, 'no-such-bin');
    let result: CliResult;
    try {
      result = await gitty(['--driver', 'files', 'demo', store]);
    } finally {
      process.env.PATH = pathVariable;
    }
    const expected = screen(store, 'files', FILES_STEP7, FILES_STATS, 'gitty').replace('a3cf9420aa555564150a5bfdf7168260f6ed73b1  = git hash-object\n', 'a3cf9420aa555564150a5bfdf7168260f6ed73b1\n');
    expect(shown(result)).toEqual({ code: 0, stdout: expected, stderr: '' });
  });

  it('with --json prints the versions, fsck and stats as one document', async () => {
    const store = path.join(dir, 'json');
    const result = await gitty(['--json', 'demo', store]);
    expect([result.code, result.stderr]).toEqual([0, '']);
    const report = result.json<{ store: string; driver: string; versions: Commit[]; fsck: unknown; stats: Record<string, unknown> }>();
    expect([report.store, report.driver]).toEqual([store, 'packs']);
    expect(report.versions.map((c) => [c.name, c.commit.slice(0, 10), c.author, c.commit_message, c.tags])).toEqual([
      ['hello.pl', 'ceeeb7856c', 'jan', 'first try', ['demo']],
      ['notes.md', 'e27a2343a7', 'anne', 'start notes', ['docs']],
      ['hello.pl', 'bc930be4f8', 'anne', 'greet someone', ['demo']],
      ['queens.pl', '4dd742d52c', 'jan', 'n-queens', ['puzzle']],
      ['notes.md', '6cdd2cf992', 'jan', 'more notes', ['docs', 'todo']],
      ['hello.pl', 'ed5a917b51', 'jan', 'default greeting', ['demo', 'stable']],
    ]);
    expect(report.fsck).toEqual({ ok: true, errors: [], warnings: [], counts: { objects: 14, commits: 7, blobs: 7, other: 0, heads: 3, corrupt: 0 } });
    expect([report.stats.files, report.stats.versions]).toEqual([3, 6]);
  });

  it('makes a temp store when no directory is given', async () => {
    process.argv[1] = '/usr/local/bin/gitty';
    const result = await gitty(['--driver', 'files', 'demo']);
    const made = /^store: (\S+) \(files driver\)$/m.exec(result.stdout)?.[1] as string;
    try {
      expect(path.dirname(made)).toBe(os.tmpdir());
      expect(path.basename(made)).toMatch(/^gitty-demo-[A-Za-z0-9]{6}$/);
      expect(shown(result)).toEqual({ code: 0, stdout: screen(made, 'files', FILES_STEP7, FILES_STATS, 'gitty'), stderr: '' });
    } finally {
      await rm(made, { recursive: true, force: true });
    }
  });

  it('refuses a store that has files, naming one', async () => {
    const store = path.join(dir, 'full');
    expect((await gitty(['--store', store, 'put', 'mine.txt', '-'], { input: 'x\n' })).code).toBe(0);
    const result = await gitty(['--driver', 'files', 'demo', store]);
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 1, stdout: '', stderr: `gitty: The demo needs an empty store, but ${store} already has "mine.txt" — run \`gitty demo\` without a directory, or give a new one\n`,
    });
    expect((await gitty(['--json', '--driver', 'files', 'demo', store])).json<{ error: { code: string } }>().error.code).toBe('NOT_EMPTY');
  });

  describe('when the packs driver cannot be loaded', () => {
    let packs: DriverFactory;
    beforeAll(async () => {
      registerBuiltinDrivers();
      packs = await resolveDriverFactory('packs');
    });
    afterEach(() => registerDriver('packs', packs));

    it('falls back to the files driver when packs is not installed, and fails on any other error', async () => {
      const { DriverNotFoundError } = await import('@gitty/core');
      registerDriver('packs', async () => {
        throw new DriverNotFoundError('@gitty/driver-packs', 'not installed here');
      });
      process.argv[1] = '/usr/local/bin/gitty';
      const store = path.join(dir, 'fallback');
      expect(shown(await gitty(['demo', store]))).toEqual({ code: 0, stdout: screen(store, 'files', FILES_STEP7, FILES_STATS, 'gitty'), stderr: '' });
      registerDriver('packs', async () => {
        throw new Error('packs broke');
      });
      const broken = path.join(dir, 'broken');
      expect(shown(await gitty(['demo', broken]))).toEqual({ code: 1, stdout: '', stderr: 'gitty: The packs driver failed to open: packs broke — fix the config (see "Store selection" in the @gitty/cli README, or `gitty --help`)\n' });
      expect(await readdir(broken).catch(() => [])).toEqual([]);
    });
  });
});
