import { describe, expect, it } from 'vitest';
import {
  MemoryDriver, hashObject, openObjectBatch, updateHeads, type HeadChange, type HeadUpdateResult, type ObjectBatch, type ObjectBatchOptions,
} from '@gitty/core';

const bytes = (text: string) => new TextEncoder().encode(text);
const H = (c: string) => c.repeat(40);

/** A memory driver with its own object batch and head batch, declared or not. */
class Batching extends MemoryDriver {
  readonly batchOptions: ObjectBatchOptions[] = [];
  readonly headBatches: Array<readonly HeadChange[]> = [];
  readonly ownBatch: ObjectBatch = { add: async () => undefined, commit: async () => ({ objects: 99 }), abort: async () => undefined };

  constructor(objectBatches: boolean | undefined, headBatches: boolean | undefined) {
    super();
    (this as { capabilities: MemoryDriver['capabilities'] }).capabilities = { ...this.capabilities, objectBatches, headBatches };
  }

  async openObjectBatch(options: ObjectBatchOptions = {}): Promise<ObjectBatch> {
    this.batchOptions.push(options);
    return this.ownBatch;
  }

  async updateHeads(changes: readonly HeadChange[]): Promise<HeadUpdateResult[]> {
    this.headBatches.push(changes);
    return changes.map((c) => ({ name: c.name, applied: c.name !== 'refused', head: c.name === 'refused' ? null : c.new }));
  }
}

describe('openObjectBatch', () => {
  it('the driver\'s own batch only when it declares objectBatches and has the method', async () => {
    const options = { signal: new AbortController().signal };
    const declaring = new Batching(true, false);
    expect(await openObjectBatch(declaring, options)).toBe(declaring.ownBatch);
    expect(declaring.batchOptions).toEqual([options]);
    expect(declaring.batchOptions[0]).toBe(options);
    for (const flag of [false, undefined]) {
      const silent = new Batching(flag, false);
      expect(await openObjectBatch(silent, options)).not.toBe(silent.ownBatch);
      expect(silent.batchOptions).toEqual([]);
    }
    // Declared, but the method was not forwarded (a wrapper copying capabilities).
    const wrapper = new MemoryDriver();
    (wrapper as { capabilities: MemoryDriver['capabilities'] }).capabilities = { ...wrapper.capabilities, objectBatches: true };
    const fallback = await openObjectBatch(wrapper);
    await fallback.add(hashObject('blob', bytes('x')), 'blob', bytes('x'));
    expect(await fallback.commit()).toEqual({ objects: 1 });
  });

  it('the fallback stores each object at once and counts only the new ones; abort keeps them', async () => {
    const driver = new MemoryDriver();
    const old = bytes('old');
    await driver.storeObject(hashObject('blob', old), 'blob', old);
    const batch = await openObjectBatch(driver);
    for (const text of ['a', 'b', 'old', 'a']) {
      const data = bytes(text);
      await batch.add(hashObject('blob', data), 'blob', data);
      expect(await driver.hasObject(hashObject('blob', data))).toBe(true);
    }
    expect(await batch.commit()).toEqual({ objects: 2 });
    const empty = await openObjectBatch(driver);
    expect(await empty.commit()).toEqual({ objects: 0 });
    const aborted = await openObjectBatch(driver);
    await aborted.add(hashObject('blob', bytes('c')), 'blob', bytes('c'));
    await aborted.abort();
    expect(await driver.hasObject(hashObject('blob', bytes('c')))).toBe(true);
  });
});

describe('updateHeads', () => {
  it('no changes: no call at all, an empty list', async () => {
    const driver = new Batching(false, true);
    const seen: HeadUpdateResult[] = [];
    const results = await updateHeads(driver, [], { onResult: (r) => seen.push(r) });
    expect(results).toEqual([]);
    expect(driver.headBatches).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('the driver\'s batch when it declares headBatches and has the method: its results, each told, no per-change CAS', async () => {
    const driver = new Batching(false, true);
    const changes: HeadChange[] = [{ name: 'a.pl', old: null, new: H('a') }, { name: 'refused', old: null, new: H('b') }];
    const seen: HeadUpdateResult[] = [];
    const expected = [{ name: 'a.pl', applied: true, head: H('a') }, { name: 'refused', applied: false, head: null }];
    expect(await updateHeads(driver, changes, { onResult: (r) => seen.push(r) })).toEqual(expected);
    expect(seen).toEqual(expected);
    expect(driver.headBatches).toEqual([changes]);
    expect(await driver.getHead('a.pl')).toBeUndefined();
    // Without onResult too.
    expect(await updateHeads(driver, changes)).toEqual(expected);
    // An already aborted signal is not checked for a driver's batch: it is one step.
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    expect(await updateHeads(driver, changes, { signal: controller.signal })).toEqual(expected);
  });

  it('without the capability, or without the method, one updateHead per change', async () => {
    for (const driver of [new Batching(false, false), new Batching(false, undefined)]) {
      const results = await updateHeads(driver, [{ name: 'a.pl', old: null, new: H('a') }]);
      expect(results).toEqual([{ name: 'a.pl', applied: true, head: H('a') }]);
      expect(driver.headBatches).toEqual([]);
      expect(await driver.getHead('a.pl')).toBe(H('a'));
    }
    const wrapper = new MemoryDriver();
    (wrapper as { capabilities: MemoryDriver['capabilities'] }).capabilities = { ...wrapper.capabilities, headBatches: true };
    expect(await updateHeads(wrapper, [{ name: 'b.pl', old: null, new: H('b') }])).toEqual([{ name: 'b.pl', applied: true, head: H('b') }]);
    expect(await wrapper.getHead('b.pl')).toBe(H('b'));
  });

  it('the fallback: in order, NOT_AT_HEAD an unapplied result with the head found, each told as it comes', async () => {
    const driver = new MemoryDriver();
    await driver.updateHead('b.pl', null, H('9'));
    await driver.updateHead('c.pl', null, H('8'));
    const seen: HeadUpdateResult[] = [];
    const results = await updateHeads(driver, [
      { name: 'a.pl', old: null, new: H('a') },
      { name: 'b.pl', old: null, new: H('b') },
      { name: 'c.pl', old: H('8'), new: null },
    ], { onResult: (r) => seen.push(r) });
    const expected = [
      { name: 'a.pl', applied: true, head: H('a') },
      { name: 'b.pl', applied: false, head: H('9') },
      { name: 'c.pl', applied: true, head: null },
    ];
    expect(results).toEqual(expected);
    expect(seen).toEqual(expected);
    expect(await driver.getHead('c.pl')).toBeUndefined();
  });

  it('the fallback: another error stops there and rejects, the results before it told', async () => {
    class Failing extends MemoryDriver {
      override async updateHead(name: string, expected: string | null, next: string | null): Promise<void> {
        if (name === 'bad.pl') throw new Error('disk on fire');
        return super.updateHead(name, expected, next);
      }
    }
    const driver = new Failing();
    const seen: HeadUpdateResult[] = [];
    await expect(updateHeads(driver, [
      { name: 'a.pl', old: null, new: H('a') },
      { name: 'bad.pl', old: null, new: H('b') },
      { name: 'c.pl', old: null, new: H('c') },
    ], { onResult: (r) => seen.push(r) })).rejects.toThrow(/^disk on fire$/);
    expect(seen).toEqual([{ name: 'a.pl', applied: true, head: H('a') }]);
    expect(await driver.getHead('c.pl')).toBeUndefined();
  });

  it('the fallback: an abort stops before the next change, the earlier ones stay', async () => {
    const driver = new MemoryDriver();
    const controller = new AbortController();
    const reason = new Error('stop here');
    const seen: string[] = [];
    await expect(updateHeads(driver, [
      { name: 'a.pl', old: null, new: H('a') },
      { name: 'b.pl', old: null, new: H('b') },
    ], { signal: controller.signal, onResult: (r) => { seen.push(r.name); controller.abort(reason); } })).rejects.toBe(reason);
    expect(seen).toEqual(['a.pl']);
    expect(await driver.getHead('a.pl')).toBe(H('a'));
    expect(await driver.getHead('b.pl')).toBeUndefined();
    // A signal that is not aborted changes nothing.
    expect(await updateHeads(driver, [{ name: 'b.pl', old: null, new: H('b') }], { signal: new AbortController().signal }))
      .toEqual([{ name: 'b.pl', applied: true, head: H('b') }]);
  });
});
