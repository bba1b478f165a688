import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Commit } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { runCli } from '../src/cli.js';
import { formatTime } from '../src/output.js';
import { gitty, type CliResult } from './cli-process.js';

// put, rm, get, cat, ls, log, diff and search in the test process: exact text, JSON and exit
// codes. Each test stands alone (mutation runs execute only the tests that reach a mutant): what
// one writes uses names of its own; the shared versions are made in beforeAll.
function ok(result: CliResult, stdout: string, stderr = ''): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout, stderr });
}

function failed(result: CliResult, code: number, stderr: string): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code, stdout: '', stderr });
}

const short = (hash: string) => hash.slice(0, 10);
const HASH_HINT = 'a hash is 40 hexadecimal digits, or a unique prefix of at least 4 (`gitty log` prints 10)';

describe('file commands', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let s: string[];
  /** a.txt: first (ann, "first", #x #y), second (tags carried over), third (#z, same data). */
  let first: Commit;
  let second: Commit;
  let third: Commit;
  /** b.bin: bytes ff 00 01. */
  let bin: Commit;

  const putJson = async (args: string[], input?: string | Uint8Array) => (await gitty([...s, '--json', ...args], { input })).json<{ action: string; commit: Commit }>();
  const head = async (name: string) => (await gitty([...s, '--json', 'get', name])).json<{ commit: Commit }>().commit;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-files-exact-'));
    s = ['--store', path.join(dir, 'store')];
    first = (await putJson(['put', 'a.txt', '-', '--author', 'ann', '--tag', 'x', '--tag', 'y', '-m', 'first'], 'one\ntwo\nthree\n')).commit;
    second = (await putJson(['put', 'a.txt', '-'], 'one\n2\nthree\n')).commit;
    third = (await putJson(['put', 'a.txt', '-', '--tag', 'z'], 'one\n2\nthree\n')).commit;
    bin = (await putJson(['put', 'b.bin', '-'], new Uint8Array([0xff, 0, 1]))).commit;
    await putJson(['put', 'w.txt', '-'], 'needle  in\n\ta   haystack\n');
  });
  afterAll(async () => remove());

  it('put creates, then updates, printing the hashes; tags carry over, author and message do not', async () => {
    const created = await gitty([...s, 'put', 'p.txt', '-', '--author', 'ann', '--tag', 'x', '-m', 'msg'], { input: 'one\n' });
    const one = await head('p.txt');
    ok(created, `created p.txt ${one.commit}\n`);
    expect(one).toMatchObject({ name: 'p.txt', author: 'ann', tags: ['x'], commit_message: 'msg' });
    expect(one.previous).toBeUndefined();
    const updated = await gitty([...s, 'put', 'p.txt', '-'], { input: 'two\n' });
    const two = await head('p.txt');
    ok(updated, `updated p.txt ${short(one.commit)} → ${two.commit}\n`);
    expect(two).toMatchObject({ previous: one.commit, tags: ['x'] });
    expect(two.author).toBeUndefined();
    expect(two.commit_message).toBeUndefined();
  });

  it('put --json reports the action and the commit; --expect takes a prefix', async () => {
    const created = await putJson(['put', 'pj.txt', '-'], 'a');
    expect(created).toEqual({ action: 'created', commit: await head('pj.txt') });
    expect(created.commit.previous).toBeUndefined();
    const updated = await putJson(['put', 'pj.txt', '-', '--tag', 'q', '--expect', short(created.commit.commit)], 'b');
    expect(updated).toEqual({ action: 'updated', commit: await head('pj.txt') });
    expect(updated.commit).toMatchObject({ previous: created.commit.commit, tags: ['q'] });
  });

  it('put reads a file, and refuses a missing or unreadable one', async () => {
    await writeFile(path.join(dir, 'in.txt'), 'from a file\n');
    expect((await putJson(['put', 'ff.txt', path.join(dir, 'in.txt')])).action).toBe('created');
    ok(await gitty([...s, 'get', 'ff.txt']), 'from a file\n');
    failed(await gitty([...s, 'put', 'c.txt', path.join(dir, 'nope')]), 1, `gitty: Cannot read ${path.join(dir, 'nope')}: no such file\n`);
    failed(await gitty([...s, 'put', 'c.txt', dir]), 1, `gitty: Cannot read ${dir}: EISDIR: illegal operation on a directory, read\n`);
    expect((await gitty([...s, '--json', 'put', 'c.txt', path.join(dir, 'nope')])).json()).toEqual({ error: { code: 'READ_FAILED', message: `Cannot read ${path.join(dir, 'nope')}: no such file` } });
  });

  it('put refuses a stale, unknown or malformed --expect, changing nothing', async () => {
    failed(await gitty([...s, 'put', 'n.txt', '-', '--expect', first.commit], { input: 'x' }), 1,
      `gitty: File "n.txt" has no head (expected ${first.commit}) — create it with \`gitty put n.txt\` without --expect\n`);
    failed(await gitty([...s, 'put', 'a.txt', '-', '--expect', first.commit], { input: 'x' }), 1,
      `gitty: File "a.txt" is at ${third.commit}, not at ${first.commit} — someone saved first: fetch \`gitty get a.txt\`, reapply your change and put with --expect ${third.commit}\n`);
    failed(await gitty([...s, 'put', 'a.txt', '-', '--expect', 'zz'], { input: 'x' }), 1, `gitty: Invalid object hash "zz": expected 40 lower-case hex digits — ${HASH_HINT}\n`);
    ok(await gitty([...s, 'get', 'a.txt']), 'one\n2\nthree\n');
    failed(await gitty([...s, 'get', 'n.txt']), 1, 'gitty: No file "n.txt" — list the files with `gitty ls`\n');
  });

  it('put - refuses a terminal as input', async () => {
    let stderr = '';
    const code = await runCli([...s, 'put', 't.txt', '-'], {
      stdin: Object.assign(Readable.from([]), { isTTY: true }), stdout: { write: () => true }, stderr: { write: (c) => ((stderr += String(c)), true) }, env: { NO_COLOR: '1' },
    });
    expect([code, stderr]).toEqual([2, 'gitty: No data given — name a file, or pipe the data in: `echo hi | gitty put notes.txt -`\n']);
    const implicit = Object.assign(Readable.from([]), { isTTY: true });
    expect(await runCli([...s, 'put', 't.txt'], { stdin: implicit, stdout: { write: () => true }, stderr: { write: () => true }, env: {} })).toBe(2);
  });

  it('get prints data, --meta the commit, --json data as text or base64', async () => {
    ok(await gitty([...s, 'get', 'a.txt']), 'one\n2\nthree\n');
    ok(await gitty([...s, 'get', short(first.commit)]), 'one\ntwo\nthree\n');
    ok(await gitty([...s, 'get', 'a.txt', '--meta']), `${JSON.stringify(third, null, 2)}\n`);
    expect((await gitty([...s, '--json', 'get', first.commit])).json()).toEqual({ commit: first, data: 'one\ntwo\nthree\n', encoding: 'utf8' });
    expect((await gitty([...s, '--json', 'get', 'b.bin'])).json()).toEqual({ commit: bin, data: '/wAB', encoding: 'base64' });
    // The bytes as they are (the test reads stdout as UTF-8: 0xff shows as U+FFFD).
    ok(await gitty([...s, 'get', 'b.bin']), Buffer.from([0xff, 0, 1]).toString('utf8'));
    failed(await gitty([...s, 'get', 'nope.txt']), 1, 'gitty: No file "nope.txt" — list the files with `gitty ls`\n');
  });

  it('cat prints an object, its type, its size, or JSON', async () => {
    ok(await gitty([...s, 'cat', third.data]), 'one\n2\nthree\n');
    ok(await gitty([...s, 'cat', '-t', short(third.commit)]), 'commit\n');
    ok(await gitty([...s, 'cat', '--type', third.data]), 'blob\n');
    ok(await gitty([...s, 'cat', '-s', third.data]), '12\n');
    ok(await gitty([...s, 'cat', '--size', bin.data]), '3\n');
    expect((await gitty([...s, '--json', 'cat', third.data.slice(0, 8)])).json()).toEqual({ hash: third.data, type: 'blob', size: 12, data: 'one\n2\nthree\n', encoding: 'utf8' });
    expect((await gitty([...s, '--json', 'cat', bin.data])).json()).toEqual({ hash: bin.data, type: 'blob', size: 3, data: '/wAB', encoding: 'base64' });
    failed(await gitty([...s, 'cat', 'a.txt']), 1, `gitty: Invalid object hash "a.txt": expected 40 lower-case hex digits — ${HASH_HINT}\n`);
  });

  it('ls lists files in a table, filters, orders, limits, and refuses a bad order', async () => {
    // A store of its own: the other tests add files.
    const l = ['--store', path.join(dir, 'ls-store')];
    const put = async (args: string[], input: string) => (await gitty([...l, '--json', ...args], { input })).json<{ commit: Commit }>().commit;
    const a = await put(['put', 'a.txt', '-', '--tag', 'z', '--author', 'ann'], 'a');
    const b = await put(['put', 'b.bin', '-'], 'b');
    const f = await put(['put', 'f.txt', '-'], 'f');
    const line = (name: string, c: Commit, author: string, tags: string) => `${name}  ${short(c.commit)}  ${formatTime(c.time)}  ${author}${tags ? `  ${tags}` : ''}`;
    const [la, lb, lf] = [line('a.txt', a, 'ann', '#z'), line('b.bin', b, '-', ''), line('f.txt', f, '-', '')];
    ok(await gitty([...l, 'ls']), `${la}\n${lb}\n${lf}\n`);
    ok(await gitty([...l, 'ls', '--ext', 'bin']), `${lb}\n`);
    ok(await gitty([...l, 'ls', '--tag', 'z']), `${la}\n`);
    ok(await gitty([...l, 'ls', '--author', 'ann']), `${la}\n`);
    ok(await gitty([...l, 'ls', '--prefix', 'f']), `${lf}\n`);
    ok(await gitty([...l, 'ls', '--limit', '1']), `${la}\n`);
    ok(await gitty([...l, 'ls', '--author', 'nobody']), '', 'no files\n');
    expect((await gitty([...l, '--json', 'ls', '--author', 'nobody'])).stdout).toBe('[]\n');
    expect((await gitty([...l, '--json', 'ls', '--order', 'name'])).json<{ name: string }[]>().map((e) => e.name)).toEqual(['a.txt', 'b.bin', 'f.txt']);
    expect((await gitty([...l, '--json', 'ls', '--order', 'time'])).json<{ name: string }[]>()).toHaveLength(3);
    failed(await gitty([...l, 'ls', '--order', 'size']), 2, 'gitty: Invalid --order "size" — use --order name or --order time\n');
    failed(await gitty([...l, 'ls', '--limit', '0']), 2, 'gitty: Invalid --limit "0" — give a whole number of at least 1\n');
  });

  it('log prints one line per version, newest first, and says when older ones are left', async () => {
    const l = (c: Commit, rest: string) => `${short(c.commit)}  ${formatTime(c.time)}  ${rest}`;
    ok(await gitty([...s, 'log', 'a.txt']), `${l(third, '- #z')}\n${l(second, '- #x #y')}\n${l(first, 'ann first #x #y')}\n`);
    ok(await gitty([...s, 'log', 'a.txt', '--depth', '1']), `${l(third, '- #z')}\n… older versions: gitty log --depth N\n`);
    ok(await gitty([...s, 'log', short(second.commit)]), `${l(second, '- #x #y')}\n${l(first, 'ann first #x #y')}\n`);
    expect((await gitty([...s, '--json', 'log', 'a.txt', '--depth', '2'])).json<{ history: Commit[] }>().history).toEqual([third, second]);
    failed(await gitty([...s, 'log', 'a.txt', '--depth', 'x']), 2, 'gitty: Invalid --depth "x" — give a whole number of at least 1\n');
  });

  it('log --includes shows the window around a version, saying how many versions are left out', async () => {
    const v: Commit[] = [];
    for (const data of ['1', '2', '3', '4', '5', '6']) v.push((await putJson(['put', 'h.txt', '-', '--tag', 'h'], data)).commit);
    const l = (c: Commit) => `${short(c.commit)}  ${formatTime(c.time)}  - #h`;
    const older = '… older versions: gitty log --depth N';
    ok(await gitty([...s, 'log', 'h.txt', '--depth', '2', '--includes', short(v[1]!.commit)]), `${l(v[5]!)}\n… 3 versions left out\n${l(v[1]!)}\n${older}\n`);
    ok(await gitty([...s, 'log', 'h.txt', '--depth', '1', '--includes', v[0]!.commit]), `… 5 versions left out\n${l(v[0]!)}\n`);
    ok(await gitty([...s, 'log', 'h.txt', '--depth', '1', '--includes', v[4]!.commit]), `… 1 version left out\n${l(v[4]!)}\n${older}\n`);
    ok(await gitty([...s, 'log', 'h.txt', '--depth', '3', '--includes', v[3]!.commit]), `${l(v[5]!)}\n… 1 version left out\n${l(v[3]!)}\n${l(v[2]!)}\n${older}\n`);
    failed(await gitty([...s, 'log', 'h.txt', '--includes', 'xyz']), 1, `gitty: Invalid object hash "xyz": expected 40 lower-case hex digits — ${HASH_HINT}\n`);
  });

  it('diff prints headers, tag changes and the unified diff', async () => {
    ok(await gitty([...s, 'diff', short(second.commit)]), [
      `a.txt: ${short(first.commit)} → ${short(second.commit)}`, `--- a.txt@${short(first.commit)}`, `+++ a.txt@${short(second.commit)}`,
      '@@ -1,3 +1,3 @@', ' one', '-two', '+2', ' three', '',
    ].join('\n'));
    ok(await gitty([...s, 'diff', second.commit, 'a.txt']), `a.txt: ${short(second.commit)} → ${short(third.commit)}\ntags added: z\ntags removed: x, y\n(same data)\n`);
    ok(await gitty([...s, 'diff', first.commit]), [
      `a.txt: (new file) → ${short(first.commit)}`, 'tags added: x, y', '--- /dev/null', `+++ a.txt@${short(first.commit)}`, '@@ -0,0 +1,3 @@', '+one', '+two', '+three', '',
    ].join('\n'));
    expect((await gitty([...s, '--json', 'diff', second.commit, third.commit])).json()).toMatchObject({ data: '', tags: { added: ['z'], deleted: ['x', 'y'] } });
  });

  it('search lists hits with their snippet, says when there are none, and refuses empty text', async () => {
    const w = await head('w.txt');
    ok(await gitty([...s, 'search', 'haystack']), `w.txt  ${short(w.commit)}  needle in a haystack\n`);
    ok(await gitty([...s, 'search', 'nothing-here']), '', 'no file contains "nothing-here"\n');
    ok(await gitty([...s, 'search', 'needle', '--ext', 'md']), '', 'no file contains "needle"\n');
    failed(await gitty([...s, 'search', '']), 2, 'gitty: Nothing to search for — give the text to find, e.g. `gitty search "member("`\n');
    failed(await gitty([...s, 'search', 'x', '--order', 'size']), 2, 'gitty: Invalid --order "size" — use --order name or --order time\n');
  });

  it('rm deletes a head, with --previous as a compare-and-swap and its own hints', async () => {
    const r1 = (await putJson(['put', 'r1.bin', '-'], 'r1')).commit;
    ok(await gitty([...s, 'rm', 'r1.bin']), `deleted r1.bin (was ${short(r1.commit)})\n`);
    failed(await gitty([...s, 'rm', 'r1.bin']), 1, 'gitty: No file "r1.bin" — list the files with `gitty ls`\n');
    failed(await gitty([...s, 'rm', 'r1.bin', '--previous', r1.commit]), 1, `gitty: File "r1.bin" has no head (expected ${r1.commit}) — it is already deleted\n`);
    failed(await gitty([...s, 'rm', 'a.txt', '--previous', short(first.commit)]), 1,
      `gitty: File "a.txt" is at ${third.commit}, not at ${first.commit} — it changed since: see \`gitty log a.txt\`, then \`gitty rm a.txt --previous ${third.commit}\` if it should still go\n`);
    const r2 = (await putJson(['put', 'r2.txt', '-'], 'r2')).commit;
    expect((await gitty([...s, '--json', 'rm', 'r2.txt', '--previous', r2.commit.slice(0, 6)])).json()).toEqual({ deleted: 'r2.txt', head: r2.commit });
    failed(await gitty([...s, 'get', 'r2.txt']), 1, 'gitty: No file "r2.txt" — list the files with `gitty ls`\n');
  });

  it('colours each part on a terminal', async () => {
    const c = (code: number, text: string, close = 39) => `\u001b[${code}m${text}\u001b[${close}m`;
    const tty = async (args: string[], input = '') => {
      let out = '';
      const code = await runCli([...s, ...args], { stdin: Readable.from([Buffer.from(input)]), stdout: { isTTY: true, write: (chunk) => ((out += String(chunk)), true) }, stderr: { write: () => true }, env: {} });
      expect(code).toBe(0);
      return out;
    };
    const created = await tty(['put', 'col.txt', '-', '--tag', 't', '--author', 'me', '-m', 'msg'], 'one\ntwo\n');
    const one = await head('col.txt');
    expect(created).toBe(`${c(32, 'created')} ${c(1, 'col.txt', 22)} ${c(33, one.commit)}\n`);
    const updated = await tty(['put', 'col.txt', '-', '--tag', 'u'], 'one\n2\n');
    const two = await head('col.txt');
    expect(updated).toBe(`${c(32, 'updated')} ${c(1, 'col.txt', 22)} ${short(one.commit)} → ${c(33, two.commit)}\n`);
    expect(await tty(['log', 'col.txt'])).toBe(
      `${c(33, short(two.commit))}  ${c(2, formatTime(two.time), 22)}  - ${c(35, '#u')}\n${c(33, short(one.commit))}  ${c(2, formatTime(one.time), 22)}  me msg ${c(35, '#t')}\n`,
    );
    expect(await tty(['ls', '--prefix', 'col'])).toBe(`${c(1, 'col.txt', 22)}  ${c(33, short(two.commit))}  ${c(2, formatTime(two.time), 22)}  -  ${c(35, '#u')}\n`);
    expect(await tty(['diff', 'col.txt'])).toBe([
      c(1, `col.txt: ${short(one.commit)} → ${short(two.commit)}`, 22), c(32, 'tags added: u'), c(31, 'tags removed: t'),
      c(1, `--- col.txt@${short(one.commit)}`, 22), c(1, `+++ col.txt@${short(two.commit)}`, 22), c(36, '@@ -1,2 +1,2 @@'), ' one', c(31, '-two'), c(32, '+2'), '',
    ].join('\n'));
    expect(await tty(['search', 'one', '--prefix', 'col'])).toBe(`${c(1, 'col.txt', 22)}  ${c(33, short(two.commit))}  one 2\n`);
    expect(await tty(['rm', 'col.txt'])).toBe(`${c(31, 'deleted')} ${c(1, 'col.txt', 22)} (was ${short(two.commit)})\n`);
  });
});
