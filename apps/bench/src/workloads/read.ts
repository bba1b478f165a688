import { openStore, type Store } from '@gitty/core';
import type { BenchContext } from '../context.js';
import { seededRandom, type DataSet } from '../data.js';
import { openRowStore, type DriverRow } from '../drivers.js';
import { interleave, timed } from '../measure.js';
import { CatFileBatch } from '../peers/git.js';
import { gitPeerRepos } from '../peers/git-repos.js';
import { IsomorphicGitPeer } from '../peers/isomorphic-git.js';
import type { Row } from '../report.js';
import { repackBuilt } from './disk.js';
import { comparedRow, missingRows, reasonOf } from './rows.js';

const ISO = 'isomorphic-git';
const CAT_LOOSE = 'git cat-file --batch (loose)';
const CAT_PACKED = 'git cat-file --batch (packed)';

/** The random requests of one round, the same for every subject. */
interface ReadPlan {
  heads: { name: string; commit: string }[];
  old: string[];
  histories: { name: string; commit: string }[];
  objects: string[];
}

function plan(data: DataSet, count: number, round: number): ReadPlan {
  const random = seededRandom(data.seed * 1000 + round);
  const file = () => data.byFile[Math.floor(random() * data.byFile.length)]!;
  const heads = Array.from({ length: count }, () => {
    const versions = file();
    const head = versions[versions.length - 1]!;
    return { name: head.name, commit: head.commitHash };
  });
  const old = Array.from({ length: count }, () => {
    const versions = file();
    return versions[Math.floor(random() * Math.max(1, versions.length - 1))]!.commitHash;
  });
  const histories = heads.slice(0, Math.max(1, Math.floor(count / 10)));
  const objects = Array.from({ length: count }, () => {
    const v = file()[Math.floor(random() * data.versionsPerFile)]!;
    return random() < 0.5 ? v.blobHash : v.commitHash;
  });
  return { heads, old, histories, objects };
}

type Metric = 'head get' | 'old get' | 'history 20' | 'object load';
const METRICS: Metric[] = ['head get', 'old get', 'history 20', 'object load'];

function countOf(p: ReadPlan, metric: Metric): number {
  return metric === 'head get' ? p.heads.length : metric === 'old get' ? p.old.length : metric === 'history 20' ? p.histories.length : p.objects.length;
}

async function readWithStore(store: Store, p: ReadPlan, metric: Metric): Promise<void> {
  if (metric === 'head get') for (const h of p.heads) await store.get(h.name);
  else if (metric === 'old get') for (const hash of p.old) await store.get(hash);
  else if (metric === 'history 20') for (const h of p.histories) await store.history(h.name, { depth: 20 });
  else for (const hash of p.objects) await store.load(hash);
}

function commitField(body: Uint8Array, key: 'data' | 'previous'): string | undefined {
  return (JSON.parse(new TextDecoder().decode(body)) as Record<string, string | undefined>)[key];
}

// isomorphic-git knows no names: it is given each head's hash (as a ref cache would) and then
// does what get/history do, reading the commit to find the blob or the previous commit.
async function readWithIso(iso: IsomorphicGitPeer, p: ReadPlan, metric: Metric): Promise<void> {
  const getVersion = async (commit: string) => iso.read(commitField(await iso.read(commit), 'data')!);
  if (metric === 'head get') for (const h of p.heads) await getVersion(h.commit);
  else if (metric === 'old get') for (const hash of p.old) await getVersion(hash);
  else if (metric === 'history 20') {
    for (const h of p.histories) {
      let next: string | undefined = h.commit;
      for (let depth = 0; next && depth < 20; depth++) next = commitField(await iso.read(next), 'previous');
    }
  } else for (const hash of p.objects) await iso.read(hash);
}

/**
 * Read: head `get(name)`, `get(hash)` of old versions, `history(depth 20)` and raw object loads,
 * per second, on each driver's store holding the whole data set (packs drivers after a repack),
 * against isomorphic-git `readObject` with a shared cache and `git cat-file --batch`.
 */
export async function readWorkload(ctx: BenchContext): Promise<Row[]> {
  const repos = await gitPeerRepos(ctx);
  const packed = new Set<string>();
  const usable: DriverRow[] = [];
  const failures = new Map<string, string>();
  // files-fsync reads exactly as files does (fsync only changes writes): measured once, under files.
  for (const row of ctx.drivers.filter((d) => d.id !== 'files-fsync')) {
    try {
      await ctx.builtStore(row);
      if (row.persistent && (await repackBuilt(ctx, row))) packed.add(row.id);
      usable.push(row);
    } catch (err) {
      failures.set(row.id, reasonOf(err));
    }
  }
  const rows: Row[] = [];
  for (const metric of METRICS) {
    const subjects = [...usable.map((r) => r.id), ISO, ...(metric === 'object load' ? [CAT_LOOSE, CAT_PACKED] : [])];
    ctx.log(`read: ${metric}, ${subjects.length} subjects × ${ctx.options.rounds} rounds`);
    const measure = async (subject: string, round: number): Promise<number> => {
      const p = plan(ctx.data, ctx.options.reads, round);
      const row = usable.find((r) => r.id === subject);
      let ms: number;
      if (row) {
        const built = await ctx.builtStore(row);
        const store = built.openStore ? await openStore(built.openStore.driver) : await openRowStore(row, built.place);
        try {
          ms = await timed(() => readWithStore(store, p, metric));
        } finally {
          if (!built.openStore) await store.close();
        }
      } else if (subject === ISO) {
        const iso = new IsomorphicGitPeer(repos.loose);
        ms = await timed(() => readWithIso(iso, p, metric));
      } else {
        const batch = new CatFileBatch(subject === CAT_LOOSE ? repos.loose : repos.packed);
        try {
          await batch.read(p.objects.slice(0, 1)); // the process is up before the clock starts
          ms = await timed(() => batch.read(p.objects));
        } finally {
          await batch.close();
        }
      }
      return countOf(p, metric) / (ms / 1000);
    };
    const values = await interleave(subjects, ctx.options.rounds, measure, (subject, err) => failures.set(subject, reasonOf(err)));
    const unit = 'ops/s';
    for (const row of usable) {
      const note = failures.has(row.id) ? `failed: ${failures.get(row.id)}` : packed.has(row.id) ? 'after repack' : undefined;
      const goal = metric === 'head get' && row.id === 'files' ? { text: '≥ 5× isomorphic-git', on: 'ratio' as const, op: '>=' as const, target: 5 } : undefined;
      rows.push(comparedRow('read', values, row.id, ISO, metric, unit, { goal, note }));
      // Packed reads against loose ones of the same data: old versions must not get slower for
      // being packed (their deltas resolve through the base cache), and heads stay whole.
      if (row.id === 'packs' && (metric === 'old get' || metric === 'head get') && usable.some((r) => r.id === 'files')) {
        const filesGoal = metric === 'old get' ? { text: '≥ 1× files', on: 'ratio' as const, op: '>=' as const, target: 1 } : undefined;
        rows.push(comparedRow('read', values, row.id, 'files', metric, unit, { goal: filesGoal, note }));
      }
      if (metric === 'object load') {
        const peer = packed.has(row.id) ? CAT_PACKED : CAT_LOOSE;
        const catGoal = row.id === 'packs' ? { text: '≥ 0.5× git cat-file --batch', on: 'ratio' as const, op: '>=' as const, target: 0.5 } : undefined;
        rows.push(comparedRow('read', values, row.id, peer, metric, unit, { goal: catGoal, note }));
      }
    }
    for (const [id, reason] of failures) {
      if (!usable.some((r) => r.id === id) && ctx.drivers.some((r) => r.id === id)) {
        rows.push({ workload: 'read', subject: id, metric, unit, value: null, note: `failed: ${reason}` });
      }
    }
    if (metric === 'head get') rows.push(...missingRows(ctx, 'read', 'all reads', unit));
    rows.push(comparedRow('read', values, ISO, undefined, metric, unit, { note: 'readObject, shared cache' }));
    if (metric === 'object load') {
      rows.push(comparedRow('read', values, CAT_LOOSE, ISO, metric, unit, { note: 'pipelined' }));
      rows.push(comparedRow('read', values, CAT_PACKED, ISO, metric, unit, { note: 'pipelined' }));
    }
  }
  return rows;
}
