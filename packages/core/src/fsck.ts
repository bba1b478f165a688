import { decodeCommit, type Commit } from './commit-codec.js';
import type { Driver, FsckIssue, ProgressListener } from './driver.js';
import { isGittyError } from './errors.js';

/** The result of `Store.fsck`. `ok` is true when `errors` is empty. */
export interface FsckReport {
  ok: boolean;
  errors: FsckIssue[];
  counts: { objects: number; commits: number; blobs: number; other: number; heads: number; corrupt: number };
}

/**
 * Check a store: every object re-hashed, every commit's data and previous present, every head
 * pointing at a commit of its own name, plus the driver's own checks (packs, index).
 */
export async function runFsck(driver: Driver, onProgress?: ProgressListener): Promise<FsckReport> {
  const errors: FsckIssue[] = [];
  const counts = { objects: 0, commits: 0, blobs: 0, other: 0, heads: 0, corrupt: 0 };
  const commits = new Map<string, Commit>();
  const present = new Set<string>();

  for await (const hash of driver.objects()) {
    counts.objects++;
    if (counts.objects % 1000 === 0) onProgress?.({ phase: 'objects', done: counts.objects });
    try {
      const object = await driver.loadObject(hash);
      if (!object) continue; // removed meanwhile (gc, repack in another process)
      present.add(hash);
      if (object.type === 'commit') {
        counts.commits++;
        try {
          commits.set(hash, decodeCommit(object.data, hash));
        } catch (err) {
          errors.push({ code: 'BAD_COMMIT', hash, message: err instanceof Error ? err.message : String(err) });
        }
      } else if (object.type === 'blob') counts.blobs++;
      else counts.other++;
    } catch (err) {
      counts.corrupt++;
      present.add(hash);
      errors.push({
        code: isGittyError(err) ? err.code : 'READ_ERROR',
        hash,
        message: err instanceof Error ? err.message : String(err),
      });
    }
  }
  onProgress?.({ phase: 'objects', done: counts.objects, total: counts.objects });

  const exists = async (hash: string) => present.has(hash) || (await driver.hasObject(hash));
  for (const commit of commits.values()) {
    if (!(await exists(commit.data))) {
      errors.push({ code: 'MISSING_OBJECT', hash: commit.commit, name: commit.name, message: `commit ${commit.commit} of "${commit.name}" lacks its data ${commit.data}` });
    }
    if (commit.previous !== undefined && !(await exists(commit.previous))) {
      errors.push({ code: 'MISSING_OBJECT', hash: commit.commit, name: commit.name, message: `commit ${commit.commit} of "${commit.name}" lacks its previous ${commit.previous}` });
    } else if (commit.previous !== undefined) {
      const prev = commits.get(commit.previous);
      if (prev && prev.name !== commit.name) {
        errors.push({ code: 'BAD_COMMIT', hash: commit.commit, name: commit.name, message: `previous ${commit.previous} belongs to "${prev.name}"` });
      }
    }
  }

  for await (const { name, head } of driver.heads()) {
    counts.heads++;
    const commit = commits.get(head);
    if (!commit) {
      const message = (await exists(head)) ? `head of "${name}" (${head}) is not a readable commit` : `head of "${name}" (${head}) is missing`;
      errors.push({ code: 'BAD_HEAD', hash: head, name, message });
    } else if (commit.name !== name) {
      errors.push({ code: 'BAD_HEAD', hash: head, name, message: `head of "${name}" is a commit of "${commit.name}"` });
    }
  }

  if (driver.fsck) errors.push(...(await driver.fsck({ onProgress })));
  return { ok: errors.length === 0, errors, counts };
}
