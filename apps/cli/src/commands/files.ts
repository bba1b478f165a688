import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NotAtHeadError, type Commit, type CommitDiff, type FileEntry, type FileQuery, type Meta } from '@gitty/core';
import { action, collect } from '../action.js';
import type { CliContext } from '../context.js';
import { parseCount } from '../duration.js';
import { CliError, UsageError } from '../errors.js';
import { formatTime, shortHash, table, type Output } from '../output.js';

interface PutOptions { expect?: string; author?: string; tag?: string[]; message?: string }
interface ListOptions { ext?: string; tag?: string; author?: string; prefix?: string; order?: string; limit?: string }

async function readInput(file: string | undefined): Promise<Uint8Array> {
  if (file === undefined || file === '-') {
    if (process.stdin.isTTY) throw new UsageError('No data given', 'name a file, or pipe the data in: `echo hi | gitty put notes.txt -`');
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (err) {
    throw new CliError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

function describeCommit(out: Output, c: Commit): string {
  const { paint } = out;
  const tags = c.tags?.length ? ` ${paint.magenta(c.tags.map((t) => `#${t}`).join(' '))}` : '';
  const message = typeof c.commit_message === 'string' ? ` ${c.commit_message}` : '';
  return `${paint.yellow(shortHash(c.commit))}  ${paint.dim(formatTime(c.time))}  ${c.author ?? '-'}${message}${tags}`;
}

/** Data for JSON: text when it is UTF-8, else base64. */
function dataField(bytes: Uint8Array): { text: string } | { base64: string } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { base64: Buffer.from(bytes).toString('base64') };
  }
}

function fileQuery(options: ListOptions): FileQuery {
  if (options.order !== undefined && options.order !== 'name' && options.order !== 'time') {
    throw new UsageError(`Invalid --order "${options.order}"`, 'use --order name or --order time');
  }
  return {
    ext: options.ext, tag: options.tag, author: options.author, namePrefix: options.prefix,
    order: options.order as FileQuery['order'], limit: options.limit === undefined ? undefined : parseCount(options.limit, '--limit'),
  };
}

function addListFilters(command: Command): Command {
  return command
    .option('--ext <ext>', 'only names with this extension (without the dot)')
    .option('--tag <tag>', 'only files whose newest version has this tag')
    .option('--author <author>', 'only files whose newest version has this author')
    .option('--prefix <prefix>', 'only names starting with this')
    .option('--order <order>', 'name (default) or time (newest first)')
    .option('--limit <n>', 'at most this many');
}

/** put, get, cat, ls, log, diff, search: reading and writing files. */
export function fileCommands(program: Command): void {
  program
    .command('put <name> [file]')
    .description('save a new version of a file from a file or stdin ("-"); creates the file if new')
    .option('--expect <hash>', 'the version you edited (default: the current head); a stale one is refused')
    .option('--author <author>', 'author of this version')
    .option('--tag <tag>', 'a tag (repeatable; replaces the previous version\'s tags)', collect)
    .option('-m, --message <text>', 'commit message')
    .action(action(async (ctx: CliContext, name: string, file: string | undefined, options: PutOptions) => {
      const data = await readInput(file);
      const meta: Meta = {};
      if (options.author !== undefined) meta.author = options.author;
      if (options.tag !== undefined) meta.tags = options.tag;
      if (options.message !== undefined) meta.commit_message = options.message;
      await ctx.withStore(async (store) => {
        const head = await store.head(name);
        let commit: Commit;
        if (options.expect !== undefined) {
          if (!head) throw new NotAtHeadError(name, null, options.expect);
          commit = await store.update(name, data, { ...meta, previous: options.expect });
        } else if (head) {
          commit = await store.update(name, data, { ...meta, previous: head });
        } else {
          commit = await store.create(name, data, meta);
        }
        const created = commit.previous === undefined;
        ctx.out.result({ action: created ? 'created' : 'updated', commit }, () => {
          const { paint } = ctx.out;
          ctx.out.line(created
            ? `${paint.green('created')} ${paint.bold(name)} ${paint.yellow(commit.commit)}`
            : `${paint.green('updated')} ${paint.bold(name)} ${shortHash(commit.previous)} → ${paint.yellow(commit.commit)}`);
        });
      });
    }));

  program
    .command('get <version>')
    .description('print a file\'s data: its newest version by name, or any version by commit hash')
    .option('--meta', 'print the commit metadata instead of the data')
    .action(action(async (ctx: CliContext, nameOrHash: string, options: { meta?: boolean }) => {
      await ctx.withStore(async (store) => {
        const version = await store.get(nameOrHash);
        if (ctx.out.json) ctx.out.data({ commit: version.commit, ...dataField(version.data) });
        else if (options.meta) ctx.out.line(JSON.stringify(version.commit, null, 2));
        else ctx.out.bytes(version.data);
      });
    }));

  program
    .command('cat <hash>')
    .description('print a raw object (blob, commit, …) by hash, like git cat-file')
    .option('-t, --type', 'print only the object type')
    .option('-s, --size', 'print only the size in bytes')
    .action(action(async (ctx: CliContext, hash: string, options: { type?: boolean; size?: boolean }) => {
      await ctx.withStore(async (store) => {
        const object = await store.load(hash);
        if (ctx.out.json) ctx.out.data({ hash, type: object.type, size: object.data.length, ...dataField(object.data) });
        else if (options.type) ctx.out.line(object.type);
        else if (options.size) ctx.out.line(String(object.data.length));
        else ctx.out.bytes(object.data);
      });
    }));

  addListFilters(program.command('ls').description('list files with their newest version'))
    .action(action(async (ctx: CliContext, options: ListOptions) => {
      const query = fileQuery(options);
      await ctx.withStore(async (store) => {
        const entries: FileEntry[] = [];
        for await (const entry of store.files(query)) entries.push(entry);
        ctx.out.result(entries, () => {
          const { paint } = ctx.out;
          if (entries.length === 0) ctx.out.note('no files');
          const rows = entries.map(({ name, head, commit }) => [
            paint.bold(name), paint.yellow(shortHash(head)), paint.dim(formatTime(commit.time)), commit.author ?? '-',
            commit.tags?.length ? paint.magenta(commit.tags.map((t) => `#${t}`).join(' ')) : '',
          ]);
          for (const row of table(rows)) ctx.out.line(row.trimEnd());
        });
      });
    }));

  program
    .command('log <version>')
    .description('show a file\'s history, newest first')
    .option('--depth <n>', 'how many versions (default 10)', '10')
    .option('--includes <hash>', 'show the window around this version')
    .action(action(async (ctx: CliContext, nameOrHash: string, options: { depth: string; includes?: string }) => {
      const depth = parseCount(options.depth, '--depth');
      await ctx.withStore(async (store) => {
        const window = await store.history(nameOrHash, { depth, includes: options.includes });
        ctx.out.result(window, () => {
          if (window.skipped > 0) ctx.out.line(ctx.out.paint.dim(`… ${window.skipped} newer versions`));
          for (const commit of window.history) ctx.out.line(describeCommit(ctx.out, commit));
          const last = window.history[window.history.length - 1];
          if (last?.previous) ctx.out.line(ctx.out.paint.dim('… older versions: gitty log --depth N'));
        });
      });
    }));

  program
    .command('diff <a> [b]')
    .description('show what changed: between two versions, or a version and its previous one')
    .action(action(async (ctx: CliContext, a: string, b: string | undefined) => {
      await ctx.withStore(async (store) => {
        const diff = await store.diff(a, b);
        ctx.out.result(diff, () => printDiff(ctx.out, diff));
      });
    }));

  addListFilters(program.command('search <text>').description('find files whose newest version contains the text (indexed where the driver can)'))
    .action(action(async (ctx: CliContext, text: string, options: ListOptions) => {
      const query = fileQuery(options);
      await ctx.withStore(async (store) => {
        const hits = await store.search(text, query);
        ctx.out.result(hits, () => {
          const { paint } = ctx.out;
          if (hits.length === 0) ctx.out.note(`no file contains "${text}"`);
          const rows = hits.map((hit) => [paint.bold(hit.name), paint.yellow(shortHash(hit.head)), (hit.snippet ?? '').replace(/\s+/g, ' ').trim()]);
          for (const row of table(rows)) ctx.out.line(row);
        });
      });
    }));
}

/** Print a CommitDiff for people: header, tag changes, coloured unified diff. */
export function printDiff(out: Output, diff: CommitDiff, options: { headers?: boolean } = {}): void {
  const { paint } = out;
  const headers = options.headers !== false;
  if (headers) out.line(paint.bold(`${diff.to.name}: ${diff.from ? shortHash(diff.from.commit) : '(new file)'} → ${shortHash(diff.to.commit)}`));
  if (diff.tags.added.length) out.line(paint.green(`tags added: ${diff.tags.added.join(', ')}`));
  if (diff.tags.deleted.length) out.line(paint.red(`tags removed: ${diff.tags.deleted.join(', ')}`));
  if (diff.data === '') {
    out.line(paint.dim('(same data)'));
    return;
  }
  // Skip the "Index:"/"====" preamble createTwoFilesPatch writes; keep ---/+++ and hunks.
  const lines = diff.data.replace(/\n$/, '').split('\n').filter((l) => !l.startsWith('Index:') && !/^=+$/.test(l));
  for (const line of lines) {
    if (line.startsWith('+++') || line.startsWith('---')) {
      if (headers) out.line(paint.bold(line));
    } else if (line.startsWith('@@')) out.line(paint.cyan(line));
    else if (line.startsWith('+')) out.line(paint.green(line));
    else if (line.startsWith('-')) out.line(paint.red(line));
    else out.line(line);
  }
}
