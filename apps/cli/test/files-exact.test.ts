import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Commit } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { runCli } from '../src/cli.js';
import { formatTime } from '../src/output.js';
import { gitty, type CliResult } from './cli-process.js';

// put, rm, get, cat, ls, log, diff and search in the test process: exact text, JSON and exit codes.
function ok(result: CliResult, stdout: string, stderr = ''): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout, stderr });
}

function failed(result: CliResult, code: number, stderr: string): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code, stdout: '', stderr });
}

const short = (hash: string) => hash.slice(0, 10);

describe('file commands', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let s: string[];
  let first: Commit;
  let second: Commit;
  let third: Commit;
  let bin: Commit;

  const put = async (args: string[], input?: string | Uint8Array) => gitty([...s, ...args], { input });
  const putJson = async (args: string[], input?: string | Uint8Array) => (await gitty([...s, '--json', ...args], { input })).json<{ action: string; commit: Commit }>();

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-files-exact-'));
    s = ['--store', path.join(dir, 'store')];
  });
  afterAll(async () => remove());

  it('put creates, then updates, printing the hashes', async () => {
    const created = await put(['put', 'a.txt', '-', '--author', 'ann', '--tag', 'x', '--tag', 'y', '-m', 'first'], 'one\ntwo\nthree\n');
    first = (await gitty([...s, '--json', 'get', 'a.txt'])).json<{ commit: Commit }>().commit;
    ok(created, `created a.txt ${first.commit}\n`);
    expect(first).toMatchObject({ name: 'a.txt', author: 'ann', tags: ['x', 'y'], commit_message: 'first' });
    expect(first.previous).toBeUndefined();
    const updated = await put(['put', 'a.txt', '-'], 'one\n2\nthree\n');
    second = (await gitty([...s, '--json', 'get', 'a.txt'])).json<{ commit: Commit }>().commit;
    ok(updated, `updated a.txt ${short(first.commit)} → ${second.commit}\n`);
    // Tags carry over; author and message do not.
    expect(second).toMatchObject({ previous: first.commit, tags: ['x', 'y'] });
    expect(second.author).toBeUndefined();
    expect(second.commit_message).toBeUndefined();
  });

  it('put --json reports the action and the commit', async () => {
    const json = await putJson(['put', 'a.txt', '-', '--tag', 'z', '--expect', short(second.commit)], 'one\n2\nthree\n');
    third = json.commit;
    expect(json).toEqual({ action: 'updated', commit: third });
    expect(third).toMatchObject({ name: 'a.txt', previous: second.commit, tags: ['z'] });
    const created = await putJson(['put', 'b.bin', '-'], new Uint8Array([0xff, 0, 1]));
    bin = created.commit;
    expect(created.action).toBe('created');
    expect(bin.previous).toBeUndefined();
  });

  it('put reads a file, and refuses a missing or unreadable one and a stale or unknown --expect', async () => {
    await writeFile(path.join(dir, 'in.txt'), 'from a file\n');
    const fromFile = await putJson(['put', 'f.txt', path.join(dir, 'in.txt')]);
    expect(fromFile.action).toBe('created');
    ok(await gitty([...s, 'get', 'f.txt']), 'from a file\n');
    failed(await put(['put', 'c.txt', path.join(dir, 'nope')]), 1, `gitty: Cannot read ${path.join(dir, 'nope')}: no such file\n`);
    failed(await put(['put', 'c.txt', dir]), 1, `gitty: Cannot read ${dir}: EISDIR: illegal operation on a directory, read\n`);
    const readFailed = await gitty([...s, '--json', 'put', 'c.txt', path.join(dir, 'nope')]);
    expect(readFailed.json()).toEqual({ error: { code: 'READ_FAILED', message: `Cannot read ${path.join(dir, 'nope')}: no such file` } });
    failed(await put(['put', 'n.txt', '-', '--expect', first.commit], 'x'), 1,
      `gitty: File "n.txt" has no head (expected ${first.commit}) — create it with \`gitty put n.txt\` without --expect\n`);
    failed(await put(['put', 'a.txt', '-', '--expect', first.commit], 'x'), 1,
      `gitty: File "a.txt" is at ${third.commit}, not at ${first.commit} — someone saved first: fetch \`gitty get a.txt\`, reapply your change and put with --expect ${third.commit}\n`);
    failed(await put(['put', 'a.txt', '-', '--expect', 'zz'], 'x'), 1,
      'gitty: Invalid object hash "zz": expected 40 lower-case hex digits — a hash is 40 hexadecimal digits, or a unique prefix of at least 4 (`gitty log` prints 10)\n');
    expect((await gitty([...s, 'get', 'a.txt'])).stdout).toBe('one\n2\nthree\n');
  });

  it('put - refuses a terminal as input', async () => {
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    let stderr = '';
    const code = await runCli([...s, 'put', 't.txt', '-'], {
      stdin, stdout: { write: () => true }, stderr: { write: (c) => ((stderr += String(c)), true) }, env: { NO_COLOR: '1' },
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
    const raw = await gitty([...s, 'get', 'b.bin']);
    // The bytes as they are (the test reads stdout as UTF-8: 0xff shows as U+FFFD).
    expect(raw.stdout).toBe(Buffer.from([0xff, 0, 1]).toString('utf8'));
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
    failed(await gitty([...s, 'cat', 'a.txt']), 1, 'gitty: Invalid object hash "a.txt": expected 40 lower-case hex digits — a hash is 40 hexadecimal digits, or a unique prefix of at least 4 (`gitty log` prints 10)\n');
  });

  it('ls lists files in a table, filters, orders, limits, and refuses a bad order', async () => {
    const f = (await gitty([...s, '--json', 'get', 'f.txt'])).json<{ commit: Commit }>().commit;
    const rows = [
      ['a.txt', short(third.commit), formatTime(third.time), '-', '#z'],
      ['b.bin', short(bin.commit), formatTime(bin.time), '-', ''],
      ['f.txt', short(f.commit), formatTime(f.time), '-', ''],
    ];
    const line = (r: string[]) => `${r[0]}  ${r[1]}  ${r[2]}  ${r[3]}${r[4] ? `  ${r[4]}` : ''}`;
    ok(await gitty([...s, 'ls']), `${rows.map(line).join('\n')}\n`);
    ok(await gitty([...s, 'ls', '--ext', 'bin']), `${line(rows[1]!)}\n`);
    ok(await gitty([...s, 'ls', '--tag', 'z']), `${line(rows[0]!)}\n`);
    ok(await gitty([...s, 'ls', '--prefix', 'f']), `${line(rows[2]!)}\n`);
    ok(await gitty([...s, 'ls', '--limit', '1']), `${line(rows[0]!)}\n`);
    ok(await gitty([...s, 'ls', '--author', 'nobody']), '', 'no files\n');
    expect((await gitty([...s, '--json', 'ls', '--author', 'nobody'])).stdout).toBe('[]\n');
    expect((await gitty([...s, '--json', 'ls', '--order', 'time'])).json<{ name: string }[]>().map((e) => e.name)).toHaveLength(3);
    expect((await gitty([...s, '--json', 'ls', '--order', 'name'])).json<{ name: string }[]>().map((e) => e.name)).toEqual(['a.txt', 'b.bin', 'f.txt']);
    failed(await gitty([...s, 'ls', '--order', 'size']), 2, 'gitty: Invalid --order "size" — use --order name or --order time\n');
    failed(await gitty([...s, 'ls', '--limit', '0']), 2, 'gitty: Invalid --limit "0" — give a whole number of at least 1\n');
  });

  it('log prints one line per version, newest first, and says when older ones are left', async () => {
    const l = (c: Commit, rest: string) => `${short(c.commit)}  ${formatTime(c.time)}  ${rest}`;
    ok(await gitty([...s, 'log', 'a.txt']), `${l(third, '- #z')}\n${l(second, '- #x #y')}\n${l(first, 'ann first #x #y')}\n`);
    ok(await gitty([...s, 'log', 'a.txt', '--depth', '1']), `${l(third, '- #z')}\n… older versions: gitty log --depth N\n`);
    ok(await gitty([...s, 'log', short(second.commit)]), `${l(second, '- #x #y')}\n${l(first, 'ann first #x #y')}\n`);
    const json = (await gitty([...s, '--json', 'log', 'a.txt', '--depth', '2'])).json<{ history: Commit[]; skipped: number }>();
    expect(json.history).toEqual([third, second]);
    failed(await gitty([...s, 'log', 'a.txt', '--depth', 'x']), 2, 'gitty: Invalid --depth "x" — give a whole number of at least 1\n');
  });

  it('log --includes shows the window around a version, saying how many versions are left out', async () => {
    const added: Commit[] = [];
    let head = third;
    for (const data of ['4', '5', '6']) added.push((head = (await putJson(['put', 'a.txt', '-', '--expect', head.commit], data)).commit));
    const [v4, v5, v6] = added as [Commit, Commit, Commit];
    const l = (c: Commit, rest = '- #z') => `${short(c.commit)}  ${formatTime(c.time)}  ${rest}`;
    const older = '… older versions: gitty log --depth N';
    ok(await gitty([...s, 'log', 'a.txt', '--depth', '2', '--includes', short(second.commit)]), `${l(v6)}\n… 3 versions left out\n${l(second, '- #x #y')}\n${older}\n`);
    ok(await gitty([...s, 'log', 'a.txt', '--depth', '1', '--includes', first.commit]), `… 5 versions left out\n${l(first, 'ann first #x #y')}\n`);
    ok(await gitty([...s, 'log', 'a.txt', '--depth', '1', '--includes', v5.commit]), `… 1 version left out\n${l(v5)}\n${older}\n`);
    ok(await gitty([...s, 'log', 'a.txt', '--depth', '3', '--includes', v4.commit]), `${l(v6)}\n… 1 version left out\n${l(v4)}\n${l(third)}\n${older}\n`);
    failed(await gitty([...s, 'log', 'a.txt', '--includes', 'xyz']), 1,
      'gitty: Invalid object hash "xyz": expected 40 lower-case hex digits — a hash is 40 hexadecimal digits, or a unique prefix of at least 4 (`gitty log` prints 10)\n');
  });

  it('diff prints headers, tag changes and the unified diff', async () => {
    ok(await gitty([...s, 'diff', short(second.commit)]), [
      `a.txt: ${short(first.commit)} → ${short(second.commit)}`,
      `--- a.txt@${short(first.commit)}`,
      `+++ a.txt@${short(second.commit)}`,
      '@@ -1,3 +1,3 @@',
      ' one',
      '-two',
      '+2',
      ' three',
      '',
    ].join('\n'));
    ok(await gitty([...s, 'diff', second.commit, third.commit]), `a.txt: ${short(second.commit)} → ${short(third.commit)}\ntags added: z\ntags removed: x, y\n(same data)\n`);
    ok(await gitty([...s, 'diff', first.commit]), [
      `a.txt: (new file) → ${short(first.commit)}`, 'tags added: x, y', '--- /dev/null', `+++ a.txt@${short(first.commit)}`, '@@ -0,0 +1,3 @@', '+one', '+two', '+three', '',
    ].join('\n'));
  });

  it('search lists hits with their snippet, says when there are none, and refuses empty text', async () => {
    await putJson(['put', 'w.txt', '-'], 'needle  in\n\ta   haystack\n');
    const w = (await gitty([...s, '--json', 'get', 'w.txt'])).json<{ commit: Commit }>().commit;
    ok(await gitty([...s, 'search', 'haystack']), `w.txt  ${short(w.commit)}  needle in a haystack\n`);
    ok(await gitty([...s, 'search', 'nothing-here']), '', 'no file contains "nothing-here"\n');
    ok(await gitty([...s, 'search', 'needle', '--ext', 'md']), '', 'no file contains "needle"\n');
    failed(await gitty([...s, 'search', '']), 2, 'gitty: Nothing to search for — give the text to find, e.g. `gitty search "member("`\n');
    failed(await gitty([...s, 'search', 'x', '--order', 'size']), 2, 'gitty: Invalid --order "size" — use --order name or --order time\n');
  });

  it('rm deletes a head, with --previous as a compare-and-swap and its own hints', async () => {
    await mkdir(path.join(dir, 'unused'), { recursive: true });
    ok(await gitty([...s, 'rm', 'b.bin']), `deleted b.bin (was ${short(bin.commit)})\n`);
    failed(await gitty([...s, 'rm', 'b.bin']), 1, 'gitty: No file "b.bin" — list the files with `gitty ls`\n');
    failed(await gitty([...s, 'rm', 'b.bin', '--previous', bin.commit]), 1, `gitty: File "b.bin" has no head (expected ${bin.commit}) — it is already deleted\n`);
    const f = (await gitty([...s, '--json', 'get', 'f.txt'])).json<{ commit: Commit }>().commit;
    const head = (await gitty([...s, '--json', 'get', 'a.txt'])).json<{ commit: Commit }>().commit.commit;
    failed(await gitty([...s, 'rm', 'a.txt', '--previous', short(first.commit)]), 1,
      `gitty: File "a.txt" is at ${head}, not at ${first.commit} — it changed since: see \`gitty log a.txt\`, then \`gitty rm a.txt --previous ${head}\` if it should still go\n`);
    expect((await gitty([...s, '--json', 'rm', 'f.txt', '--previous', f.commit.slice(0, 6)])).json()).toEqual({ deleted: 'f.txt', head: f.commit });
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
    const one = (await gitty([...s, '--json', 'get', 'col.txt'])).json<{ commit: Commit }>().commit;
    expect(created).toBe(`${c(32, 'created')} ${c(1, 'col.txt', 22)} ${c(33, one.commit)}\n`);
    const updated = await tty(['put', 'col.txt', '-', '--tag', 'u'], 'one\n2\n');
    const two = (await gitty([...s, '--json', 'get', 'col.txt'])).json<{ commit: Commit }>().commit;
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
