import { decodeCommit, type Driver } from '@gitty/core';

const LIMIT = 200_000;
const REFERENCE = /"(data|previous)":"([0-9a-f]{40})"/g;

/**
 * Hashes this node has reason to believe exist somewhere: announced in the stream, a head, or
 * referenced by a commit read here. A local miss of such a hash is fetched from a peer; any
 * other miss is an ordinary "absent". Bounded: the oldest entries are forgotten first (current
 * heads are asked about separately, so they are never forgotten).
 */
export class KnownObjects {
  private readonly hashes = new Set<string>();
  // Insertion order in a ring: evicting through the Set's own iteration order would skip over
  // every earlier deletion's hole each time (quadratic once the limit is reached).
  private readonly ring: string[] = [];
  private next = 0;

  constructor(private readonly limit = LIMIT) {}

  add(hash: string): void {
    if (this.hashes.has(hash)) return;
    this.hashes.add(hash);
    if (this.ring.length < this.limit) {
      this.ring.push(hash);
      return;
    }
    const evicted = this.ring[this.next]!;
    this.ring[this.next] = hash;
    this.next = (this.next + 1) % this.limit;
    if (evicted !== hash) this.hashes.delete(evicted);
  }

  has(hash: string): boolean {
    return this.hashes.has(hash);
  }

  delete(hash: string): void {
    this.hashes.delete(hash);
  }

  /** Remember the blob and previous commit a commit body names (canonical JSON, so a scan suffices). */
  addReferences(commitBody: Uint8Array): void {
    const text = Buffer.from(commitBody.buffer, commitBody.byteOffset, commitBody.byteLength).toString('utf8');
    for (const match of text.matchAll(REFERENCE)) this.add(match[2]!);
  }
}

/**
 * Fetch a head's missing commits and blobs, walking back its history until a commit this node
 * already has (whose ancestors it then has too). Failures are left for a later read to retry.
 */
export async function ensureHeadObjects(
  head: string, inner: Pick<Driver, 'hasObject' | 'loadObject'>, fetch: (hash: string) => Promise<void>, known: KnownObjects,
): Promise<void> {
  try {
    let commit: string | undefined = head;
    while (commit && !(await inner.hasObject(commit))) {
      await fetch(commit);
      const object = await inner.loadObject(commit);
      if (object?.type !== 'commit') return;
      known.addReferences(object.data);
      const { data, previous } = decodeCommit(object.data, commit);
      if (typeof data === 'string' && !(await inner.hasObject(data))) await fetch(data);
      commit = typeof previous === 'string' ? previous : undefined;
    }
  } catch {
    // OBJECT_UNAVAILABLE now; a later read asks the peers again.
  }
}

const DELEGATED = ['objectTime', 'repack', 'unpack', 'reindex', 'prune', 'fsck', 'queryFiles', 'queryHistory', 'search'] as const;

/**
 * Give `outer` the inner driver's optional methods (maintenance, indexes, object times), each
 * refusing with CLOSED after close; only those the inner driver has, so capability checks hold.
 */
export function delegateOptional(outer: Driver, inner: Driver, check: () => void): void {
  const target = outer as unknown as Record<string, unknown>;
  const source = inner as unknown as Record<string, unknown>;
  for (const method of DELEGATED) {
    const fn = source[method];
    if (typeof fn !== 'function') continue;
    target[method] = async (...args: unknown[]) => {
      check();
      return (fn as (...a: unknown[]) => unknown).apply(inner, args);
    };
  }
}
