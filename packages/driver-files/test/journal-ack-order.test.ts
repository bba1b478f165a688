import { afterEach, describe, expect, it, vi } from 'vitest';
import { hashObject } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { journalFiles, journalRecords } from './journal-support.js';
import { openFiles } from './support.js';

// A SIGKILL cannot tell whether a journal append was acknowledged before its fdatasync (the page
// cache survives the process), so this holds every fdatasync callback until the test releases
// it: nothing may be acknowledged while its group's flush is outstanding, and one flush covers
// every record gathered meanwhile.
const gate = vi.hoisted(() => ({ hold: false, held: [] as (() => void)[], calls: 0 }));

vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return {
    ...real,
    fdatasync: (fd: number, callback: (err: NodeJS.ErrnoException | null) => void) => {
      gate.calls++;
      if (gate.hold) gate.held.push(() => real.fdatasync(fd, callback));
      else real.fdatasync(fd, callback);
    },
  };
});

afterEach(() => {
  gate.hold = false;
  for (const release of gate.held.splice(0)) release();
  gate.calls = 0;
});

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(condition()).toBe(true);
}

function tracked(promise: Promise<boolean>): { settled: () => boolean; promise: Promise<boolean> } {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  return { settled: () => done, promise };
}

describe('object journal: acknowledgement after the flush', () => {
  it('durability fsync: no store resolves while its group\'s fdatasync is outstanding; records gathered meanwhile share one fdatasync', async () => {
    const { dir, remove } = await tempDir('gitty-journal-order-');
    const driver = await openFiles(dir, { durability: 'fsync', journal: true });
    try {
      const blob = (i: number) => {
        const data = Buffer.from(`object ${i}\n`.repeat(i + 1));
        return { hash: hashObject('blob', data), data };
      };
      gate.hold = true;
      gate.calls = 0;
      const first = blob(0);
      const a = tracked(driver.storeObject(first.hash, 'blob', first.data));
      await until(() => gate.held.length === 1);
      const rest = [1, 2, 3].map(blob);
      const others = rest.map((b) => tracked(driver.storeObject(b.hash, 'blob', b.data)));
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Written, not yet flushed: not acknowledged.
      expect(journalRecords(journalFiles(dir)[0]!).map((r) => r.hash)).toContain(first.hash);
      expect(a.settled()).toBe(false);
      expect(others.some((o) => o.settled())).toBe(false);

      gate.held.shift()!();
      expect(await a.promise).toBe(true);
      await until(() => gate.held.length === 1);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(others.some((o) => o.settled()), 'acknowledged before its group\'s fdatasync completed').toBe(false);
      // The three waiting records went out as one group: one append, one fdatasync.
      expect(gate.calls).toBe(2);
      const records = journalRecords(journalFiles(dir)[0]!).map((r) => r.hash);
      for (const b of rest) expect(records).toContain(b.hash);

      gate.held.shift()!();
      for (const o of others) expect(await o.promise).toBe(true);
      expect(gate.calls).toBe(2);
    } finally {
      gate.hold = false;
      for (const release of gate.held.splice(0)) release();
      await driver.close();
      await remove();
    }
  });
});
