import type { Driver, HeadChange, HeadUpdateResult, ObjectBatch, ObjectBatchOptions } from './driver.js';
import { isGittyError } from './errors.js';

/**
 * A batch of object writes on any driver: the driver's own `openObjectBatch` when it declares
 * `objectBatches` (and has the method: a wrapping driver may copy its inner driver's
 * capabilities without forwarding the method), else one `storeObject` per object.
 */
export async function openObjectBatch(driver: Driver, options: ObjectBatchOptions = {}): Promise<ObjectBatch> {
  if (driver.capabilities.objectBatches === true && typeof driver.openObjectBatch === 'function') {
    return driver.openObjectBatch(options);
  }
  return new StoreEachObject(driver);
}

/** The fallback batch: every object is stored (and made durable) by `storeObject` as it comes. */
class StoreEachObject implements ObjectBatch {
  private stored = 0;

  constructor(private readonly driver: Driver) {}

  async add(hash: string, type: string, data: Uint8Array): Promise<void> {
    if (await this.driver.storeObject(hash, type, data)) this.stored++;
  }

  async commit(): Promise<{ objects: number }> {
    return { objects: this.stored };
  }

  async abort(): Promise<void> {
    // Nothing held: what was stored stays as orphans for gc.
  }
}

/** Options of {@link updateHeads}. */
export interface UpdateHeadsOptions {
  /** Told of each result as soon as it is known (the fallback applies changes one by one). */
  onResult?: (result: HeadUpdateResult) => void;
  /**
   * Checked before each change of the one-by-one fallback: an abort stops there (the changes
   * before it stay applied, none after it is made). A driver's batch is one step: not checked.
   */
  signal?: AbortSignal;
}

/**
 * Many head CASes on any driver: the driver's `updateHeads` when it declares `headBatches`,
 * else `updateHead` per change in order, a NOT_AT_HEAD refusal becoming an unapplied result
 * (any other error stops there and rejects; the changes reported before it stay applied).
 */
export async function updateHeads(driver: Driver, changes: readonly HeadChange[], options: UpdateHeadsOptions = {}): Promise<HeadUpdateResult[]> {
  if (changes.length === 0) return [];
  if (driver.capabilities.headBatches === true && typeof driver.updateHeads === 'function') {
    const results = await driver.updateHeads(changes);
    for (const result of results) options.onResult?.(result);
    return results;
  }
  const results: HeadUpdateResult[] = [];
  for (const change of changes) {
    options.signal?.throwIfAborted();
    let result: HeadUpdateResult;
    try {
      await driver.updateHead(change.name, change.old, change.new);
      result = { name: change.name, applied: true, head: change.new };
    } catch (err) {
      // By code, not class: the driver may throw another copy of core's NotAtHeadError.
      if (!isGittyError(err, 'NOT_AT_HEAD')) throw err;
      result = { name: change.name, applied: false, head: err.head };
    }
    results.push(result);
    options.onResult?.(result);
  }
  return results;
}
