import { TextDecoder } from 'node:util';
import type { Meta } from '@gitty/core';
import { CliError } from '../errors.js';

/** What `gitty import --git` keeps of a git commit, as gitty metadata. */
export interface GitCommitMeta extends Meta {
  /** The git author's name. */
  author: string;
  /** The git author's e-mail address (without the angle brackets). */
  email: string;
  /** The author date, seconds since the epoch (git's time zone is not kept). */
  time: number;
  /** The commit message as git stores it, without its final newline. */
  commit_message: string;
}

function decoderFor(label: string | undefined): TextDecoder {
  try {
    return new TextDecoder(label ?? 'utf-8');
  } catch {
    return new TextDecoder('utf-8'); // an encoding header Node does not know: read it as UTF-8
  }
}

/**
 * Parse a raw commit object: its `author` header and message, decoded with the commit's
 * `encoding` header (UTF-8 when absent, as git assumes).
 */
export function parseGitCommit(raw: Uint8Array, hash: string): GitCommitMeta {
  const bytes = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const split = bytes.indexOf('\n\n');
  const headerBytes = split === -1 ? bytes : bytes.subarray(0, split);
  const encoding = /^encoding (.+)$/m.exec(headerBytes.toString('latin1'))?.[1];
  const decoder = decoderFor(encoding);
  const header = decoder.decode(headerBytes);
  const message = split === -1 ? '' : decoder.decode(bytes.subarray(split + 2));
  const authorLine = header.split('\n').find((line) => line.startsWith('author '));
  // "author Name <email> 1700000000 +0100"; the name may itself hold "<", the e-mail not ">".
  const parsed = authorLine === undefined ? null : /^author (.*?) ?<([^<>]*)> (-?\d+) [+-]\d{4}$/.exec(authorLine);
  if (!parsed) throw new CliError('GIT_FAILED', `git commit ${hash} has no readable author line: ${JSON.stringify(authorLine ?? '')}`);
  return {
    author: parsed[1] as string,
    email: parsed[2] as string,
    time: Number(parsed[3]),
    commit_message: message.endsWith('\n') ? message.slice(0, -1) : message,
  };
}
