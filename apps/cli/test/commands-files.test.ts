import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, tempDir } from '@gitty/driver-test/harness';
import { gitty, gittyProcess } from './cli-process.js';
import { readTour, writeTour, type TourVersions } from './tour.js';

describe('every command on a files store (--store)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;
  let v: TourVersions;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-files-'));
    store = path.join(dir, 'store');
    v = await writeTour(['--store', store], dir);
  });
  afterAll(async () => remove());

  it('reads files, versions and objects back, in text and --json', async () => {
    await readTour(['--store', store], v);
  });

  it('finds the store through GITTY_STORE and a gitty.config.json in the working directory', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'gitty.config.json'), JSON.stringify({ driver: 'files', dir: 'store' }));
    const [viaEnv, viaCwd] = await Promise.all([
      gitty(['get', 'notes.md'], { env: { GITTY_STORE: store } }),
      // A process of its own: the working directory is the process's.
      gittyProcess(['get', 'notes.md'], { cwd: dir }),
    ]);
    expect(viaEnv.stdout).toBe('# Notes\n');
    expect(viaCwd.stdout).toBe('# Notes\n');
  });

  it('runs real git read-only against the store and stats count loose objects', async () => {
    const [cat, stats, before] = await Promise.all([
      // A process of its own: git inherits its stdout (in process, git's output is piped; see commands-indexed).
      gittyProcess(['--store', store, 'git', 'cat-file', '-p', v.first.data]),
      gitty(['--store', store, 'stats']),
      readdir(path.join(store, 'objects')),
    ]);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toBe('hello :- writeln(world).\n');
    expect(stats.code).toBe(0);
    expect(stats.stdout).toMatch(/files\s+2\n/);
    expect(stats.stdout).toMatch(/versions\s+3\n/);
    // git wrote nothing into the store: it is not a git repository and gained no files.
    expect(await readdir(path.join(store, 'objects'))).toEqual(before);
    expect(before).not.toContain('info');
    const hashed = (await git(['hash-object', '--stdin'], { input: 'hello :- writeln(world).\n' })).toString().trim();
    expect(hashed).toBe(v.first.data);
  });

  it('collects garbage after a grace period', async () => {
    // A refused save leaves its blob and commit behind, unreferenced.
    const orphan = await gitty(['--store', store, '--json', 'put', 'hello.pl', '-', '--expect', v.first.commit], { input: 'x' });
    expect(orphan.code).toBe(1);
    const [dry, kept] = await Promise.all([
      gitty(['--store', store, '--json', 'gc', '--grace', '0', '--dry-run']),
      gitty(['--store', store, 'gc', '--grace', '1h']),
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json()).toEqual({ reachable: 6, unreachable: 2, deleted: 0, kept: 0, dryRun: true, wouldDelete: 2 });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toBe('6 reachable, 2 unreachable: deleted 0, kept 2 younger than 1h\n');
    const gc = await gitty(['--store', store, '--json', 'gc', '--grace', '0']);
    expect(gc.json()).toEqual({ reachable: 6, unreachable: 2, deleted: 2, kept: 0 });
    const fsck = await gitty(['--store', store, '--json', 'fsck']);
    expect(fsck.json()).toMatchObject({ ok: true, counts: { objects: 6, heads: 2 } });
  });

  it('reports a damaged object: fsck exits 1 naming it, get gives one line with the fix', async () => {
    const { writeFile: write, chmod } = await import('node:fs/promises');
    const file = path.join(store, 'objects', v.notes.data.slice(0, 2), v.notes.data.slice(2));
    await chmod(file, 0o644);
    await write(file, 'not zlib at all');
    const [fsck, get] = await Promise.all([gitty(['--store', store, 'fsck']), gitty(['--store', store, 'get', 'notes.md'])]);
    expect(fsck.code).toBe(1);
    expect(fsck.stdout).toMatch(/^damaged: .* 1 corrupt\n {2}CORRUPT_OBJECT .*/);
    expect(fsck.stdout).toContain(v.notes.data);
    expect(get.code).toBe(1);
    expect(get.stderr).toMatch(new RegExp(`^gitty: Corrupt object ${v.notes.data} .* — run \`gitty fsck\` to list damaged objects.*\n$`));
  });
});
