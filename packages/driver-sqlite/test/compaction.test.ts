import { describe, expect, it, vi } from 'vitest';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore, type HeadChange } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { IndexCatchUp } from '../src/catch-up.js';
import { createDriver } from '../src/factory.js';

// The files driver's own compacting child (same workspace; @gitty/driver-files is a dev dependency).
const compactingWriter = fileURLToPath(new URL('../../driver-files/test/children/compacting-writer.ts', import.meta.url));

/** A files-driver child answering one line per command (see that child's header). */
function startWriter(dir: string): { ask: (command: string) => Promise<string>; done: () => Promise<void> } {
  const child = spawnTs(compactingWriter, [dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const pending: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => (waiters.length > 0 ? waiters.shift()!(line) : pending.push(line)));
  const next = () => new Promise<string>((resolve, reject) => {
    if (pending.length > 0) return resolve(pending.shift()!);
    waiters.push(resolve);
    child.once('exit', (code) => setTimeout(() => reject(new Error(`writer exited ${code}: ${stderr}`)), 100));
  });
  const ready = next();
  return {
    ask: async (command) => {
      await ready;
      child.stdin!.write(`${command}\n`);
      return next();
    },
    done: async () => {
      child.stdin!.write('quit\n');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

describe('the sqlite index across head log compactions', () => {
  it('follows two compactions another process made as a tail: no rebuild, every change watched, queries and history current', async () => {
    const { dir, remove } = await tempDir('gitty-sqlite-compact-');
    const writer = startWriter(dir);
    const rebuilds = vi.spyOn(IndexCatchUp.prototype, 'rebuild');
    try {
      const v1 = (await writer.ask('update f.txt one')).slice(3);
      await writer.ask('update other.txt x');
      const store = await openStore(await createDriver({ dir, throttleMs: 60_000 }, defaultDriverContext()));
      try {
        const opened = rebuilds.mock.calls.length;
        const seen: HeadChange[] = [];
        store.driver.watch!((change) => seen.push(change));
        const v2 = (await writer.ask('update f.txt two')).slice(3);
        expect(await writer.ask('compact')).toMatch(/^compacted /);
        const v3 = (await writer.ask('update f.txt three')).slice(3);
        const g = (await writer.ask('update g.txt gee')).slice(3);
        await writer.ask('delete other.txt');
        expect(await writer.ask('compact')).toMatch(/^compacted /);
        const v4 = (await writer.ask('update f.txt four')).slice(3);
        await store.rescan();

        expect(rebuilds.mock.calls.length).toBe(opened);
        expect(seen.map(({ name, old, new: next }) => ({ name, old, new: next }))).toEqual([
          { name: 'f.txt', old: v1, new: v2 },
          { name: 'f.txt', old: v2, new: v3 },
          { name: 'g.txt', old: null, new: g },
          { name: 'other.txt', old: expect.any(String), new: null },
          { name: 'f.txt', old: v3, new: v4 },
        ]);
        const listed: Record<string, string> = {};
        for await (const entry of store.files()) listed[entry.name] = entry.head;
        expect(listed).toEqual({ 'f.txt': v4, 'g.txt': g });
        expect((await store.history('f.txt', { depth: 10 })).history.map((c) => c.commit)).toEqual([v4, v3, v2, v1]);
        expect((await store.search('four')).map((hit) => hit.name)).toEqual(['f.txt']);
        // The log holds one line per head plus what came after the last compaction.
        expect((await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n').filter(Boolean)).toHaveLength(1 + 2 + 1);
      } finally {
        await store.close();
      }
    } finally {
      rebuilds.mockRestore();
      await writer.done();
      await remove();
    }
  }, 60_000);

  it('compacts on gc (prune) and by size after its own writes; a files reader follows', async () => {
    const { dir, remove } = await tempDir('gitty-sqlite-compact-');
    try {
      const store = await openStore(await createDriver({ dir, compactAt: 3000, compactRatio: 2, durability: 'none' }, defaultDriverContext()));
      const reader = await openStore(await createFilesDriver({ dir, pollInterval: 0, watchLog: false }, defaultDriverContext()));
      try {
        const heard: string[] = [];
        reader.driver.watch!((change) => heard.push(change.new!));
        const written: string[] = [];
        let head = (await store.create('a.txt', '0')).commit;
        written.push(head);
        for (let i = 1; i <= 60; i++) {
          head = (await store.update('a.txt', `version ${i}`, { previous: head })).commit;
          written.push(head);
          if (i % 20 === 0) await reader.rescan();
        }
        await store.gc();
        await reader.rescan();
        expect(heard).toEqual(written);
        expect(await reader.head('a.txt')).toBe(head);
        const lines = (await readFile(path.join(dir, 'ref', 'head'), 'utf8')).split('\n').filter(Boolean);
        expect(lines).toHaveLength(2);
        expect(JSON.parse(lines[0]!)).toHaveProperty('compacted');
        expect((await store.history('a.txt', { depth: 100 })).history.length).toBe(61);
        expect((await store.fsck()).ok).toBe(true);
      } finally {
        await reader.close();
        await store.close();
      }
      await expect(createDriver({ dir, compactRatio: 0.5 }, defaultDriverContext())).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    } finally {
      await remove();
    }
  }, 60_000);
});
