import { describe, expect, it } from 'vitest';
import type { Driver } from '@gitty/core';
import { PassThroughDriver } from '../src/pass-through-driver.js';

// The suite's wrapped run proves drivers survive composition only if the wrapper forwards
// every call exactly and has the inner driver's shape: an optional method the inner driver
// lacks must be missing on the wrapper too (callers feature-test with `!== undefined`).

const required = ['storeObject', 'loadObject', 'hasObject', 'objects', 'deleteObject', 'getHead', 'heads', 'updateHead', 'rescan', 'close'] as const;
const optional = [
  'loadRaw', 'storeRaw', 'objectTime', 'watch', 'repack', 'unpack', 'reindex', 'prune', 'fsck', 'queryFiles', 'queryHistory', 'search', 'stats',
  'updateHeads', 'openObjectBatch',
] as const;

/** An inner driver whose every method records its call and returns a token naming it. */
function recordingDriver(withOptional: boolean): { driver: Driver; calls: Array<{ method: string; args: unknown[]; self: unknown }> } {
  const calls: Array<{ method: string; args: unknown[]; self: unknown }> = [];
  const driver: Record<string, unknown> = {
    name: 'recorder',
    capabilities: { sharedHeads: true, persistent: false },
    commitFormat: 'swish',
  };
  for (const method of [...required, ...(withOptional ? optional : [])]) {
    driver[method] = function (this: unknown, ...args: unknown[]) {
      calls.push({ method, args, self: this });
      return `result of ${method}`;
    };
  }
  return { driver: driver as unknown as Driver, calls };
}

describe('PassThroughDriver', () => {
  it("names itself after the inner driver and copies its capabilities and commit format", () => {
    const { driver } = recordingDriver(true);
    const wrapper = new PassThroughDriver(driver);
    expect(wrapper.name).toBe('passthrough(recorder)');
    expect(wrapper.inner).toBe(driver);
    expect(wrapper.commitFormat).toBe('swish');
    expect(wrapper.capabilities).toEqual({ sharedHeads: true, persistent: false });
    // A copy: the wrapper's capabilities are its own to change.
    expect(wrapper.capabilities).not.toBe(driver.capabilities);
  });

  it('forwards every required method with its arguments and returns what the inner driver returns', async () => {
    const { driver, calls } = recordingDriver(false);
    const w = new PassThroughDriver(driver);
    const bytes = new Uint8Array([1, 2]);
    const results = [
      w.storeObject('h1', 'blob', bytes),
      w.loadObject('h2'),
      w.hasObject('h3'),
      w.objects(),
      w.deleteObject('h4'),
      w.getHead('f'),
      w.heads({ ext: 'pl' }),
      w.updateHead('f', null, 'h5'),
      w.rescan(),
      w.close(),
    ] as unknown[];
    expect(results).toEqual(required.map((m) => `result of ${m}`));
    expect(calls.map(({ method, args }) => ({ method, args }))).toEqual([
      { method: 'storeObject', args: ['h1', 'blob', bytes] },
      { method: 'loadObject', args: ['h2'] },
      { method: 'hasObject', args: ['h3'] },
      { method: 'objects', args: [] },
      { method: 'deleteObject', args: ['h4'] },
      { method: 'getHead', args: ['f'] },
      { method: 'heads', args: [{ ext: 'pl' }] },
      { method: 'updateHead', args: ['f', null, 'h5'] },
      { method: 'rescan', args: [] },
      { method: 'close', args: [] },
    ]);
    // Called on the inner driver, so its own state is used.
    expect(calls.every((c) => c.self === driver)).toBe(true);
  });

  it('has no optional method the inner driver lacks', () => {
    const { driver } = recordingDriver(false);
    const w = new PassThroughDriver(driver) as unknown as Record<string, unknown>;
    for (const method of optional) expect({ method, value: w[method] }).toEqual({ method, value: undefined });
    expect(w.commitFormat).toBe('swish');
  });

  it('forwards every optional method the inner driver has, with its arguments and result', async () => {
    const { driver, calls } = recordingDriver(true);
    const w = new PassThroughDriver(driver);
    const raw = new Uint8Array([3]);
    const listener = () => undefined;
    const progress = { onProgress: () => undefined };
    const changes = [{ name: 'f', previous: null, next: 'h' }];
    const results = [
      w.loadRaw!('r1'),
      w.storeRaw!('r2', raw),
      w.objectTime!('r3'),
      w.watch!(listener),
      w.repack!({ onProgress: progress.onProgress }),
      w.unpack!(progress),
      w.reindex!(progress),
      w.prune!(),
      w.fsck!(progress),
      w.queryFiles!({ name: 'q' } as never),
      w.queryHistory!('start', 7),
      w.search!('text', { name: 's' } as never),
      w.stats!(),
      w.updateHeads!(changes as never),
      w.openObjectBatch!({ durable: true } as never),
    ] as unknown[];
    expect(results).toEqual(optional.map((m) => `result of ${m}`));
    expect(calls.map(({ method, args }) => ({ method, args }))).toEqual([
      { method: 'loadRaw', args: ['r1'] },
      { method: 'storeRaw', args: ['r2', raw] },
      { method: 'objectTime', args: ['r3'] },
      { method: 'watch', args: [listener] },
      { method: 'repack', args: [{ onProgress: progress.onProgress }] },
      { method: 'unpack', args: [progress] },
      { method: 'reindex', args: [progress] },
      { method: 'prune', args: [] },
      { method: 'fsck', args: [progress] },
      { method: 'queryFiles', args: [{ name: 'q' }] },
      { method: 'queryHistory', args: ['start', 7] },
      { method: 'search', args: ['text', { name: 's' }] },
      { method: 'stats', args: [] },
      { method: 'updateHeads', args: [changes] },
      { method: 'openObjectBatch', args: [{ durable: true }] },
    ]);
    expect(calls.every((c) => c.self === driver)).toBe(true);
  });

  it('binds the optional methods per instance, so a detached method still reaches its inner driver', () => {
    const a = recordingDriver(true);
    const b = recordingDriver(true);
    const { loadRaw } = new PassThroughDriver(a.driver);
    new PassThroughDriver(b.driver);
    void loadRaw!('detached');
    expect(a.calls).toEqual([{ method: 'loadRaw', args: ['detached'], self: a.driver }]);
    expect(b.calls).toEqual([]);
  });
});
