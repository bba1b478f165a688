import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { NotAtHeadError, isGittyError, openStore, type Commit, type Store } from '@gitty/core';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatBytes, shortHash, table, type Output } from '../output.js';
import { storeFacts, summarizeFacts } from '../store-facts.js';
import { printDiff } from './files.js';

/** The demo's files: each entry is one version, saved in this order. */
const VERSIONS: { name: string; text: string; author: string; tags: string[]; message: string }[] = [
  { name: 'hello.pl', author: 'jan', tags: ['demo'], message: 'first try', text: 'hello :- writeln(world).\n' },
  { name: 'notes.md', author: 'anne', tags: ['docs'], message: 'start notes', text: '# Notes\n\n- gitty stores versions\n' },
  { name: 'hello.pl', author: 'anne', tags: ['demo'], message: 'greet someone', text: 'hello(Who) :-\n    format("hello ~w~n", [Who]).\n' },
  { name: 'queens.pl', author: 'jan', tags: ['puzzle'], message: 'n-queens', text: 'queens(N, Qs) :-\n    numlist(1, N, Ns),\n    permutation(Ns, Qs),\n    safe(Qs).\n' },
  { name: 'notes.md', author: 'jan', tags: ['docs', 'todo'], message: 'more notes', text: '# Notes\n\n- gitty stores versions\n- every object is a git object\n' },
  { name: 'hello.pl', author: 'jan', tags: ['demo', 'stable'], message: 'default greeting', text: 'hello :- hello(world).\n\nhello(Who) :-\n    format("hello ~w~n", [Who]).\n' },
];

async function saveVersion(store: Store, v: (typeof VERSIONS)[number]): Promise<Commit> {
  const meta = { author: v.author, tags: v.tags, commit_message: v.message };
  const head = await store.head(v.name);
  return head ? store.update(v.name, v.text, { ...meta, previous: head }) : store.create(v.name, v.text, meta);
}

function gitHashObject(text: string): string | undefined {
  const result = spawnSync('git', ['hash-object', '--stdin'], { input: text, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

async function openDemoStore(dir: string, driver: string | undefined): Promise<Store> {
  if (driver) return openStore({ driver, dir });
  try {
    return await openStore({ driver: 'packs', dir }); // packs can show repack; files cannot
  } catch (err) {
    if (!isGittyError(err, 'DRIVER_NOT_FOUND')) throw err;
    return openStore({ driver: 'files', dir });
  }
}

/**
 * How the user can run gitty again: `node apps/cli/dist/main.js` after `pnpm demo` in the
 * repository (no `gitty` on the PATH yet), else `gitty`.
 */
function invocation(): string {
  const script = process.argv[1] ?? '';
  const relative = path.relative(process.cwd(), script);
  return script.endsWith('.js') && !relative.startsWith('..') && !path.isAbsolute(relative) ? `node ${relative}` : 'gitty';
}

function step(out: Output, n: number, title: string, command: string): void {
  out.line();
  out.line(`${out.paint.bold(`${n}. ${title}`)}  ${out.paint.dim(`$ ${command}`)}`);
}

/** demo: the whole idea on one screen. */
export function demoCommands(program: Command): void {
  program
    .command('demo [dir]')
    .description('create a store (a temp dir by default), save files with versions, and show ls, log, diff, repack, fsck and stats')
    .action(action(async (ctx: CliContext, dirArg: string | undefined) => {
      const dir = path.resolve(dirArg ?? (await mkdtemp(path.join(os.tmpdir(), 'gitty-demo-'))));
      const store = await openDemoStore(dir, ctx.globals.driver);
      try {
        for await (const { name } of store.driver.heads()) {
          throw new CliError('NOT_EMPTY', `The demo needs an empty store, but ${dir} already has "${name}"`, 'run `gitty demo` without a directory, or give a new one');
        }
        await runDemo(ctx.out, store, dir);
      } finally {
        await store.close();
      }
    }));
}

async function runDemo(out: Output, store: Store, dir: string): Promise<void> {
  const { paint } = out;
  const cli = `${invocation()} --store ${dir}${store.driver.name === 'files' ? '' : ` --driver ${store.driver.name}`}`;
  out.line(`${paint.bold('gitty')} — a versioned file store modelled on git`);
  out.line(paint.dim(`store: ${dir} (${store.driver.name} driver)`));

  step(out, 1, 'Save files; every save is a new version', 'gitty put hello.pl ./hello.pl --author jan -m "first try"');
  const saved: Commit[] = [];
  for (const v of VERSIONS) saved.push(await saveVersion(store, v));
  const rows = saved.map((c) => [
    paint.bold(c.name), c.previous ? paint.cyan('updated') : paint.green('created'), paint.yellow(shortHash(c.commit)), c.author ?? '', String(c.commit_message ?? ''),
  ]);
  for (const row of table(rows)) out.line(`   ${row}`);

  step(out, 2, 'List files with their newest version', 'gitty ls');
  const files = [];
  for await (const entry of store.files()) files.push(entry);
  for (const row of table(files.map(({ name, head, commit }) => [paint.bold(name), paint.yellow(shortHash(head)), commit.author ?? '', paint.magenta((commit.tags ?? []).map((t) => `#${t}`).join(' '))]))) out.line(`   ${row}`);

  step(out, 3, 'A file\'s history, newest first', 'gitty log hello.pl');
  const { history } = await store.history('hello.pl', { depth: 10 });
  for (const c of history) out.line(`   ${paint.yellow(shortHash(c.commit))}  ${(c.author ?? '').padEnd(5)} ${String(c.commit_message ?? '')}`);

  step(out, 4, 'What changed in the newest version', 'gitty diff hello.pl');
  printDiff(out.indented('   '), await store.diff('hello.pl'), { headers: false });

  step(out, 5, 'Optimistic concurrency: saving over a stale version is refused', `gitty put hello.pl --expect ${shortHash(history[1]?.commit)}`);
  try {
    await store.update('hello.pl', 'stale edit\n', { previous: history[1]!.commit });
  } catch (err) {
    if (!(err instanceof NotAtHeadError)) throw err;
    out.line(`   ${paint.red('refused')} NOT_AT_HEAD: hello.pl is at ${paint.yellow(shortHash(err.head))}, not ${shortHash(err.expected)}; nothing overwritten`);
  }

  const blob = history[0]!.data;
  const gitHash = gitHashObject(VERSIONS[VERSIONS.length - 1]!.text);
  step(out, 6, 'Objects are git objects', 'git hash-object hello.pl');
  out.line(`   blob ${paint.yellow(blob)}${gitHash === undefined ? '' : gitHash === blob ? paint.green('  = git hash-object') : paint.red(`  ≠ git ${gitHash}`)}`);

  let step7 = `repack skipped: the ${store.driver.name} driver has no packs (try --driver packs)`;
  if (store.driver.capabilities.packs) {
    const report = await store.repack({ minFiles: 1 });
    step7 = `packed ${report.packed} objects (${report.deltas} deltas) into ${formatBytes(report.bytes)}`;
  }
  step(out, 7, 'Pack loose objects, with deltas between versions', 'gitty repack');
  out.line(`   ${step7}`);

  const fsck = await store.fsck();
  step(out, 8, 'Verify every object, history and head', 'gitty fsck');
  const orphans = fsck.counts.commits - saved.length;
  const orphanNote = orphans > 0 ? paint.dim(` (${orphans} commit from the refused save awaits gc)`) : '';
  out.line(`   ${fsck.ok ? paint.green('ok') : paint.red('damaged')}: ${fsck.counts.objects} objects, ${fsck.counts.commits} commits, ${fsck.counts.heads} heads${orphanNote}`);

  step(out, 9, 'Store statistics', 'gitty stats');
  const facts = await storeFacts(store);
  out.line(`   ${summarizeFacts(facts)}`);

  out.line();
  out.line(`Explore this store (and ${paint.cyan(`${invocation()} --help`)}):`);
  for (const example of ['log hello.pl', `git cat-file -p ${shortHash(blob)}`]) out.line(`   ${paint.cyan(`${cli} ${example}`)}`);
  if (out.json) out.data({ store: dir, driver: store.driver.name, versions: saved, fsck, stats: facts });
}
