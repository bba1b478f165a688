import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { gitty } from './cli-process.js';

interface Put { action: string; commit: { commit: string; data: string; previous?: string; tags?: string[]; author?: string } }

/** The versions a tour writes: hello.pl twice (file, then stdin), notes.md once. */
export interface TourVersions {
  first: Put['commit'];
  second: Put['commit'];
  notes: Put['commit'];
}

/**
 * Write three versions through `put` (from a file and from stdin, with author, tags and
 * message) into the store `globals` selects, checking each result.
 */
export async function writeTour(globals: readonly string[], scratch: string): Promise<TourVersions> {
  const init = await gitty([...globals, 'init']);
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout).toMatch(/Initialised an empty gitty store|already exists/);

  const file = path.join(scratch, 'hello-v1.pl');
  await writeFile(file, 'hello :- writeln(world).\n');
  const one = await gitty([...globals, '--json', 'put', 'hello.pl', file, '--author', 'jan', '--tag', 'demo', '-m', 'first']);
  expect(one.code, one.stderr).toBe(0);
  const first = one.json<Put>();
  expect(first.action).toBe('created');
  expect(first.commit).toMatchObject({ name: 'hello.pl', author: 'jan', tags: ['demo'], commit_message: 'first' });

  const two = await gitty([...globals, 'put', 'hello.pl', '-', '--tag', 'x', '--tag', 'y'], { input: 'hello :- writeln("greetings").\n' });
  expect(two.code, two.stderr).toBe(0);
  expect(two.stdout).toMatch(new RegExp(`^updated hello.pl ${first.commit.commit.slice(0, 10)} → [0-9a-f]{40}\\n$`));

  const three = await gitty([...globals, '--json', 'put', 'notes.md', '-', '--author', 'anne'], { input: '# Notes\n' });
  expect(three.code, three.stderr).toBe(0);
  const log = await gitty([...globals, '--json', 'log', 'hello.pl']);
  const history = log.json<{ history: Put['commit'][]; skipped: number }>().history;
  expect(history.map((c) => c.previous ?? null)).toEqual([first.commit.commit, null]);
  return { first: first.commit, second: history[0]!, notes: three.json<Put>().commit };
}

/**
 * The reading commands an indexed or replicated driver serves differently from the files
 * driver (listing with filters, history, search, fsck, stats), run concurrently and checked.
 */
export async function readTourShort(globals: readonly string[], v: TourVersions): Promise<void> {
  const g = (...args: string[]) => gitty([...globals, ...args]);
  const [get, lsTag, log, search, fsck, stats] = await Promise.all([
    g('get', v.first.commit),
    g('--json', 'ls', '--tag', 'x'),
    g('--json', 'log', 'hello.pl', '--depth', '1'),
    g('--json', 'search', 'greetings'),
    g('--json', 'fsck'),
    g('--json', 'stats'),
  ]);
  for (const r of [get, lsTag, log, search, fsck, stats]) expect(r.code, r.stderr).toBe(0);
  expect(get.stdout).toBe('hello :- writeln(world).\n');
  expect(lsTag.json<{ name: string; head: string }[]>().map((e) => [e.name, e.head])).toEqual([['hello.pl', v.second.commit]]);
  expect(log.json()).toMatchObject({ history: [{ commit: v.second.commit, previous: v.first.commit }] });
  expect(search.json<{ name: string }[]>().map((h) => h.name)).toEqual(['hello.pl']);
  expect(fsck.json()).toMatchObject({ ok: true, counts: { commits: 3, blobs: 3, heads: 2 } });
  expect(stats.json()).toMatchObject({ files: 2, versions: 3 });
}

/** Every reading command against the tour's store, run concurrently, each result checked. */
export async function readTour(globals: readonly string[], v: TourVersions): Promise<void> {
  const g = (...args: string[]) => gitty([...globals, ...args]);
  const [get, getOld, getJson, getMeta, cat, catType, catJson, ls, lsJson, lsAuthor, log, diff, search, fsck] = await Promise.all([
    g('get', 'hello.pl'),
    g('get', v.first.commit),
    g('--json', 'get', 'hello.pl'),
    g('get', '--meta', 'notes.md'),
    g('cat', v.first.data),
    g('cat', '-t', v.first.commit),
    g('--json', 'cat', v.notes.data),
    g('ls'),
    g('--json', 'ls', '--ext', 'pl'),
    g('--json', 'ls', '--author', 'anne'),
    g('log', 'hello.pl', '--depth', '5'),
    g('diff', 'hello.pl'),
    g('search', 'greetings'),
    g('fsck'),
  ]);
  for (const r of [get, getOld, getJson, getMeta, cat, catType, catJson, ls, lsJson, lsAuthor, log, diff, search, fsck]) {
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
  }
  expect(get.stdout).toBe('hello :- writeln("greetings").\n');
  expect(getOld.stdout).toBe('hello :- writeln(world).\n');
  expect(getJson.json()).toMatchObject({ data: 'hello :- writeln("greetings").\n', encoding: 'utf8', commit: { name: 'hello.pl', tags: ['x', 'y'], previous: v.first.commit } });
  expect(getJson.json<{ commit: { author?: string } }>().commit.author).toBeUndefined(); // identity keys are not carried over
  expect(JSON.parse(getMeta.stdout)).toMatchObject({ name: 'notes.md', author: 'anne', commit: v.notes.commit });
  expect(cat.stdout).toBe('hello :- writeln(world).\n');
  expect(catType.stdout).toBe('commit\n');
  expect(catJson.json()).toEqual({ hash: v.notes.data, type: 'blob', size: 8, data: '# Notes\n', encoding: 'utf8' });
  expect(ls.stdout).toMatch(new RegExp(`^hello.pl\\s+${v.second.commit.slice(0, 10)}\\s.*#x #y\\nnotes.md\\s+${v.notes.commit.slice(0, 10)}\\s.*anne\\n$`));
  expect(lsJson.json<{ name: string; head: string }[]>().map((e) => [e.name, e.head])).toEqual([['hello.pl', v.second.commit]]);
  expect(lsAuthor.json<{ name: string }[]>().map((e) => e.name)).toEqual(['notes.md']);
  expect(log.stdout.split('\n')[0]).toMatch(new RegExp(`^${v.second.commit.slice(0, 10)}  \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  -.*#x #y$`));
  expect(log.stdout.split('\n')[1]).toMatch(new RegExp(`^${v.first.commit.slice(0, 10)}  .*  jan first #demo$`));
  expect(diff.stdout).toContain('tags added: x, y');
  expect(diff.stdout).toContain('tags removed: demo');
  expect(diff.stdout).toContain('-hello :- writeln(world).\n+hello :- writeln("greetings").');
  expect(search.stdout).toMatch(new RegExp(`^hello.pl  ${v.second.commit.slice(0, 10)}  .*greetings.*\\n$`));
  expect(fsck.stdout).toMatch(/^ok: \d+ objects \(3 commits, 3 blobs, 0 other\), 2 heads, 0 corrupt\n$/);
}
