import { describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@gitty/core';
import { spawnTs, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { canMount, mountSmallTmpfs } from './small-tmpfs.js';
import { openFiles } from './support.js';

const fillWriter = fileURLToPath(new URL('./children/fill-writer.ts', import.meta.url));

type Outcome = { ack: string; commit: string; sha: string } | { fail: string; message: string };

async function outcomes(child: ChildProcess): Promise<Outcome[]> {
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`fill-writer exited ${String(code)}: ${err}`);
  return out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Outcome);
}

/**
 * A folder whose writes can be made to fail for want of room, and undone: a small tmpfs filled
 * with a filler file (as root), else a child whose file size is limited (RLIMIT_FSIZE: EFBIG;
 * Node ignores SIGXFSZ, so writes fail instead of killing it).
 */
interface Cramped {
  dir: string;
  /** Run the writer child with `ops` calls, starting at op `first`, with little room. */
  crampedWriter(ops: number, first: number): ChildProcess;
  /** Give the room back. */
  relieve(): Promise<void>;
  dispose(): Promise<void>;
}

async function tmpfsCramped(): Promise<Cramped> {
  const tmpfs = await mountSmallTmpfs('gitty-full-', '2m');
  const dir = path.join(tmpfs.mount, 'store');
  return {
    dir,
    crampedWriter: (ops, first) => {
      tmpfs.fill();
      return spawnTs(fillWriter, [dir, String(ops), String(first)]);
    },
    relieve: tmpfs.relieve,
    dispose: tmpfs.dispose,
  };
}

async function fsizeCramped(): Promise<Cramped> {
  const { dir: base, remove } = await tempDir('gitty-fsize-');
  const dir = path.join(base, 'store');
  return {
    dir,
    crampedWriter: (ops, first) => {
      // Room for a few more log lines and small objects; bigger objects fail (EFBIG).
      const limit = statSync(path.join(dir, 'ref', 'head')).size + 700;
      return spawn('prlimit', [`--fsize=${Math.max(limit, 4096)}`, '--', process.execPath, ...tsNodeArgs(fillWriter, [dir, String(ops), String(first)])], { stdio: ['ignore', 'pipe', 'pipe'] });
    },
    relieve: async () => undefined, // only the child was limited
    dispose: remove,
  };
}

describe('a full disk', () => {
  const how = process.env.GITTY_FULL_DISK ?? (canMount() ? 'tmpfs' : 'fsize');
  it(`(${how}) fails every call cleanly with STORAGE_FULL, loses nothing acknowledged, and the store works once room returns`, async () => {
    const cramped = how === 'tmpfs' ? await tmpfsCramped() : await fsizeCramped();
    try {
      await mkdir(cramped.dir, { recursive: true });
      const roomy = await outcomes(spawnTs(fillWriter, [cramped.dir, '6', '0']));
      expect(roomy.filter((o) => 'fail' in o)).toEqual([]);
      const tight = await outcomes(cramped.crampedWriter(40, 6));
      const failed = tight.filter((o): o is { fail: string; message: string } => 'fail' in o);
      expect(failed.length).toBeGreaterThan(0);
      for (const f of failed) expect(f.fail, f.message).toBe('STORAGE_FULL');

      await cramped.relieve();
      const store = await openStore(await openFiles(cramped.dir, { durability: 'fsync' }));
      try {
        const acked = [...roomy, ...tight].filter((o): o is { ack: string; commit: string; sha: string } => 'ack' in o);
        const last = new Map<string, string>();
        for (const a of acked) {
          last.set(a.ack, a.commit);
          const version = await store.get(a.commit);
          expect(createHash('sha1').update(version.text).digest('hex')).toBe(a.sha);
        }
        for (const [name, commit] of last) expect(await store.head(name), name).toBe(commit);
        expect((await store.fsck()).errors).toEqual([]);
        // Room is back: writing works again, for every file.
        for (const name of last.keys()) {
          const head = (await store.head(name))!;
          await store.update(name, `after the disk filled: ${name}\n`, { previous: head });
        }
        expect((await store.fsck()).errors).toEqual([]);
      } finally {
        await store.close();
      }
    } finally {
      await cramped.dispose();
    }
  }, 120_000);
});


