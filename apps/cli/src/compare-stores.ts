import type { ProgressListener, Store } from '@gitty/core';

/** What {@link compareStores} found. `identical` is true when every other list is empty. */
export interface Comparison {
  identical: boolean;
  files: number;
  versions: number;
  onlyInA: string[];
  onlyInB: string[];
  /** Files whose heads differ. */
  differ: { name: string; a: string; b: string }[];
  /** Objects of a shared history that one side lacks. */
  missing: { side: 'a' | 'b'; name: string; hash: string }[];
}

/**
 * Compare two stores: the same file names, the same heads, and (unless `quick`) every commit
 * and blob of every shared history present on both sides. Equal heads mean equal histories,
 * because a commit's hash covers its previous commit's hash.
 */
export async function compareStores(a: Store, b: Store, options: { quick?: boolean; onProgress?: ProgressListener } = {}): Promise<Comparison> {
  const headsA = new Map<string, string>();
  const headsB = new Map<string, string>();
  for await (const { name, head } of a.driver.heads()) headsA.set(name, head);
  for await (const { name, head } of b.driver.heads()) headsB.set(name, head);
  const result: Comparison = { identical: true, files: 0, versions: 0, onlyInA: [], onlyInB: [], differ: [], missing: [] };
  const names = [...new Set([...headsA.keys(), ...headsB.keys()])].sort();
  let done = 0;
  for (const name of names) {
    const ha = headsA.get(name);
    const hb = headsB.get(name);
    if (ha === undefined) result.onlyInB.push(name);
    else if (hb === undefined) result.onlyInA.push(name);
    else if (ha !== hb) result.differ.push({ name, a: ha, b: hb });
    else {
      result.files++;
      if (!options.quick) {
        for await (const commit of a.walk(ha)) {
          result.versions++;
          for (const hash of [commit.commit, commit.data]) {
            if (!(await b.has(hash))) result.missing.push({ side: 'b', name, hash });
          }
          if (!(await a.has(commit.data))) result.missing.push({ side: 'a', name, hash: commit.data });
        }
      }
    }
    options.onProgress?.({ phase: 'files', done: ++done, total: names.length });
  }
  result.identical = result.onlyInA.length + result.onlyInB.length + result.differ.length + result.missing.length === 0;
  return result;
}
