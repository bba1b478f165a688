import type { Command } from 'commander';
import { hashObject, isGittyError, type ImportReport, type ImportVersion, type Meta, type Progress, type Store } from '@gitty/core';
import { action } from '../action.js';
import { trapInterrupt, type CliContext } from '../context.js';
import { CliError, UsageError, withHint } from '../errors.js';
import { directoryVersions, planDirectoryImport, type DirectoryPlan } from '../import/directory-source.js';
import { gitVersions, openGitSource, planGitImport, type GitImportPlan } from '../import/git-source.js';
import { checkMapping, DEFAULT_SEPARATOR, invalidNamesError, type NameMapping, type RefusedPath } from '../import/names.js';

interface ImportOptions {
  git?: boolean;
  branch?: string;
  prefix?: string;
  separator: string;
  skipInvalid?: boolean;
  keepDeleted?: boolean;
  append?: boolean;
  author?: string;
  message?: string;
  dryRun?: boolean;
}

/** How many names a message lists before "and N more". */
const LISTED = 20;

function listed(names: readonly string[]): string {
  const more = names.length > LISTED ? `, and ${names.length - LISTED} more` : '';
  return `${names.slice(0, LISTED).join(', ')}${more}`;
}

function mappingOf(options: ImportOptions): NameMapping {
  const mapping = { separator: options.separator, prefix: options.prefix ?? '' };
  const problem = checkMapping(mapping);
  if (problem) throw new UsageError(problem, `the default separator is "${DEFAULT_SEPARATOR}"`);
  return mapping;
}

function checkRefused(refused: readonly RefusedPath[], mapping: NameMapping, options: ImportOptions): void {
  if (refused.length > 0 && !options.skipInvalid) throw invalidNamesError(refused, mapping);
}

/** Every file the store has under the mapping's prefix: name → blob hash of its head. */
async function existingFiles(store: Store, prefix: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for await (const entry of store.files(prefix === '' ? {} : { namePrefix: prefix })) files.set(entry.name, entry.commit.data);
  return files;
}

/**
 * Run the import with a progress bar and Ctrl-C: the first SIGINT aborts it through its
 * AbortSignal (the core then moves no head), which is reported as exit status 130.
 */
async function runImport(
  ctx: CliContext,
  store: Store,
  total: number,
  versions: (signal: AbortSignal) => AsyncIterable<ImportVersion>,
): Promise<ImportReport | 'interrupted'> {
  const abort = new AbortController();
  const untrap = trapInterrupt(() => abort.abort());
  const bar = ctx.progress('import');
  // The core counts versions but cannot know how many an iterable holds; the plan does.
  const onProgress = (p: Progress) => bar.listener(p.phase === 'import' && p.total === undefined ? { ...p, total } : p);
  onProgress({ phase: 'import', done: 0 }); // the bar (and its rate) starts now, not at the core's first report
  try {
    return await store.import(versions(abort.signal), { onProgress, signal: abort.signal });
  } catch (err) {
    if (abort.signal.aborted) return 'interrupted';
    throw err;
  } finally {
    bar.stop();
    untrap();
  }
}

function interrupted(ctx: CliContext): number {
  ctx.out.note('gitty: import interrupted; no file was changed (objects already written wait for `gitty gc`) — run the same command again');
  return 130;
}

function skippedText(parts: Record<string, number>): string {
  const said = Object.entries(parts).filter(([, n]) => n > 0).map(([what, n]) => `${n} ${what}`);
  return said.length > 0 ? `; skipped ${said.join(', ')}` : '';
}

async function importGit(ctx: CliContext, repo: string, options: ImportOptions): Promise<number> {
  const mapping = mappingOf(options);
  const source = await openGitSource(repo, options.branch);
  const plan = await planGitImport(source, mapping);
  checkRefused(plan.refused, mapping, options);
  const summary = (result?: ImportReport, deleted: string[] = [], changedMeanwhile: string[] = []) => ({
    source: repo, branch: source.branch, tip: source.tip, commits: plan.commits,
    versions: result?.versions ?? plan.versions, files: result?.files ?? plan.names.size, objects: result?.objects ?? 0,
    heads: result?.heads ?? {}, deleted, kept: options.keepDeleted ? plan.goneAtTip : [], changedMeanwhile,
    skipped: { ...plan.skipped, invalid: plan.refused },
    ...(options.dryRun ? { dryRun: true, names: Object.fromEntries(plan.names) } : {}),
  });
  if (options.dryRun) {
    ctx.out.result(summary(), () => printPlan(ctx, plan.names, `${plan.versions} versions of ${plan.names.size} files from ${plan.commits} commits of ${source.branch}`));
    return 0;
  }
  return ctx.withStore(async (store) => {
    if (!options.append) await refuseExisting(store, plan, mapping);
    const result = await runImport(ctx, store, plan.versions, (signal) => gitVersions(plan, signal));
    if (result === 'interrupted') return interrupted(ctx);
    const deleted: string[] = [];
    const changedMeanwhile: string[] = [];
    if (!options.keepDeleted) {
      // Gone at the branch's tip: deleted (or renamed away) in git, so no head here either.
      for (const name of plan.goneAtTip) {
        const head = result.heads[name];
        if (head === undefined) continue;
        try {
          await store.delete(name, { previous: head });
          deleted.push(name);
        } catch (err) {
          // Another writer saved (or deleted) the file since the import moved its head: their change stands.
          if (!isGittyError(err, 'NOT_AT_HEAD')) throw err;
          changedMeanwhile.push(name);
        }
      }
    }
    ctx.out.result(summary(result, deleted, changedMeanwhile), () => {
      const { paint } = ctx.out;
      ctx.out.line(`${paint.green('imported')} ${result.versions} versions of ${result.files} files from ${plan.commits} commits of ${source.branch} (${source.tip.slice(0, 10)}), ${result.objects} new objects`);
      if (deleted.length > 0) ctx.out.line(`deleted ${deleted.length} files that are gone at the tip (their history stays until \`gitty gc\`; --keep-deleted keeps them)`);
      if (options.keepDeleted && plan.goneAtTip.length > 0) ctx.out.line(`kept ${plan.goneAtTip.length} files that are gone at the tip`);
      if (changedMeanwhile.length > 0) ctx.out.line(`left ${changedMeanwhile.length} files that are gone at the tip, as another writer changed them meanwhile: ${listed(changedMeanwhile)}`);
      const skipped = skippedText({ 'symbolic links': plan.skipped.symlinks, submodules: plan.skipped.submodules, 'invalid paths': plan.refused.length });
      if (skipped) ctx.out.line(skipped.slice(2));
    });
    return 0;
  }, { access: 'create-if-empty' });
}

/** A git history lands on files of its own: names the store already has are refused unless --append. */
async function refuseExisting(store: Store, plan: GitImportPlan, mapping: NameMapping): Promise<void> {
  const existing = await existingFiles(store, mapping.prefix);
  const clashes = [...plan.names.values()].filter((name) => existing.has(name));
  if (clashes.length === 0) return;
  throw new CliError(
    'FILE_EXISTS',
    `${clashes.length} file(s) to import already exist in the store: ${listed(clashes)}`,
    'import under another --prefix, or pass --append to add the history on top of them; nothing was imported',
  );
}

async function importDirectory(ctx: CliContext, root: string, options: ImportOptions): Promise<number> {
  const mapping = mappingOf(options);
  if (options.branch !== undefined || options.keepDeleted || options.append) {
    throw new UsageError('--branch, --keep-deleted and --append apply to git imports', 'add --git to import a git repository\'s history');
  }
  const plan = await planDirectoryImport(root, mapping);
  checkRefused(plan.refused, mapping, options);
  const meta: Meta = {};
  if (options.author !== undefined) meta.author = options.author;
  if (options.message !== undefined) meta.commit_message = options.message;
  const summary = (result?: ImportReport, unchanged = 0) => ({
    source: root, versions: result?.versions ?? plan.files.length, files: result?.files ?? plan.files.length, objects: result?.objects ?? 0,
    heads: result?.heads ?? {}, unchanged, skipped: { ...plan.skipped, invalid: plan.refused },
    ...(options.dryRun ? { dryRun: true, names: Object.fromEntries(plan.files.map((f) => [f.path, f.name])) } : {}),
  });
  if (options.dryRun) {
    ctx.out.result(summary(), () => printPlan(ctx, new Map(plan.files.map((f) => [f.path, f.name])), `${plan.files.length} files from ${root}`));
    return 0;
  }
  return ctx.withStore(async (store) => {
    const existing = await existingFiles(store, mapping.prefix);
    // A file whose head already holds these bytes gets no new version, so importing again adds only what changed.
    const unchanged = async (name: string, bytes: Uint8Array) => existing.get(name) === hashObject('blob', bytes);
    const skippedUnchanged = { count: 0 };
    const result = await runImport(ctx, store, plan.files.length, (signal) => directoryVersions(plan, meta, unchanged, skippedUnchanged, signal));
    if (result === 'interrupted') return interrupted(ctx);
    ctx.out.result(summary(result, skippedUnchanged.count), () => {
      ctx.out.line(`${ctx.out.paint.green('imported')} ${result.versions} files from ${root}, ${result.objects} new objects${skippedUnchanged.count > 0 ? `; ${skippedUnchanged.count} unchanged` : ''}`);
      const skipped = skippedSummary(plan);
      if (skipped) ctx.out.line(skipped.slice(2));
    });
    return 0;
  }, { access: 'create-if-empty' });
}

function skippedSummary(plan: DirectoryPlan): string {
  return skippedText({ '.git entries': plan.skipped.git, 'symbolic links': plan.skipped.symlinks, 'special files': plan.skipped.special, 'invalid paths': plan.refused.length });
}

function printPlan(ctx: CliContext, names: ReadonlyMap<string, string>, what: string): void {
  ctx.out.line(`would import ${what}:`);
  for (const [path, name] of names) ctx.out.line(path === name ? `  ${name}` : `  ${path} → ${name}`);
}

/** import: bring a directory tree or a git repository's history into the store. */
export function importCommands(program: Command): void {
  program
    .command('import <source>')
    .description('import a folder\'s files as versions, or with --git a git repository\'s history (every version of every file along the branch\'s first-parent line, authors, dates and messages kept); a path "a/b.txt" becomes the name "a:b.txt"')
    .option('--git', 'the source is a git repository: import the history of --branch')
    .option('--branch <name>', 'git: the branch (or any commit) whose first-parent history is imported (default: the checked-out branch)')
    .option('--prefix <text>', 'put before every name (e.g. "notes:")')
    .option('--separator <text>', 'put between the folders of a path in its name', DEFAULT_SEPARATOR)
    .option('--skip-invalid', 'leave out paths that make no valid name (listed) instead of refusing the import')
    .option('--keep-deleted', 'git: keep files deleted or renamed away before the tip (default: delete them after importing their history)')
    .option('--append', 'git: add the history on top of files the store already has (default: refuse)')
    .option('--author <name>', 'folder: author of the imported versions')
    .option('-m, --message <text>', 'folder: commit message of the imported versions')
    .option('--dry-run', 'show the names and counts, write nothing')
    .action(action(async (ctx: CliContext, source: string, options: ImportOptions) => {
      if (options.git) {
        if (options.author !== undefined || options.message !== undefined) {
          throw new UsageError('--author and --message apply to folder imports', 'a git import keeps each commit\'s author and message');
        }
      }
      const work = options.git ? importGit(ctx, source, options) : importDirectory(ctx, source, options);
      return work.catch((err: unknown) => {
        throw isConflict(err) ? withHint(err, conflictHint(err)) : err;
      });
    }));
}

/** The core's ImportConflictError (NOT_AT_HEAD): files another writer saved while the import ran. */
interface ImportConflicts {
  conflicts: readonly { name: string; tip: string }[];
}

function isConflict(err: unknown): err is ImportConflicts & object {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'NOT_AT_HEAD' && Array.isArray((err as Partial<ImportConflicts>).conflicts);
}

// Where the imported history of each conflicting file ended up, so nothing is lost to the user.
function conflictHint(err: ImportConflicts): string {
  const tips = listed(err.conflicts.map((c) => `${c.name} → ${c.tip.slice(0, 10)}`));
  return `another writer saved these files meanwhile; their imported versions end at ${tips} (\`gitty log <hash>\`), files gone at the tip were not deleted`;
}
