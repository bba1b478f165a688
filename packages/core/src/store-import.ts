import { updateHeads, openObjectBatch } from './batch-writes.js';
import { carryOverMeta, encodeCommit, type Commit, type Meta } from './commit-codec.js';
import type { Driver, HeadChange, HeadUpdateResult, ProgressListener } from './driver.js';
import {
  ImportAbortedError, ImportConflictError, InvalidArgumentError, type ImportConflict,
} from './errors.js';
import { hashObject } from './hash.js';
import { assertMetaTypes } from './meta-check.js';
import { assertName } from './names.js';
import { assertObjectSize } from './object-codec.js';

/** One version given to `Store.import`. */
export interface ImportVersion {
  /** The file name (validated as `create` does). */
  name: string;
  /** The version's data: a string (stored as UTF-8) or bytes. */
  data: string | Uint8Array;
  /**
   * Commit metadata as `create` and `update` take it (author, time, commit_message, tags, …);
   * carried over from the file's previous version as `update` does. `previous` is refused: the
   * import chains versions itself.
   */
  meta?: Meta;
}

/** Options of `Store.import`. */
export interface ImportOptions {
  /** Progress, phase `import`: `done` versions of `total` (known when an array is given). */
  onProgress?: ProgressListener;
  /** Stops the import at the next version, or before heads are switched (ABORTED). */
  signal?: AbortSignal;
}

/** What an import did. */
export interface ImportReport {
  /** Versions imported. */
  versions: number;
  /** Distinct files they belong to. */
  files: number;
  /** Objects newly stored (blobs and commits the store did not hold yet). */
  objects: number;
  /** Each imported file's new head. */
  heads: Record<string, string>;
}

/** What the import needs of its Store. */
export interface ImportTarget {
  driver: Driver;
  maxObjectSize: number;
  /** A commit by hash (through the store's cache). */
  commit(hash: string): Promise<Commit>;
  /** Tell the store's listeners about a head this import moved. */
  emitLocal(change: HeadChange): void;
}

/** Where one file of the import stands. */
interface FileImport {
  /** Its head when the import first met it: the CAS's expected value. */
  expected: string | null;
  /** Its newest imported commit (or `expected` before the first). */
  tip: string | null;
  /** The commit metadata is carried over from. */
  base: Commit | undefined;
  versions: number;
}

const PROGRESS_EVERY = 250;

function toBytes(data: unknown): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  if (data instanceof Uint8Array) return data;
  throw new InvalidArgumentError('import: data must be a string or a Uint8Array');
}

/**
 * `Store.import`: objects first, heads last.
 * 1. Each version is validated, its blob and commit encoded exactly as `create`/`update` would
 *    (carried-over metadata, `previous` = the file's previous version in the batch, or the
 *    file's head when the import first meets the name) and added to one object batch.
 * 2. The batch is committed (made durable and visible) — no head moved yet, so a failure or a
 *    crash up to here leaves only orphans for gc.
 * 3. Every file's head moves from the head it was read at to its last version, by one batched
 *    CAS per file: all-or-nothing per file. Files whose head moved meanwhile are left at that
 *    head and reported together in an ImportConflictError (code NOT_AT_HEAD), with the tips of
 *    their stored versions; every other file is switched.
 */
export async function importVersions(
  target: ImportTarget,
  versions: AsyncIterable<ImportVersion> | Iterable<ImportVersion>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const { driver, maxObjectSize } = target;
  const { signal, onProgress } = options;
  const total = Array.isArray(versions) ? versions.length : undefined;
  const aborted = (applied: Record<string, string> = {}) => new ImportAbortedError(applied, { cause: signal?.reason });
  if (signal?.aborted) throw aborted();
  // Heads are read fresh when a name is first met, not from a throttled cache.
  await driver.rescan();
  const files = new Map<string, FileImport>();
  let count = 0;
  let objects = 0;
  const batch = await openObjectBatch(driver, { onProgress, signal });
  try {
    for await (const version of versions) {
      if (signal?.aborted) throw aborted();
      if (typeof version !== 'object' || version === null) throw new InvalidArgumentError('import: each version must be an object { name, data, meta? }');
      const { name, meta = {} } = version;
      assertName(name);
      const bytes = toBytes(version.data);
      assertMetaTypes(meta);
      if (Object.prototype.hasOwnProperty.call(meta, 'previous') && meta.previous !== undefined) {
        throw new InvalidArgumentError(`import of "${name}": meta.previous is not accepted (versions chain in iteration order, the first onto the file's head)`);
      }
      assertObjectSize(bytes.length, maxObjectSize);
      let file = files.get(name);
      if (!file) {
        const head = (await driver.getHead(name)) ?? null;
        file = { expected: head, tip: head, base: head === null ? undefined : await target.commit(head), versions: 0 };
        files.set(name, file);
      }
      const dataHash = hashObject('blob', bytes);
      const time = meta.time;
      const stored: Meta = {
        ...carryOverMeta(file.base, meta), name, data: dataHash,
        time: typeof time === 'number' && Number.isFinite(time) ? time : Date.now() / 1000,
      };
      if (file.tip !== null) stored.previous = file.tip;
      const body = encodeCommit(stored, driver.commitFormat);
      assertObjectSize(body.length, maxObjectSize);
      const commitHash = hashObject('commit', body);
      await batch.add(dataHash, 'blob', bytes);
      await batch.add(commitHash, 'commit', body);
      file.base = { ...stored, commit: commitHash } as Commit;
      file.tip = commitHash;
      file.versions++;
      count++;
      if (count % PROGRESS_EVERY === 0) {
        onProgress?.({ phase: 'import', done: count, total });
        // Drivers may write synchronously: let signal handlers (Ctrl-C → abort) and timers run.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    if (signal?.aborted) throw aborted();
    objects = (await batch.commit()).objects;
  } catch (err) {
    await batch.abort().catch(() => undefined);
    // A driver's own ABORTED (a pack not installed) becomes the import's, with `applied`.
    if (signal?.aborted && !(err instanceof ImportAbortedError)) throw aborted();
    throw err;
  }
  if (signal?.aborted) throw aborted();

  const changes: HeadChange[] = [];
  for (const [name, file] of files) if (file.tip !== null && file.tip !== file.expected) changes.push({ name, old: file.expected, new: file.tip });
  const applied: Record<string, string> = {};
  const onResult = (result: HeadUpdateResult) => {
    if (!result.applied || result.head === null) return;
    applied[result.name] = result.head;
    target.emitLocal({ name: result.name, old: files.get(result.name)!.expected, new: result.head });
  };
  let results: HeadUpdateResult[];
  try {
    results = await updateHeads(driver, changes, { onResult, signal });
  } catch (err) {
    if (signal?.aborted) throw aborted(applied);
    throw err;
  }
  onProgress?.({ phase: 'import', done: count, total: total ?? count });
  const conflicts: ImportConflict[] = [];
  for (const result of results) {
    if (result.applied) continue;
    const file = files.get(result.name)!;
    conflicts.push({ name: result.name, expected: file.expected, head: result.head, tip: file.tip!, versions: file.versions });
  }
  if (conflicts.length > 0) throw new ImportConflictError(conflicts, applied);
  return { versions: count, files: files.size, objects, heads: applied };
}
