import { chmod, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashObject, type Commit } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { runCli } from '../src/cli.js';
import { formatBytes } from '../src/output.js';
import { gitty, type CliResult } from './cli-process.js';

// init, fsck, repack, unpack, gc, reindex and stats in the test process: exact text, JSON and
// exit codes. Each test works on a store of its own (mutation runs execute only the tests that
// reach a mutant, so no test may depend on another).
function ok(result: CliResult, stdout: string, stderr = ''): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout, stderr });
}

function failed(result: CliResult, code: number, stderr: string): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code, stdout: '', stderr });
}

const UNSUPPORTED_HINT = 'open the store with a driver that has it (packs for repack/unpack, sqlite for reindex)';

describe('maintenance commands', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-maint-exact-'));
  });
  afterAll(async () => remove());

  /** A files store holding a.txt in two versions ("one\n", "two\n"). */
  async function storeWithTwoVersions(label: string): Promise<{ store: string; s: string[]; first: Commit; second: Commit }> {
    const store = path.join(dir, label);
    const s = ['--store', store];
    const first = (await gitty([...s, '--json', 'put', 'a.txt', '-'], { input: 'one\n' })).json<{ commit: Commit }>().commit;
    const second = (await gitty([...s, '--json', 'put', 'a.txt', '-'], { input: 'two\n' })).json<{ commit: Commit }>().commit;
    return { store, s, first, second };
  }

  /** A refused save leaves its blob and commit behind, unreferenced. */
  async function orphan(s: string[], expected: string, data: string): Promise<void> {
    expect((await gitty([...s, 'put', 'a.txt', '-', '--expect', expected], { input: data })).code).toBe(1);
  }

  it('init makes an empty store, and says when one with files is there', async () => {
    const store = path.join(dir, 'init');
    ok(await gitty(['--store', store, 'init']), `Initialised an empty gitty store (files driver) from --store ${store}\n`);
    expect((await gitty(['--store', store, '--json', 'init'])).json()).toEqual({ store: { driver: 'files', dir: store }, driver: 'files', files: 0 });
    ok(await gitty(['init'], { env: { GITTY_STORE: path.join(dir, 'env-store') } }), `Initialised an empty gitty store (files driver) from GITTY_STORE=${path.join(dir, 'env-store')}\n`);
    const full = await storeWithTwoVersions('init-full');
    ok(await gitty([...full.s, 'init']), 'A gitty store with 1 file already exists there (files driver)\n');
    expect((await gitty([...full.s, '--json', 'init'])).json()).toEqual({ store: { driver: 'files', dir: full.store }, driver: 'files', files: 1 });
    expect((await gitty([...full.s, 'put', 'b.txt', '-'], { input: 'b\n' })).code).toBe(0);
    ok(await gitty([...full.s, 'init']), 'A gitty store with 2 files already exists there (files driver)\n');
  });

  it('fsck reports the counts, orphans included', async () => {
    const { s, first } = await storeWithTwoVersions('fsck');
    ok(await gitty([...s, 'fsck']), 'ok: 4 objects (2 commits, 2 blobs, 0 other), 1 heads, 0 corrupt\n');
    await orphan(s, first.commit, 'orphan\n');
    ok(await gitty([...s, 'fsck']), 'ok: 6 objects (3 commits, 3 blobs, 0 other), 1 heads, 0 corrupt\n');
    expect((await gitty([...s, '--json', 'fsck'])).json()).toEqual({ ok: true, errors: [], warnings: [], counts: { objects: 6, commits: 3, blobs: 3, other: 0, heads: 1, corrupt: 0 } });
  });

  it('fsck warns of an unreachable commit whose data is gone, and stays ok', async () => {
    const { store, s, first } = await storeWithTwoVersions('fsck-warn');
    await orphan(s, first.commit, 'lost\n');
    const blob = hashObject('blob', new TextEncoder().encode('lost\n'));
    await rm(path.join(store, 'objects', blob.slice(0, 2), blob.slice(2)), { force: true });
    const report = (await gitty([...s, '--json', 'fsck'])).json<{ ok: boolean; warnings: { code: string; hash?: string; message: string }[] }>();
    expect(report.ok).toBe(true);
    expect(report.warnings).toHaveLength(1);
    ok(await gitty([...s, 'fsck']), `ok: 5 objects (3 commits, 2 blobs, 0 other), 1 heads, 0 corrupt\n  warning unreachable: ${report.warnings[0]!.message} (gc removes it)\n`);
    ok(await gitty([...s, 'gc', '--grace', '0']), '4 reachable, 1 unreachable: deleted 1, kept 0 younger than 0\n');
  });

  it('fsck exits 1 on a damaged object, listing it', async () => {
    const { store, s, first } = await storeWithTwoVersions('fsck-damaged');
    const file = path.join(store, 'objects', first.data.slice(0, 2), first.data.slice(2));
    await chmod(file, 0o644);
    await writeFile(file, 'not zlib at all');
    const fsck = await gitty([...s, 'fsck']);
    const report = (await gitty([...s, '--json', 'fsck'])).json<{ ok: boolean; errors: { code: string; message: string }[]; counts: Record<string, number> }>();
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.code)).toContain('CORRUPT_OBJECT');
    const c = report.counts;
    expect({ code: fsck.code, stderr: fsck.stderr }).toEqual({ code: 1, stderr: '' });
    expect(fsck.stdout).toBe([
      `damaged: ${c.objects} objects (${c.commits} commits, ${c.blobs} blobs, ${c.other} other), ${c.heads} heads, ${c.corrupt} corrupt`,
      ...report.errors.map((e) => `  ${e.code} ${e.message}`),
      '',
    ].join('\n'));
    expect(fsck.stdout).toContain(`  CORRUPT_OBJECT Corrupt object ${first.data}`);
  });

  it('gc reports what it would delete and what it deletes', async () => {
    const { s, first } = await storeWithTwoVersions('gc');
    await orphan(s, first.commit, 'orphan\n');
    ok(await gitty([...s, 'gc', '--dry-run']), '4 reachable, 2 unreachable: would delete 0, kept 2 younger than 1h\n');
    ok(await gitty([...s, 'gc', '--dry-run', '--grace', '0']), '4 reachable, 2 unreachable: would delete 2, kept 0 younger than 0\n');
    expect((await gitty([...s, '--json', 'gc', '--dry-run', '--grace', '0'])).json()).toEqual({ reachable: 4, unreachable: 2, deleted: 0, kept: 0, dryRun: true, wouldDelete: 2 });
    expect((await gitty([...s, '--json', 'gc', '--grace', '2h'])).json()).toEqual({ reachable: 4, unreachable: 2, deleted: 0, kept: 2 });
    ok(await gitty([...s, 'gc', '--grace', '0']), '4 reachable, 2 unreachable: deleted 2, kept 0 younger than 0\n');
    ok(await gitty([...s, 'gc', '--grace', '0']), '4 reachable, 0 unreachable: deleted 0, kept 0 younger than 0\n');
    failed(await gitty([...s, 'gc', '--grace', 'soon']), 2, 'gitty: Invalid --grace "soon" — write a number with a unit: ms, s, m, h, d or w (e.g. 1h, 30m, 1h30m, 0)\n');
  });

  it('stats lists the facts, sizes for every *bytes key', async () => {
    const { s } = await storeWithTwoVersions('stats');
    const facts = (await gitty([...s, '--json', 'stats'])).json<{ driver: string; files: number; versions: number; driverStats: Record<string, number> }>();
    expect(facts).toMatchObject({ driver: 'files', files: 1, versions: 2, driverStats: { looseObjects: 4 } });
    const rows: [string, string][] = [['driver', 'files'], ['files', '1'], ['versions', '2'],
      ...Object.entries(facts.driverStats).map(([k, v]): [string, string] => [k, /bytes/i.test(k) ? `${formatBytes(v)} (${v})` : String(v)])];
    expect(rows).toContainEqual(['looseBytes', `${formatBytes(facts.driverStats.looseBytes!)} (${facts.driverStats.looseBytes})`]);
    expect(rows).toContainEqual(['looseObjects', '4']);
    const width = Math.max(...rows.map(([k]) => k.length));
    ok(await gitty([...s, 'stats']), rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}\n`).join(''));
  });

  it('repack and unpack need a driver with packs; reindex one with an index', async () => {
    const { s } = await storeWithTwoVersions('unsupported');
    failed(await gitty([...s, 'repack']), 1, `gitty: The files driver does not support repack — ${UNSUPPORTED_HINT}\n`);
    failed(await gitty([...s, 'unpack']), 1, `gitty: The files driver does not support unpack — ${UNSUPPORTED_HINT}\n`);
    failed(await gitty([...s, 'reindex']), 1, `gitty: The files driver does not support reindex — ${UNSUPPORTED_HINT}\n`);
  });

  it('repack packs loose objects (or says there is nothing to do), unpack turns them back', async () => {
    const { s, second } = await storeWithTwoVersions('repack');
    const p = [...s, '--driver', 'packs'];
    ok(await gitty([...p, 'repack', '--min-files', '5']), 'nothing to repack\n');
    expect((await gitty([...p, '--json', 'repack', '--min-files', '5'])).json()).toEqual({ packed: 0, deltas: 0, packsRemoved: 0, looseRemoved: 0, bytes: 0 });
    const packed = (await gitty([...p, '--json', 'repack', '--min-files', '4', '--window', '3', '--depth', '2'])).json<{ bytes: number; deltas: number }>();
    expect(packed).toEqual({ packed: 4, deltas: packed.deltas, packsRemoved: 0, looseRemoved: 4, bytes: packed.bytes, pack: expect.stringMatching(/\/objects\/pack\/pack-[0-9a-f]{40}\.pack$/) });
    const stats = (await gitty([...p, '--json', 'stats'])).json<{ driverStats: Record<string, number> }>().driverStats;
    expect(stats).toMatchObject({ looseObjects: 0, packs: 1, packedObjects: 4, packBytes: packed.bytes });
    ok(await gitty([...p, 'unpack']), 'unpacked 4 objects\n');
    expect((await gitty([...p, '--json', 'unpack'])).json()).toEqual({ unpacked: 0 });
    const again = await gitty([...p, 'repack']);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/^packed 4 objects \(\d+ deltas\) into \d+(\.\d)? (B|KiB); removed 4 loose objects and 0 packs\n$/);
    ok(await gitty([...p, 'get', second.commit]), 'two\n');
  });

  it('repack refuses bad counts', async () => {
    const { s } = await storeWithTwoVersions('repack-usage');
    const p = [...s, '--driver', 'packs', 'repack'];
    failed(await gitty([...p, '--min-files', 'x']), 2, 'gitty: Invalid --min-files "x" — give a whole number of at least 0\n');
    failed(await gitty([...p, '--window', '0']), 2, 'gitty: Invalid --window "0" — give a whole number of at least 1\n');
    failed(await gitty([...p, '--depth', '0']), 2, 'gitty: Invalid --depth "0" — give a whole number of at least 1\n');
  });

  it('reindex builds the sqlite index', async () => {
    const { s } = await storeWithTwoVersions('reindex');
    ok(await gitty([...s, '--driver', 'sqlite', 'reindex']), 'reindexed\n');
    expect((await gitty([...s, '--driver', 'sqlite', '--json', 'reindex'])).json()).toEqual({ reindexed: true });
  });

  it('colours fsck\'s verdict and issues and the stats keys on a terminal', async () => {
    const tty = async (args: string[]) => {
      let out = '';
      const code = await runCli(args, { stdin: Readable.from([]), stdout: { isTTY: true, write: (chunk) => ((out += String(chunk)), true) }, stderr: { write: () => true }, env: {} });
      return { code, out };
    };
    const fresh = path.join(dir, 'colour');
    expect((await gitty(['--store', fresh, 'init'])).code).toBe(0);
    expect(await tty(['--store', fresh, 'fsck'])).toEqual({ code: 0, out: '\u001b[32mok\u001b[39m: 0 objects (0 commits, 0 blobs, 0 other), 0 heads, 0 corrupt\n' });
    const stats = await tty(['--store', fresh, 'stats']);
    // eslint-disable-next-line no-control-regex
    expect(stats.out.split('\n')[0]).toMatch(/^ {2}\u001b\[2mdriver\u001b\[22m {2,}files$/);
    const { store, s, first } = await storeWithTwoVersions('colour-damaged');
    const file = path.join(store, 'objects', first.data.slice(0, 2), first.data.slice(2));
    await chmod(file, 0o644);
    await writeFile(file, 'not zlib at all');
    const damaged = await tty([...s, 'fsck']);
    expect(damaged.code).toBe(1);
    // eslint-disable-next-line no-control-regex
    expect(damaged.out).toMatch(/^\u001b\[31mdamaged\u001b\[39m: .*\n {2}\u001b\[31mCORRUPT_OBJECT\u001b\[39m /);
  });
});
