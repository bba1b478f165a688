import { encodeCommit, hashObject } from '@gitty/core';

/** One version of one file, with the exact objects the Store writes for it. */
export interface GeneratedVersion {
  name: string;
  /** 0 for the first version. */
  index: number;
  text: string;
  bytes: Uint8Array;
  /** Seconds; given to the Store as `meta.time`, so commit bodies are reproducible. */
  time: number;
  blobHash: string;
  commitBody: Uint8Array;
  commitHash: string;
  previous: string | undefined;
}

/** N files × V versions; `versions` is file-major (each file's versions consecutive). */
export interface DataSet {
  files: number;
  versionsPerFile: number;
  seed: number;
  names: string[];
  versions: GeneratedVersion[];
  /** Each file's versions, oldest first. */
  byFile: GeneratedVersion[][];
}

/** mulberry32 from the shared harness: the same seed gives the same data on every machine. */
import { seededRandom } from '@gitty/driver-test/harness';

export { seededRandom };

const WORDS = [
  'append', 'member', 'length', 'format', 'writeln', 'findall', 'between', 'succ', 'nth0', 'msort',
  'maplist', 'foldl', 'assertz', 'retract', 'atom_codes', 'sub_atom', 'string_concat', 'split_string',
  'number', 'list', 'tree', 'node', 'leaf', 'left', 'right', 'value', 'key', 'acc', 'rest', 'head',
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** One line of Prolog-looking text, 30–60 characters. */
function line(random: () => number): string {
  const name = pick(random, WORDS);
  const args = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, ['X', 'Y', 'Z', 'Acc', 'T', 'H']));
  const body = Array.from({ length: 1 + Math.floor(random() * 2) }, () => `${pick(random, WORDS)}(${pick(random, ['X', 'Y', 'T'])})`);
  return `${name}(${args.join(', ')}) :- ${body.join(', ')}.`;
}

/** A first version of about `targetBytes` bytes. */
function firstText(random: () => number, targetBytes: number): string[] {
  const lines: string[] = [];
  let size = 0;
  while (size < targetBytes) {
    const l = line(random);
    lines.push(l);
    size += l.length + 1;
  }
  return lines;
}

/** A small edit: change a line, insert one, or delete one (never below 10 lines). */
function edit(random: () => number, lines: string[]): string[] {
  const next = [...lines];
  const at = Math.floor(random() * next.length);
  const kind = random();
  if (kind < 0.6) next[at] = line(random);
  else if (kind < 0.8 || next.length < 10) next.splice(at, 0, line(random));
  else next.splice(at, 1);
  return next;
}

/** The file name of file `i`. */
export function fileName(i: number): string {
  return `file-${String(i).padStart(6, '0')}.pl`;
}

const EPOCH = 1_700_000_000;

/** Generate the versions of file number `f` from `random` (see {@link generateDataSet}). */
export function generateFile(random: () => number, f: number, versions: number, textBytes = 1400): GeneratedVersion[] {
  const encoder = new TextEncoder();
  const name = fileName(f);
  let lines = firstText(random, textBytes);
  let previous: string | undefined;
  const history: GeneratedVersion[] = [];
  for (let v = 0; v < versions; v++) {
    if (v > 0) lines = edit(random, lines);
    const text = `${lines.join('\n')}\n`;
    const bytes = encoder.encode(text);
    const time = EPOCH + f * versions + v;
    const blobHash = hashObject('blob', bytes);
    const meta: Record<string, string | number> = { name, data: blobHash, time };
    if (previous) meta.previous = previous;
    const commitBody = encodeCommit(meta);
    const commitHash = hashObject('commit', commitBody);
    history.push({ name, index: v, text, bytes, time, blobHash, commitBody, commitHash, previous });
    previous = commitHash;
  }
  return history;
}

/**
 * Generate `files` × `versions` versions of ~1.4 KB text, each a small seeded edit of the
 * previous, with the blob and commit objects the Store will write for them (same hashes).
 */
export function generateDataSet(files: number, versions: number, seed: number, textBytes = 1400): DataSet {
  const random = seededRandom(seed);
  const byFile = Array.from({ length: files }, (_, f) => generateFile(random, f, versions, textBytes));
  return { files, versionsPerFile: versions, seed, names: byFile.map((h) => h[0]!.name), versions: byFile.flat(), byFile };
}

/** The first `files` files of a data set, as a data set of their own. */
export function subset(data: DataSet, files: number): DataSet {
  const byFile = data.byFile.slice(0, files);
  return { ...data, files: byFile.length, names: data.names.slice(0, files), byFile, versions: byFile.flat() };
}

/** Every object of a data set (blob and commit per version), deduplicated, in write order. */
export function objectsOf(data: DataSet): { hash: string; type: 'blob' | 'commit'; body: Uint8Array; name: string }[] {
  const seen = new Set<string>();
  const out: { hash: string; type: 'blob' | 'commit'; body: Uint8Array; name: string }[] = [];
  for (const v of data.versions) {
    if (!seen.has(v.blobHash)) {
      seen.add(v.blobHash);
      out.push({ hash: v.blobHash, type: 'blob', body: v.bytes, name: v.name });
    }
    if (!seen.has(v.commitHash)) {
      seen.add(v.commitHash);
      out.push({ hash: v.commitHash, type: 'commit', body: v.commitBody, name: v.name });
    }
  }
  return out;
}
