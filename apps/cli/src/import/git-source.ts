import { stat } from 'node:fs/promises';
import { CliError } from '../errors.js';
import { CatFile, type PendingObject } from './cat-file.js';
import { parseGitCommit, type GitCommitMeta } from './git-commit.js';
import { firstParentChanges } from './git-log.js';
import { runGit } from './git-process.js';
import { nameOfPath, type NameMapping, type RefusedPath } from './names.js';
import type { ImportVersion } from '@gitty/core';

/** A git repository and the commit whose first-parent history is imported. */
export interface GitSource {
  /** The repository folder as given (work tree or bare repository). */
  repo: string;
  /** The branch (or other revision) as the user named it, or HEAD's branch. */
  branch: string;
  /** The commit it points at. */
  tip: string;
}

/**
 * Check that `repo` is a git repository (its top folder, or a bare one) and resolve `branch`
 * (default: the branch HEAD names): NOT_A_REPOSITORY, BRANCH_NOT_FOUND or GIT_FAILED otherwise.
 */
export async function openGitSource(repo: string, branch: string | undefined): Promise<GitSource> {
  const info = await stat(repo).catch(() => undefined);
  if (!info?.isDirectory()) throw new CliError('NOT_A_REPOSITORY', `${repo} is not a folder`, 'give the folder of a git repository');
  const probe = await runGit(repo, ['rev-parse', '--is-bare-repository', '--show-prefix']);
  if (probe.code !== 0) {
    throw new CliError('NOT_A_REPOSITORY', `${repo} is not a git repository (${probe.stderr.split('\n')[0] ?? ''})`, 'give the top folder of a git repository (or a bare one)');
  }
  const [bare, prefix = ''] = probe.stdout.toString('utf8').split('\n');
  if (bare !== 'true' && prefix !== '') {
    const top = (await runGit(repo, ['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim();
    throw new CliError('NOT_A_REPOSITORY', `${repo} is a folder inside the git repository ${top}, not its top`, `import the whole repository: gitty import --git ${top}`);
  }
  const name = branch ?? (await headBranch(repo));
  const resolved = await runGit(repo, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`]);
  if (resolved.code !== 0) {
    const branches = (await runGit(repo, ['for-each-ref', '--format=%(refname:short)', 'refs/heads'])).stdout.toString('utf8').trim().split('\n').filter(Boolean);
    throw new CliError(
      'BRANCH_NOT_FOUND',
      `${repo} has no branch or commit "${name}"`,
      branches.length > 0 ? `its branches: ${branches.join(', ')}` : 'the repository has no commits yet',
    );
  }
  return { repo, branch: name, tip: resolved.stdout.toString('utf8').trim() };
}

async function headBranch(repo: string): Promise<string> {
  const head = await runGit(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  // A detached HEAD is imported as the commit it points at.
  return head.code === 0 ? head.stdout.toString('utf8').trim() : 'HEAD';
}

/** What the import of a git history will do, found by one pass over the history without reading blobs. */
export interface GitImportPlan {
  source: GitSource;
  mapping: NameMapping;
  /** Commits on the first-parent line. */
  commits: number;
  /** Versions to import (refused paths left out). */
  versions: number;
  /** The gitty name of every path that gets versions. */
  names: Map<string, string>;
  /** Paths that make no valid name. */
  refused: RefusedPath[];
  /** Names of files that are no longer at the tip (deleted or renamed away). */
  goneAtTip: string[];
  /** Symbolic links and submodules met (never imported). */
  skipped: { symlinks: number; submodules: number };
}

function describeRaw(raw: Buffer): string {
  return raw.toString('utf8'); // lossy, only to name a path that is not UTF-8 in a message
}

/** Walk the history once (no blobs) to map and check every name and count the versions. */
export async function planGitImport(source: GitSource, mapping: NameMapping): Promise<GitImportPlan> {
  const names = new Map<string, string>();
  const refused = new Map<string, RefusedPath>();
  const present = new Set<string>();
  const symlinks = new Set<string>();
  const submodules = new Set<string>();
  let commits = 0;
  let versions = 0;
  for await (const { changes } of firstParentChanges(source.repo, source.tip)) {
    commits++;
    for (const change of changes) {
      const key = change.path ?? describeRaw(change.raw);
      if (change.kind === 'skipped') {
        if (change.what === 'symlink') symlinks.add(key);
        if (change.what === 'submodule') submodules.add(key);
        continue;
      }
      if (change.kind === 'gone') {
        present.delete(key);
        continue;
      }
      present.add(key);
      if (refused.has(key)) continue;
      if (!names.has(key)) {
        const mapped = change.path === undefined ? { refused: 'not UTF-8' } : nameOfPath(change.path, mapping);
        if ('refused' in mapped) {
          refused.set(key, { path: key, reason: mapped.refused });
          continue;
        }
        names.set(key, mapped.name);
      }
      versions++;
    }
  }
  const goneAtTip = [...names].filter(([p]) => !present.has(p)).map(([, name]) => name);
  return {
    source, mapping, commits, versions, names, refused: [...refused.values()], goneAtTip,
    skipped: { symlinks: symlinks.size, submodules: submodules.size },
  };
}

/** Versions whose objects are requested from git before the import takes them. */
const LOOKAHEAD = 64;

/** A version asked for ahead: its commit's and blob's answers are taken when it is yielded. */
interface Ahead {
  name: string;
  meta: () => Promise<GitCommitMeta>;
  blob: PendingObject;
}

/**
 * Every version the plan imports, oldest first, read as it is consumed: `git log` streams the
 * changes and one `git cat-file --batch` process reads each commit (author, date, message) and
 * blob (bytes as they are). Objects are requested up to {@link LOOKAHEAD} versions ahead so
 * git works while the store writes; their bytes are read only when yielded (git's output is
 * held to a bound, see CatFile). Both processes end when the iteration ends, however it ends.
 */
export async function* gitVersions(plan: GitImportPlan, signal?: AbortSignal): AsyncGenerator<ImportVersion> {
  const catFile = new CatFile(plan.source.repo);
  const ahead: Ahead[] = [];
  const next = async (): Promise<ImportVersion> => {
    signal?.throwIfAborted();
    const { name, meta, blob } = ahead.shift() as Ahead;
    const commitMeta = await meta(); // its answer comes before the blob's
    return { name, data: (await blob.take()).data, meta: { ...commitMeta } };
  };
  try {
    for await (const { commit, changes } of firstParentChanges(plan.source.repo, plan.source.tip)) {
      let meta: (() => Promise<GitCommitMeta>) | undefined;
      for (const change of changes) {
        if (change.kind !== 'version' || change.path === undefined) continue;
        const name = plan.names.get(change.path);
        if (name === undefined) continue; // a refused path, left out with --skip-invalid
        if (!meta) {
          const pending = catFile.request(commit);
          let parsed: Promise<GitCommitMeta> | undefined;
          meta = () => (parsed ??= pending.take().then((object) => parseGitCommit(object.data, commit)));
        }
        ahead.push({ name, meta, blob: catFile.request(change.blob) });
        while (ahead.length >= LOOKAHEAD) yield await next();
      }
    }
    while (ahead.length > 0) yield await next();
  } finally {
    await catFile.close();
  }
}
