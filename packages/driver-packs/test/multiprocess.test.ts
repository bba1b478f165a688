import { afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import { openStore, registerDriver } from '@gitty/core';
import { spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const c of cleanups.splice(0)) await c();
});

/** Run a child to its exit; resolves with its stdout, rejects with its stderr on failure. */
function finish(child: ChildProcess): Promise<string> {
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`child exited ${code}: ${err}`))));
  });
}

describe('several processes on one store, one of them repacking', () => {
  it('loses nothing and fails no read while another process repacks and unpacks', async () => {
    const { dir, remove } = await tempDir('gitty-packs-mp-');
    cleanups.push(remove);
    const [writers, ops, names] = [3, 80, 12];
    const repacker = finish(spawnTs(path.join(here, 'children', 'repacker.ts'), [dir]));
    const outputs = await Promise.all(
      Array.from({ length: writers }, (_, id) => finish(spawnTs(path.join(here, 'children', 'writer.ts'), [dir, String(id), String(ops), String(names)]))),
    );
    await writeFile(path.join(dir, 'stop'), '');
    const repacked = await repacker;
    expect(Number(/repacks (\d+)/.exec(repacked)?.[1])).toBeGreaterThan(0);

    const done = outputs.flatMap((o) => o.trim().split('\n')).filter((l) => l !== 'done').map((l) => JSON.parse(l) as { name: string; commit: string });
    expect(done).toHaveLength(writers * ops);
    registerDriver('packs', createDriver);
    const store = await openStore({ driver: 'packs', dir });
    cleanups.unshift(() => store.close());
    const seen = new Map<string, number>();
    for (let n = 0; n < names; n++) {
      const { history } = await store.history(`shared-${n}.txt`, { depth: 10_000 });
      for (const c of history) seen.set(c.commit, (seen.get(c.commit) ?? 0) + 1);
    }
    for (const { commit } of done) expect(seen.get(commit)).toBe(1);
    expect(seen.size).toBe(done.length);
    expect((await store.fsck()).errors).toEqual([]);
    // minFiles 0: the repacker's last repack may have packed every loose object itself — with
    // smallPack 0 (every third one), beside the pack it left before — and a repack packs (and
    // merges) only when at least minFiles loose objects exist (SWISH's rule).
    await store.repack({ minFiles: 0, smallPack: Number.MAX_SAFE_INTEGER });
    expect(await store.driverStats()).toMatchObject({ packs: 1 });
    expect((await store.fsck()).errors).toEqual([]);
  });
});
