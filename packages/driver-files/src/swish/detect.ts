import { closeSync, readSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { InvalidConfigError } from '@gitty/core';
import { isMissing, openIfExists } from '../fs-sync.js';

/** The on-disk layouts the files and packs drivers read and write. */
export type StoreFormat = 'git' | 'swish';

function firstBytes(file: string, length: number): string | undefined {
  const fd = openIfExists(file);
  if (fd === undefined) return undefined;
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0)).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function entries(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/**
 * Which formats a folder shows signs of: git's (`objects/`, a JSON head log) and SWISH's
 * (`ab/` object folders or `pack/` in the folder itself, a Prolog head log). A new or empty
 * folder shows none.
 */
export function detectFormats(dir: string): Set<StoreFormat> {
  const found = new Set<StoreFormat>();
  const names = entries(dir);
  if (names.includes('objects') && statSync(path.join(dir, 'objects'), { throwIfNoEntry: false })?.isDirectory()) found.add('git');
  if (names.some((n) => /^[0-9a-f]{2}$/.test(n)) || entries(path.join(dir, 'pack')).some((n) => n.endsWith('.pack'))) found.add('swish');
  const log = firstBytes(path.join(dir, 'ref', 'head'), 64)?.trimStart();
  if (log?.startsWith('{')) found.add('git');
  else if (log?.startsWith('epoch(') || log?.startsWith('head(')) found.add('swish');
  return found;
}

/**
 * The format to open `dir` in: the one asked for, else the one detected, else git's. A folder
 * never mixes formats: INVALID_CONFIG when it already holds the other format, or both.
 */
export function resolveStoreFormat(dir: string, asked: StoreFormat | undefined): StoreFormat {
  const found = detectFormats(dir);
  if (found.size > 1) throw new InvalidConfigError(`${dir} holds both a git-format and a SWISH-format store; a folder never mixes formats — move one of them out`);
  const [detected] = found;
  if (asked !== undefined && detected !== undefined && asked !== detected) {
    throw new InvalidConfigError(`${dir} is a ${detected === 'swish' ? 'SWISH' : 'git'}-format store; format "${asked}" would mix formats in one folder — use format "${detected}" or another folder`);
  }
  return asked ?? detected ?? 'git';
}
