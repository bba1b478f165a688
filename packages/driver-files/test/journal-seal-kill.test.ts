import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultDriverContext, openStore } from '@gitty/core';
import { run, spawnTs, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { createDriver } from '@gitty/driver-files';
import { journalFiles } from './journal-support.js';

const leaver = fileURLToPath(new URL('./children/journal-leaver.ts', import.meta.url));
const opener = fileURLToPath(new URL('./children/journal-opener.ts', import.meta.url));
const VERSIONS = Number(process.env.GITTY_SEAL_KILL_VERSIONS ?? 1200);

/** Start a sealer (a process opening the store) and SIGKILL it `afterMs` after it starts opening; true when it was killed before it finished. */
async function sealerKilledAfter(dir: string, afterMs: number): Promise<boolean> {
  const child = spawnTs(opener, [dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('opening') && !out.includes('timer')) {
        out += 'timer';
        setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(!out.includes('sealed'));
      else if (code === 0) resolve(false);
      else reject(new Error(`sealer failed: ${err}`));
    });
  });
}

describe('a sealer killed while it seals a dead writer\'s journal', () => {
  it('loses nothing: the next opener seals what is left, and every version is there', async () => {
    const temp = await tempDir('gitty-seal-kill-');
    try {
      const wrote = await run(process.execPath, tsNodeArgs(leaver, [temp.dir, String(VERSIONS)]), { timeoutMs: 120_000 });
      expect(wrote.stderr.toString()).toBe('');
      const heads = JSON.parse(wrote.stdout.toString()) as Record<string, string>;
      expect(journalFiles(temp.dir)).toHaveLength(1);

      // Kill sealers at growing moments until one finishes; count the kills that left a seal half done.
      let midSeal = 0;
      for (let round = 0, afterMs = 20; round < 12 && journalFiles(temp.dir).length > 0; round++, afterMs = Math.round(afterMs * 1.6)) {
        const killed = await sealerKilledAfter(temp.dir, afterMs);
        const left = journalFiles(temp.dir);
        if (killed && left.some((f) => f.endsWith('.sealing'))) midSeal++;
      }

      const store = await openStore(await createDriver({ dir: temp.dir }, defaultDriverContext()));
      try {
        expect(journalFiles(temp.dir)).toEqual([]);
        expect(readdirSync(path.join(temp.dir, 'objects', 'journal')).filter((n) => !n.startsWith('.'))).toEqual([]);
        for (const [name, head] of Object.entries(heads)) {
          expect(await store.head(name)).toBe(head);
          const { history } = await store.history(name, { depth: 1000 });
          expect(history).toHaveLength(VERSIONS / 40);
          for (const commit of history) await store.get(commit.commit);
        }
        const report = await store.fsck();
        expect(report.errors).toEqual([]);
        expect(report.counts.objects).toBeGreaterThanOrEqual(VERSIONS * 2 - 40 * 7);
      } finally {
        await store.close();
      }
      // Checked last, so a seal that loses objects fails on the loss above, not here.
      expect(midSeal).toBeGreaterThan(0);
    } finally {
      await temp.remove();
    }
  });
});
