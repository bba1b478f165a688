import { isSwishCommit, stringifyExactJson, type Commit } from '@gitty/core';

/**
 * The JSON the index keeps for a commit: its bytes when they are gitty's canonical JSON; for a
 * SWISH commit (a Prolog dict) the decoded metadata, integers beyond 2^53 written exactly (the
 * index reads them back with `parseExactJson`).
 */
export function indexBody(data: Uint8Array, commit: Commit): string {
  if (!isSwishCommit(data)) return new TextDecoder().decode(data);
  const { commit: _hash, ...stored } = commit;
  return stringifyExactJson(stored);
}
