import { createTwoFilesPatch } from 'diff';
import type { Commit } from './commit-codec.js';

/** The difference between two versions: unified diff of the data, tags added and deleted. */
export interface CommitDiff {
  from: Commit | null;
  to: Commit;
  /** True when `to` is a file's first version and no `from` was given. */
  initial?: true;
  /** Unified diff of the data (empty string when equal; a note when either side is binary). */
  data: string;
  tags: { added: string[]; deleted: string[] };
  /** True when either side is not UTF-8 text; `data` then only says whether they differ. */
  binary?: true;
}

function tagsOf(commit: Commit | null): string[] {
  const tags = commit?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

function asText(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compute the diff between two versions given their commits and data. */
export function diffVersions(
  from: { commit: Commit; data: Uint8Array } | null,
  to: { commit: Commit; data: Uint8Array },
): CommitDiff {
  const fromTags = new Set(tagsOf(from?.commit ?? null));
  const toTags = new Set(tagsOf(to.commit));
  const tags = {
    added: [...toTags].filter((t) => !fromTags.has(t)),
    deleted: [...fromTags].filter((t) => !toTags.has(t)),
  };
  const fromData = from?.data ?? new Uint8Array(0);
  const fromText = asText(fromData);
  const toText = asText(to.data);
  const base = { from: from?.commit ?? null, to: to.commit, tags };
  if (fromText === undefined || toText === undefined) {
    const data = sameBytes(fromData, to.data) ? '' : `Binary versions ${from?.commit.commit ?? '(none)'} and ${to.commit.commit} differ\n`;
    return { ...base, data, binary: true };
  }
  const data = fromText === toText
    ? ''
    : createTwoFilesPatch(
      from ? `${from.commit.name}@${from.commit.commit.slice(0, 10)}` : '/dev/null',
      `${to.commit.name}@${to.commit.commit.slice(0, 10)}`,
      fromText,
      toText,
      undefined,
      undefined,
      { context: 3 },
    );
  return { ...base, data };
}
