// A journal opened only to read (write: false) must hold no seal timer: it has no journal of
// its own to seal, and a timer would keep one interval per reading store alive.
import { afterEach, describe, expect, it, vi } from 'vitest';
import path from 'node:path';
import { nodeCompression } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { LooseObjects } from '../src/loose.js';
import { ObjectJournal } from '../src/object-journal.js';

const MAX = 1000;
afterEach(() => {
  vi.useRealTimers();
});

async function journalOf(write: boolean) {
  const { dir, remove } = await tempDir('gitty-journal-reader-');
  const root = path.join(dir, 'objects');
  const loose = new LooseObjects({ root, compression: nodeCompression, maxObjectSize: MAX, durability: 'none' });
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  const journal = new ObjectJournal({ folder: path.join(root, 'journal'), loose, unflushed: loose, durability: 'none', compression: nodeCompression, maxObjectSize: MAX, write });
  const timers = vi.getTimerCount();
  vi.useRealTimers();
  await journal.close();
  await remove();
  return timers;
}

describe('ObjectJournal timers', () => {
  it('a reading journal starts no seal timer; a writing one starts exactly one', async () => {
    expect(await journalOf(false)).toBe(0);
    expect(await journalOf(true)).toBe(1);
  });
});
