import { GitChild, nulFields } from './git-process.js';

/** What one commit of the first-parent history did to one path, as an import sees it. */
export type GitChange =
  /** A regular file got new content (added, modified, or turned from a link into a file). */
  | { kind: 'version'; path: string | undefined; raw: Buffer; blob: string }
  /** A regular file went away (deleted, renamed away, or turned into a link or submodule). */
  | { kind: 'gone'; path: string | undefined; raw: Buffer }
  /** A symbolic link or submodule entry changed (never imported), or only a file's mode did. */
  | { kind: 'skipped'; path: string | undefined; raw: Buffer; what: 'symlink' | 'submodule' | 'mode' };

/** A commit on the first-parent line and its changes against its first parent (in path order). */
export interface GitCommitChanges {
  commit: string;
  changes: GitChange[];
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A path's bytes as text; undefined when they are not UTF-8 (such a path makes no name). */
export function decodePath(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

// Regular files are 100644 and 100755 (old trees may hold 100664); links 120000, submodules 160000.
const isRegular = (mode: string) => mode.startsWith('100');

function classify(meta: string, raw: Buffer): GitChange {
  // ":<old mode> <new mode> <old blob> <new blob> <status>"
  const [oldMode = '', newMode = '', oldBlob = '', newBlob = ''] = meta.slice(1).split(' ');
  const path = decodePath(raw);
  if (isRegular(newMode)) {
    // A mode change alone (chmod +x) keeps the content: no new version.
    if (isRegular(oldMode) && oldBlob === newBlob) return { kind: 'skipped', path, raw, what: 'mode' };
    return { kind: 'version', path, raw, blob: newBlob };
  }
  if (isRegular(oldMode)) return { kind: 'gone', path, raw };
  return { kind: 'skipped', path, raw, what: newMode === '160000' || oldMode === '160000' ? 'submodule' : 'symlink' };
}

/**
 * Every commit of the first-parent history of `tip`, oldest first, with what it changed
 * against its first parent — one `git log` process read as a stream (`--raw -z --no-renames`:
 * a rename is a deletion and an addition; a merge is diffed against its first parent only).
 */
export async function* firstParentChanges(repo: string, tip: string): AsyncGenerator<GitCommitChanges> {
  const git = new GitChild(repo, [
    // --root: the first commit's files as additions even where log.showRoot is off.
    'log', '--first-parent', '--reverse', '--diff-merges=first-parent', '--root', '--raw', '-z', '--no-renames', '--no-abbrev',
    '--no-color', '--no-show-signature', '--no-ext-diff', '--format=%H', tip, '--',
  ]);
  git.process.stdin.end();
  let current: GitCommitChanges | undefined;
  let pendingMeta: string | undefined;
  let completed = false;
  try {
    for await (const field of nulFields(git.process.stdout)) {
      if (pendingMeta !== undefined) {
        current?.changes.push(classify(pendingMeta, field));
        pendingMeta = undefined;
        continue;
      }
      // A raw entry follows the commit line's newline; the path after it is the next field.
      const text = field.toString('latin1').replace(/^\n/, '');
      if (text.startsWith(':')) {
        pendingMeta = text;
      } else {
        if (current) yield current;
        current = { commit: text.trim(), changes: [] };
      }
    }
    if (current) yield current;
    completed = true;
    await git.finished();
  } finally {
    if (!completed) await git.stop();
  }
}
