import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { NotAtHeadError, NotFoundError, isGittyError, type Commit, type CommitDiff, type FileEntry, type FileQuery, type Meta } from '@gitty/core';
import { action, collect } from '../action.js';
import { metaText, tagsText } from '../commit-text.js';
import type { CliContext } from '../context.js';
import { parseCount } from '../duration.js';
import { CliError, UsageError, withHint } from '../errors.js';
import type { InputStream } from '../io.js';
import { formatTime, shortHash, table, type Output } from '../output.js';
import { resolveCommitHash, resolveObjectHash, resolveVersion } from '../resolve-version.js';

interface PutOptions { expect?: string; author?: string; tag?: string[]; message?: string }
interface ListOptions { ext?: string; tag?: string; author?: string; prefix?: string; order?: string; limit?: string }

async function readInput(file: string | undefined, stdin: InputStream): Promise<Uint8Array> {
  if (file === undefined || file === '-') {
    if (stdin.isTTY) throw new UsageError('No data given', 'name a file, or pipe the data in: `echo hi | gitty put notes.txt -`');
    const chunks: Uint8Array[] = [];
    for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
    return Buffer.concat(chunks);
  }
  try {
    return await readFile(file);
  } catch (err) {
    throw new CliError('READ_FAILED', `Cannot read ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

// Metadata is shown whatever its stored type (see commit-text.ts).
function describeCommit(out: Output, c: Commit): string {
  const { paint } = out;
  const tags = tagsText(c.tags);
  const message = metaText(c.commit_message);
  return `${paint.yellow(shortHash(c.commit))}  ${paint.dim(formatTime(c.time))}  ${metaText(c.author) || '-'}${message ? ` ${message}` : ''}${tags ? ` ${paint.magenta(tags)}` : ''}`;
}

/** Data for JSON as the HTTP API sends it: `{ data, encoding: 'utf8' }` when UTF-8 text, else base64. */
function dataField(bytes: Uint8Array): { data: string; encoding: 'utf8' | 'base64' } {
  try {
    return { data: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf8' };
  } catch {
    return { data: Buffer.from(bytes).toString('base64'), encoding: 'base64' };
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

/** put, rm, get, cat, ls, log, diff, search: reading and writing files. */
export function fileCommands(program: Command): void {
  program
    .command('put <name> [file]')
    .description('save a new version of a file from a file or stdin ("-"); creates the file if new')
    .option('--expect <hash>', 'the version you edited (default: the current head); a stale one is refused')
    .option('--author <author>', 'author of this version')
    .option('--tag <tag>', 'a tag (repeatable; replaces the previous version\'s tags)', collect)
    .option('-m, --message <text>', 'commit message')
    .action(action(async (ctx: CliContext, name: string, file: string | undefined, options: PutOptions) => {
      const data = await readInput(file, ctx.io.stdin);
      const meta: Meta = {};
      if (options.author !== undefined) meta.author = options.author;
      if (options.tag !== undefined) meta.tags = options.tag;
      if (options.message !== undefined) meta.commit_message = options.message;
      await ctx.withStore(async (store) => {
        const head = await store.head(name);
        let commit: Commit;
        if (options.expect !== undefined) {
          const expected = await resolveCommitHash(store, options.expect);
          if (!head) throw new NotAtHeadError(name, null, expected);
          commit = await store.update(name, data, { ...meta, previous: expected });
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
      }, { access: 'create-if-empty' });
    }));

  program
    .command('rm <name>')
    .description('delete a file: its head goes, its versions stay readable by hash until gc')
    .option('--previous <hash>', 'delete only while this is the head (compare-and-swap; a unique prefix will do)')
    .action(action(async (ctx: CliContext, name: string, options: { previous?: string }) => {
      await ctx.withStore(async (store) => {
        const head = options.previous === undefined ? await store.head(name) : await resolveCommitHash(store, options.previous);
        if (!head) throw new NotFoundError('file', name);
        await store.delete(name, { previous: head }).catch((err: unknown) => {
          // put's hint (reapply your change) does not fit a delete.
          if (isGittyError(err, 'NOT_AT_HEAD')) {
            throw withHint(err, err.head
              ? `it changed since: see \`gitty log ${name}\`, then \`gitty rm ${name} --previous ${err.head}\` if it should still go`
              : 'it is already deleted');
          }
          throw err;
        });
        ctx.out.result({ deleted: name, head }, () => ctx.out.line(`${ctx.out.paint.red('deleted')} ${ctx.out.paint.bold(name)} (was ${shortHash(head)})`));
      });
    }));

  program
    .command('get <version>')
    .description('print a file\'s data: its newest version by name, or any version by commit hash (or a unique prefix of 4+ digits)')
    .option('--meta', 'print the commit metadata instead of the data')
    .action(action(async (ctx: CliContext, nameOrHash: string, options: { meta?: boolean }) => {
      await ctx.withStore(async (store) => {
        const version = await store.get(await resolveVersion(store, nameOrHash));
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
        const full = await resolveObjectHash(store, hash);
        const object = await store.load(full);
        if (ctx.out.json) ctx.out.data({ hash: full, type: object.type, size: object.data.length, ...dataField(object.data) });
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
          const rows = entries.map(({ name, head, commit }) => {
            const tags = tagsText(commit.tags);
            return [paint.bold(name), paint.yellow(shortHash(head)), paint.dim(formatTime(commit.time)), metaText(commit.author) || '-', tags ? paint.magenta(tags) : ''];
          });
          for (const row of table(rows)) ctx.out.line(row.trimEnd());
        });
      });
    }));

  program
    .command('log <version>')
    .description('show a file\'s history, newest first (from a name, or a commit hash or unique prefix)')
    .option('--depth <n>', 'how many versions', '10')
    .option('--includes <hash>', 'show the window around this version (a hash or unique prefix)')
    .action(action(async (ctx: CliContext, nameOrHash: string, options: { depth: string; includes?: string }) => {
      const depth = parseCount(options.depth, '--depth');
      await ctx.withStore(async (store) => {
        const includes = options.includes === undefined ? undefined : await resolveCommitHash(store, options.includes);
        const window = await store.history(await resolveVersion(store, nameOrHash), { depth, includes });
        ctx.out.result(window, () => {
          // With --includes the window may be two runs (the newest versions, then the included one
          // and older ones); the versions between them are left out where the chain breaks.
          const history = window.history;
          const gap = window.skipped > 0 ? Math.max(0, history.findIndex((c, i) => i > 0 && history[i - 1]!.previous !== c.commit)) : -1;
          for (const [i, commit] of history.entries()) {
            if (i === gap) ctx.out.line(ctx.out.paint.dim(`… ${window.skipped} version${window.skipped === 1 ? '' : 's'} left out`));
            ctx.out.line(describeCommit(ctx.out, commit));
          }
          const last = window.history[window.history.length - 1];
          if (last?.previous) ctx.out.line(ctx.out.paint.dim('… older versions: gitty log --depth N'));
        });
      });
    }));

  program
    .command('diff <a> [b]')
    .description('show what changed: between two versions, or a version and its previous one (names, hashes or unique prefixes)')
    .action(action(async (ctx: CliContext, a: string, b: string | undefined) => {
      await ctx.withStore(async (store) => {
        // Bounded by the core's diff limits: texts too different to diff in time print "files differ, N → M lines".
        const diff = await store.diff(await resolveVersion(store, a), b === undefined ? undefined : await resolveVersion(store, b));
        ctx.out.result(diff, () => printDiff(ctx.out, diff));
      });
    }));

  addListFilters(program.command('search <text>').description('find files whose newest version contains the text (indexed where the driver can)'))
    .action(action(async (ctx: CliContext, text: string, options: ListOptions) => {
      if (text === '') throw new UsageError('Nothing to search for', 'give the text to find, e.g. `gitty search "member("`');
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
  if (diff.tooLarge || diff.binary) {
    // Only a note: "files differ, N → M lines" when too different to diff within the core's limits.
    out.line(paint.yellow(diff.data.trimEnd()));
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
