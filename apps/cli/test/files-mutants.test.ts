import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockTimeoutError, registerDriver, resolveDriverFactory, type Commit, type CommitDiff } from '@gitty/core';
import { PassThroughDriver } from '@gitty/driver-test';
import { tempDir } from '@gitty/driver-test/harness';
import { printDiff } from '../src/commands/files.js';
import { registerBuiltinDrivers } from '../src/drivers.js';
import { formatTime, Output } from '../src/output.js';
import { runCli } from '../src/cli.js';
import { gitty, type CliResult } from './cli-process.js';

// What files-exact leaves open in commands/files.ts (mutation survivors): the help of put, rm,
// get, cat, ls, log, diff and search (every option's text); a log line without tags; where log
// --includes puts its gap; a failing delete keeping its own hint; diff lines ending in "=", "@@"
// or "Index:"; printDiff without headers.
// Each test stands alone (a mutation run executes only the tests that reach a mutant).
function ok(result: CliResult, stdout: string, stderr = ''): void {
  expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout, stderr });
}

const short = (hash: string) => hash.slice(0, 10);

/** The filter options ls and search share, as their help shows them. */
const LIST_FILTERS = `Options:
  --ext <ext>        only names with this extension (without the dot)
  --tag <tag>        only files whose newest version has this tag
  --author <author>  only files whose newest version has this author
  --prefix <prefix>  only names starting with this
  --order <order>    name (default) or time (newest first)
  --limit <n>        at most this many
  -h, --help         display help for command
`;

const HELP: Record<string, string> = {
  rm: `Usage: gitty rm [options] <name>

delete a file: its head goes, its versions stay readable by hash until gc

Options:
  --previous <hash>  delete only while this is the head (compare-and-swap; a
                     unique prefix will do)
  -h, --help         display help for command
`,
  get: `Usage: gitty get [options] <version>

print a file's data: its newest version by name, or any version by commit hash
(or a unique prefix of 4+ digits)

Options:
  --meta      print the commit metadata instead of the data
  -h, --help  display help for command
`,
  cat: `Usage: gitty cat [options] <hash>

print a raw object (blob, commit, …) by hash, like git cat-file

Options:
  -t, --type  print only the object type
  -s, --size  print only the size in bytes
  -h, --help  display help for command
`,
  log: `Usage: gitty log [options] <version>

show a file's history, newest first (from a name, or a commit hash or unique
prefix)

Options:
  --depth <n>        how many versions (default: "10")
  --includes <hash>  show the window around this version (a hash or unique
                     prefix)
  -h, --help         display help for command
`,
  put: `Usage: gitty put [options] <name> [file]

save a new version of a file from a file or stdin ("-"); creates the file if new

Options:
  --expect <hash>       the version you edited (default: the current head); a
                        stale one is refused
  --author <author>     author of this version
  --tag <tag>           a tag (repeatable; replaces the previous version's tags)
  -m, --message <text>  commit message
  -h, --help            display help for command
`,
  ls: `Usage: gitty ls [options]

list files with their newest version

${LIST_FILTERS}`,
  search: `Usage: gitty search [options] <text>

find files whose newest version contains the text (indexed where the driver can)

${LIST_FILTERS}`,
  diff: `Usage: gitty diff [options] <a> [b]

show what changed: between two versions, or a version and its previous one
(names, hashes or unique prefixes)

Options:
  -h, --help  display help for command
`,
};

describe('file commands: help', () => {
  for (const [command, text] of Object.entries(HELP)) {
    it(`gitty ${command} --help`, async () => {
      ok(await gitty([command, '--help']), text);
    });
  }
});

describe('file commands: the edges files-exact leaves', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-files-mutants-'));
    // The files driver whose head removal fails as a held lock would: rm's own hint is for NOT_AT_HEAD only.
    registerBuiltinDrivers();
    const files = await resolveDriverFactory('files');
    registerDriver('rm-lock-timeout', async (options, context) => {
      const driver = new PassThroughDriver(await files(options, context));
      const updateHead = driver.updateHead.bind(driver);
      driver.updateHead = async (name, expected, next) => {
        if (next === null) throw new LockTimeoutError('/held/lock');
        return updateHead(name, expected, next);
      };
      return driver;
    });
    // A driver that searches by itself and gives no snippet (SearchHit.snippet is optional).
    registerDriver('search-no-snippet', async (options, context) => {
      const driver = new PassThroughDriver(await files(options, context));
      Object.assign(driver, {
        capabilities: { ...driver.capabilities, search: true },
        search: async () => {
          const hits = [];
          for await (const { name, head } of driver.heads()) hits.push({ name, head });
          return hits;
        },
      });
      return driver;
    });
  });
  afterAll(async () => remove());

  const store = (label: string) => ['--store', path.join(dir, label)];
  const put = async (s: string[], args: string[], input: string) => (await gitty([...s, '--json', 'put', ...args], { input })).json<{ commit: Commit }>().commit;

  it('log prints a version without tags, message or author with nothing after the author', async () => {
    const s = store('untagged');
    const one = await put(s, ['u.txt', '-'], 'one\n');
    const two = await put(s, ['u.txt', '-', '--author', 'bo'], 'two\n');
    ok(await gitty([...s, 'log', 'u.txt']), `${short(two.commit)}  ${formatTime(two.time)}  bo\n${short(one.commit)}  ${formatTime(one.time)}  -\n`);
  });

  it('log --includes puts the gap where the chain breaks, after two newest versions', async () => {
    const s = store('gap');
    const v: Commit[] = [];
    for (let i = 0; i < 10; i++) v.push(await put(s, ['g.txt', '-'], String(i)));
    const l = (c: Commit) => `${short(c.commit)}  ${formatTime(c.time)}  -`;
    ok(await gitty([...s, 'log', 'g.txt', '--depth', '4', '--includes', v[1]!.commit]), `${l(v[9]!)}\n${l(v[8]!)}\n… 6 versions left out\n${l(v[1]!)}\n${l(v[0]!)}\n`);
    ok(await gitty([...s, 'log', 'g.txt', '--depth', '6', '--includes', v[2]!.commit]), `${l(v[9]!)}\n${l(v[8]!)}\n${l(v[7]!)}\n… 4 versions left out\n${l(v[2]!)}\n${l(v[1]!)}\n${l(v[0]!)}\n`);
  });

  it('rm passes on an error other than NOT_AT_HEAD with that error\'s own hint', async () => {
    const s = store('rm-fails');
    const kept = await put(s, ['k.txt', '-'], 'k\n');
    const result = await gitty([...s, '--driver', 'rm-lock-timeout', 'rm', 'k.txt']);
    expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
      code: 1, stdout: '', stderr: 'gitty: Timed out waiting for the lock /held/lock — another gitty process holds the lock: retry, or remove the lock file if that process died\n',
    });
    const prefixed = await gitty([...s, '--driver', 'rm-lock-timeout', 'rm', 'k.txt', '--previous', short(kept.commit)]);
    expect(prefixed.stderr).toBe('gitty: Timed out waiting for the lock /held/lock — another gitty process holds the lock: retry, or remove the lock file if that process died\n');
    ok(await gitty([...s, 'get', 'k.txt']), 'k\n');
  });

  it('diff keeps lines that end in "=", and colours a line ending in "@@" as the added, removed or same line it is', async () => {
    const s = store('diff-edges');
    const one = await put(s, ['e.txt', '-'], 'a =\nkeep@@\nb@@\n');
    const two = await put(s, ['e.txt', '-'], 'a ==\nkeep@@\nc@@\n');
    ok(await gitty([...s, 'diff', 'e.txt']), [
      `e.txt: ${short(one.commit)} → ${short(two.commit)}`, `--- e.txt@${short(one.commit)}`, `+++ e.txt@${short(two.commit)}`,
      '@@ -1,3 +1,3 @@', '-a =', '+a ==', ' keep@@', '-b@@', '+c@@', '',
    ].join('\n'));
    let coloured = '';
    const code = await runCli([...s, 'diff', 'e.txt'], { stdin: Readable.from([]), stdout: { isTTY: true, write: (chunk) => ((coloured += String(chunk)), true) }, stderr: { write: () => true }, env: {} });
    const c = (n: number, text: string, close = 39) => `\u001b[${n}m${text}\u001b[${close}m`;
    expect([code, coloured]).toEqual([0, [
      c(1, `e.txt: ${short(one.commit)} → ${short(two.commit)}`, 22), c(1, `--- e.txt@${short(one.commit)}`, 22), c(1, `+++ e.txt@${short(two.commit)}`, 22),
      c(36, '@@ -1,3 +1,3 @@'), c(31, '-a ='), c(32, '+a =='), ' keep@@', c(31, '-b@@'), c(32, '+c@@'), '',
    ].join('\n')]);
  });

  it('diff keeps content lines that end in "Index:" (only jsdiff\'s own "Index:" line at the start is left out)', async () => {
    const s = store('diff-index');
    const one = await put(s, ['i.txt', '-'], 'see the Index:\nold\n');
    const two = await put(s, ['i.txt', '-'], 'see the Index:\nnew\nIndex: 2\n');
    ok(await gitty([...s, 'diff', 'i.txt']), [
      `i.txt: ${short(one.commit)} → ${short(two.commit)}`, `--- i.txt@${short(one.commit)}`, `+++ i.txt@${short(two.commit)}`,
      '@@ -1,2 +1,3 @@', ' see the Index:', '-old', '+new', '+Index: 2', '',
    ].join('\n'));
  });

  it('search shows a hit without a snippet with an empty third column', async () => {
    const s = store('no-snippet');
    const hit = await put(s, ['n.txt', '-'], 'needle\n');
    const result = await gitty([...s, '--driver', 'search-no-snippet', 'search', 'needle']);
    ok(result, `n.txt  ${short(hit.commit)}  \n`);
  });

  it('printDiff with headers: false prints neither the title nor the ---/+++ lines', async () => {
    const s = store('no-headers');
    await put(s, ['h.txt', '-', '--tag', 'a'], 'one\ntwo\n');
    await put(s, ['h.txt', '-', '--tag', 'b'], 'one\n2\n');
    const diff = (await gitty([...s, '--json', 'diff', 'h.txt'])).json<CommitDiff>();
    const print = (options?: { headers?: boolean }) => {
      let text = '';
      printDiff(new Output(false, { write: (chunk) => ((text += String(chunk)), true) }, { write: () => true }, {}), diff, options);
      return text;
    };
    const body = ['tags added: b', 'tags removed: a', '@@ -1,2 +1,2 @@', ' one', '-two', '+2', ''].join('\n');
    expect(print({ headers: false })).toBe(body);
    const titled = `h.txt: ${short(diff.from!.commit)} → ${short(diff.to.commit)}\n`;
    const files = `--- h.txt@${short(diff.from!.commit)}\n+++ h.txt@${short(diff.to.commit)}\n`;
    expect(print()).toBe(`${titled}tags added: b\ntags removed: a\n${files}@@ -1,2 +1,2 @@\n one\n-two\n+2\n`);
    expect(print({ headers: true })).toBe(print());
  });
});
