// copyStoreBatched plans each file without trusting what the target already holds (s6-cli-d:
// planFile's trustPresent forced true survived). Objects added to a batch are not in the target
// until it commits, so "the target has commit C" cannot stand for "and all of C's ancestors"
// there: a commit the target holds alone must not end the walk.
import { describe, expect, it } from 'vitest';
import { MemoryDriver, openStore, type Store } from '@gitty/core';
import { copyStore } from '../src/copy-store.js';

async function batchedMemoryStore(): Promise<Store> {
  const driver = new MemoryDriver();
  Object.assign(driver, {
    capabilities: { ...driver.capabilities, objectBatches: true },
    openObjectBatch: async () => {
      const held: [string, string, Uint8Array][] = [];
      return {
        add: async (hash: string, type: string, data: Uint8Array) => void held.push([hash, type, data]),
        commit: async () => {
          for (const [hash, type, data] of held) await driver.storeObject(hash, type, data);
          return { objects: held.length };
        },
        abort: async () => undefined,
      };
    },
  });
  return openStore(driver);
}

describe('copyStore in batches, a target holding a commit without its ancestors', () => {
  it('copies the whole history below a head commit the target already holds alone, so every version loads there', async () => {
    const from = await openStore(new MemoryDriver());
    const to = await batchedMemoryStore();
    const commits: string[] = [];
    for (const [i, data] of ['one', 'two', 'three'].entries()) {
      const previous = commits.at(-1);
      commits.push((previous === undefined ? await from.create('f.pl', data, { time: i + 1 }) : await from.update('f.pl', data, { previous, time: i + 1 })).commit);
    }
    // Only the newest commit object and its data, as a copy interrupted mid-batch elsewhere could leave.
    const head = await from.commit(commits[2]!);
    for (const hash of [commits[2]!, head.data]) {
      const object = await from.load(hash);
      await to.driver.storeObject(hash, object.type, object.data);
    }
    const report = await copyStore(from, to);
    expect(report).toMatchObject({ files: 1, updated: 1, objects: 4, diverged: [] });
    expect(await to.head('f.pl')).toBe(commits[2]);
    const versions: string[] = [];
    for (const commit of commits) versions.push(new TextDecoder().decode((await to.load((await to.commit(commit)).data)).data));
    expect(versions).toEqual(['one', 'two', 'three']);
  });
});
