import { constants } from 'node:fs';
import { access, lstat, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ImportVersion, Meta } from '@gitty/core';
import { CliError } from '../errors.js';
import { nameOfPath, type NameMapping, type RefusedPath } from './names.js';

/** A regular file found in the tree. */
export interface TreeFile {
  /** Relative path, `/`-separated. */
  path: string;
  /** Its gitty name. */
  name: string;
  /** Modification time, seconds (the version's `time`). */
  mtime: number;
  size: number;
}

/** What the import of a directory tree will do, found by walking it before anything is read. */
export interface DirectoryPlan {
  root: string;
  files: TreeFile[];
  refused: RefusedPath[];
  /** What was left out: `.git` folders/files, symbolic links, and sockets, FIFOs or devices. */
  skipped: { git: number; symlinks: number; special: number };
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function readFailed(file: string, err: unknown): CliError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file or folder' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (err as Error).message;
  return new CliError('READ_FAILED', `Cannot read ${file}: ${why}`, 'make it readable (or move it out of the tree); nothing was imported');
}

/**
 * Walk `root` (sorted by name, so imports are reproducible; `root` itself may be a symbolic
 * link to a folder): every regular file is planned,
 * checked readable and named; `.git` entries, symbolic links (never followed, in or out of
 * the tree) and special files are counted and left out. READ_FAILED names the first file or
 * folder that cannot be read.
 */
export async function planDirectoryImport(root: string, mapping: NameMapping): Promise<DirectoryPlan> {
  // The folder given may be a link to one (~/notes → /data/notes); links inside it are not followed.
  const info = await stat(root).catch((err: unknown) => {
    throw readFailed(root, err);
  });
  if (!info.isDirectory()) throw new CliError('READ_FAILED', `${root} is not a folder`, 'give a folder to import (or --git for a git repository)');
  const plan: DirectoryPlan = { root, files: [], refused: [], skipped: { git: 0, symlinks: 0, special: 0 } };
  await walk(root, '', mapping, plan);
  return plan;
}

async function walk(root: string, relative: string, mapping: NameMapping, plan: DirectoryPlan): Promise<void> {
  const folder = path.join(root, relative);
  const entries = await readdir(folder, { withFileTypes: true }).catch((err: unknown) => {
    throw readFailed(folder, err);
  });
  entries.sort((a, b) => byCodeUnit(a.name, b.name));
  for (const entry of entries) {
    const rel = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const full = path.join(root, rel);
    if (entry.name === '.git') plan.skipped.git++;
    else if (entry.isSymbolicLink()) plan.skipped.symlinks++;
    else if (entry.isDirectory()) await walk(root, rel, mapping, plan);
    else if (!entry.isFile()) plan.skipped.special++;
    else {
      const mapped = nameOfPath(rel, mapping);
      if ('refused' in mapped) {
        plan.refused.push({ path: rel, reason: mapped.refused });
        continue;
      }
      const stats = await lstat(full);
      await access(full, constants.R_OK).catch((err: unknown) => {
        throw readFailed(full, err);
      });
      plan.files.push({ path: rel, name: mapped.name, mtime: stats.mtimeMs / 1000, size: stats.size });
    }
  }
}

/**
 * The planned files as first versions, read one at a time as the import consumes them (bytes
 * exactly as on disk). `time` is the file's modification time; `meta` adds author/message.
 * `unchanged(name, bytes)` lets the caller skip a file whose store head holds the same bytes.
 */
export async function* directoryVersions(
  plan: DirectoryPlan,
  meta: Meta,
  unchanged: (name: string, bytes: Uint8Array) => Promise<boolean>,
  skippedUnchanged: { count: number },
  signal?: AbortSignal,
): AsyncGenerator<ImportVersion> {
  for (const file of plan.files) {
    signal?.throwIfAborted();
    const full = path.join(plan.root, file.path);
    const data = await readFile(full).catch((err: unknown) => {
      throw readFailed(full, err);
    });
    if (await unchanged(file.name, data)) {
      skippedUnchanged.count++;
      continue;
    }
    yield { name: file.name, data, meta: { time: file.mtime, ...meta } };
  }
}
