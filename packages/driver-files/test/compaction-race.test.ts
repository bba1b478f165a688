import { describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '@gitty/driver-files';
import { allFinished, askReports } from './contenders.js';

const contender = fileURLToPath(new URL('./children/compacting-contender.ts', import.meta.url));
const OPS = Number(process.env.COMPACTION_RACE_OPS ?? 100);

interface Report { heads: Record<string, string>; learnt: string[]; compactions: number; error: string }

describe('head log compaction racing writers in four processes', () => {
  it('loses no acknowledged update: every process ends with the same heads and has learnt of every change', async () => {
    const { dir, remove } = await tempDir('gitty-compact-race-');
    try {
      const children = Array.from({ length: 4 }, (_, id) =>
        spawnTs(contender, [dir, String(id), String(OPS), '20'], { stdio: ['pipe', 'pipe', 'pipe'] }));
      const acknowledged: { name: string; commit: string }[] = [];
      const reports: Report[] = [];
      let ready = 0;
      await allFinished(children, (line) => {
        if (line === 'ready') {
          if (++ready === children.length) for (const c of children) c.stdin!.write('go\n');
        } else if (line.startsWith('{"heads"')) reports.push(JSON.parse(line) as Report);
        else acknowledged.push(JSON.parse(line) as { name: string; commit: string });
      });
      await askReports(children);

      expect(acknowledged).toHaveLength(4 * OPS);
      expect(reports).toHaveLength(4);
      for (const report of reports) {
        expect(report.error).toBe('');
        expect(report.heads).toEqual(reports[0]!.heads);
        // Every change reached every process (its own, or through its watch across compactions).
        const learnt = new Set(report.learnt);
        expect(acknowledged.filter(({ commit }) => !learnt.has(commit))).toEqual([]);
      }
      expect(reports.reduce((sum, r) => sum + r.compactions, 0)).toBeGreaterThanOrEqual(8);

      const store = await openStore(await createDriver({ dir, durability: 'none' }, defaultDriverContext()));
      try {
        const seen = new Map<string, number>();
        for await (const { name, head } of store.driver.heads()) {
          expect(reports[0]!.heads[name]).toBe(head);
          for await (const commit of store.walk(head)) {
            expect(commit.name).toBe(name);
            seen.set(commit.commit, (seen.get(commit.commit) ?? 0) + 1);
          }
        }
        for (const { commit } of acknowledged) expect(seen.get(commit)).toBe(1);
        expect(seen.size).toBe(acknowledged.length);
        expect((await store.fsck()).errors).toEqual([]);
        expect((await readdir(path.join(dir, 'ref'))).filter((n) => n.endsWith('.lock'))).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await remove();
    }
  }, 240_000);
});
