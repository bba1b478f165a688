import type { Store } from '@gitty/core';
import { errorCode } from './workload.js';

/** One commit on a file's chain, as a store returned it. */
export interface ChainLink {
  commit: string;
  name: string;
  previous?: string;
  /** The operation that wrote it (its `op` meta), when it has one. */
  op?: string;
}

/** What the checker needs from one store after the run: heads, chains, fsck and unreadable objects. */
export interface Observation {
  heads: Record<string, string>;
  /** Per file: its chain from the head back to the first version. */
  chains: Record<string, ChainLink[]>;
  /** Problems walking a chain or loading a reachable object (commit or blob). */
  unreadable: string[];
  fsck: { ok: boolean; errors: string[] };
}

/** Every head the driver reports after a rescan, sorted by name. */
export async function readHeads(store: Store): Promise<Record<string, string>> {
  await store.rescan();
  const heads: Record<string, string> = {};
  const entries: Array<{ name: string; head: string }> = [];
  for await (const entry of store.driver.heads()) entries.push(entry);
  for (const { name, head } of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) heads[name] = head;
  return heads;
}

/** Walk every file's chain (loading each commit and blob), then run fsck. */
export async function observe(store: Store): Promise<Observation> {
  const heads = await readHeads(store);
  const chains: Record<string, ChainLink[]> = {};
  const unreadable: string[] = [];
  for (const [name, head] of Object.entries(heads)) {
    const chain: ChainLink[] = [];
    const seen = new Set<string>();
    let hash: string | undefined = head;
    while (hash) {
      if (seen.has(hash)) {
        unreadable.push(`${name}: the chain loops at ${hash}`);
        break;
      }
      seen.add(hash);
      try {
        const version = await store.get(hash);
        const { commit, previous, op } = version.commit;
        chain.push({ commit, name: version.commit.name, ...(previous ? { previous } : {}), ...(typeof op === 'string' ? { op } : {}) });
        hash = previous;
      } catch (err) {
        unreadable.push(`${name}: ${hash} does not load (${errorCode(err)}: ${err instanceof Error ? err.message : String(err)})`);
        break;
      }
    }
    chains[name] = chain;
  }
  let fsck: Observation['fsck'];
  try {
    const report = await store.fsck();
    fsck = { ok: report.ok, errors: report.errors.slice(0, 20).map((e) => JSON.stringify(e)) };
  } catch (err) {
    fsck = { ok: false, errors: [`fsck failed: ${errorCode(err)} ${err instanceof Error ? err.message : String(err)}`] };
  }
  return { heads, chains, unreadable, fsck };
}
