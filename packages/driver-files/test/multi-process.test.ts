import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '@gitty/driver-files';
import { allFinished, askReports } from './contenders.js';

const contender = fileURLToPath(new URL('./children/contender.ts', import.meta.url));
/** Updates per process, all four starting together (MP_OPS=500 or more for a long run). */
const OPS = Number(process.env.MP_OPS ?? 150);

describe('four processes sharing one store', () => {
  it('agree on every head, record every acknowledged update exactly once, and leave fsck clean', async () => {
    const { dir, remove } = await tempDir('gitty-mp-');
    try {
      const children = Array.from({ length: 4 }, (_, id) =>
        spawnTs(contender, [dir, String(id), String(OPS), '20'], { stdio: ['pipe', 'pipe', 'pipe'] }));
      const acknowledged: { name: string; commit: string }[] = [];
      const views: Record<string, string>[] = [];
      let ready = 0;
      await allFinished(children, (line) => {
        if (line === 'ready') {
          if (++ready === children.length) for (const c of children) c.stdin!.write('go\n');
        } else if (line.startsWith('{"heads"')) views.push((JSON.parse(line) as { heads: Record<string, string> }).heads);
        else acknowledged.push(JSON.parse(line) as { name: string; commit: string });
      });
      await askReports(children);

      expect(acknowledged).toHaveLength(4 * OPS);
      expect(views).toHaveLength(4);
      for (const view of views) expect(view).toEqual(views[0]);

      const store = await openStore(await createDriver({ dir, durability: 'none' }, defaultDriverContext()));
      try {
        const seen = new Map<string, number>();
        for await (const { name, head } of store.driver.heads()) {
          expect(views[0]![name]).toBe(head);
          for await (const commit of store.walk(head)) {
            expect(commit.name).toBe(name);
            seen.set(commit.commit, (seen.get(commit.commit) ?? 0) + 1);
          }
        }
        for (const { commit } of acknowledged) expect(seen.get(commit)).toBe(1);
        expect(seen.size).toBe(acknowledged.length);
        const report = await store.fsck();
        expect(report.errors).toEqual([]);
        expect(report.ok).toBe(true);
      } finally {
        await store.close();
      }
    } finally {
      await remove();
    }
  }, 180_000);
});
