import { describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, registerDriver, type Store } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { seededRandom, spawnTs, tempDir } from '@gitty/driver-test/harness';
import { createDriver } from '../src/index.js';
import { releasedAfterEach } from './after-each-test.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { children, cleanups } = releasedAfterEach();
registerDriver('packs', createDriver);
registerDriver('files', createFilesDriver);

/** A child process's stdout as lines, collected as they arrive. */
function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const parts = partial.split('\n');
    partial = parts.pop()!;
    out.push(...parts);
  });
  return out;
}

async function ready(child: ChildProcess, out: string[]): Promise<void> {
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`child exited (${code}) before it was ready`))));
  const started = new Promise<void>((resolve) => {
    const check = () => (out.includes('ready') ? resolve() : setTimeout(check, 10));
    check();
  });
  await Promise.race([started, exited]);
}

/** Every commit of the file's chain from its head. */
async function chainOf(store: Store, name: string): Promise<Set<string>> {
  const chain = new Set<string>();
  for await (const commit of store.walk(name)) chain.add(commit.commit);
  return chain;
}

/** Each acknowledged commit is on its file's chain, and the store checks clean. */
async function expectIntact(store: Store, acknowledged: Map<string, string[]>): Promise<void> {
  for (const [name, commits] of acknowledged) {
    const chain = await chainOf(store, name);
    for (const commit of commits) expect(chain.has(commit), `${name}: acknowledged ${commit} is on the chain`).toBe(true);
  }
  for await (const { name, head } of store.driver.heads()) {
    expect((await store.get(head)).commit.name).toBe(name);
  }
  expect((await store.fsck()).errors).toEqual([]);
}

function remember(acknowledged: Map<string, string[]>, heads: Record<string, string>): void {
  for (const [name, head] of Object.entries(heads)) acknowledged.set(name, [...(acknowledged.get(name) ?? []), head]);
}

describe.each(['files', 'packs'])('bulk import on %s under SIGKILL and rival processes', (driver) => {
  it('a process killed at random moments mid-import: the store opens clean, no head names a missing object, nothing acknowledged is lost', async () => {
    const { dir, remove } = await tempDir(`gitty-import-crash-${driver}-`);
    cleanups.push(remove);
    const acknowledged = new Map<string, string[]>();
    let store = await openStore({ driver, dir, durability: 'none' });
    remember(acknowledged, (await store.import(Array.from({ length: 12 }, (_, i) => ({ name: `f${i % 6}.txt`, data: `before ${i}` })))).heads);
    await store.close();
    const random = seededRandom(Number(process.env.GITTY_IMPORT_CRASH_SEED ?? 17));
    // Two rounds per run by default (seconds); GITTY_IMPORT_CRASH_ROUNDS=20 for a longer hunt.
    for (let round = 0; round < Number(process.env.GITTY_IMPORT_CRASH_ROUNDS ?? 2); round++) {
      const child = spawnTs(path.join(here, 'children', 'importer.ts'), [driver, dir, '0', '30', '20']);
      children.push(child);
      const out = lines(child);
      await ready(child, out);
      await new Promise((r) => setTimeout(r, 50 + Math.floor(random() * 600)));
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      for (const line of out.filter((l) => l.startsWith('{'))) remember(acknowledged, (JSON.parse(line) as { applied: Record<string, string> }).applied);
      store = await openStore({ driver, dir, durability: 'none' });
      try {
        await expectIntact(store, acknowledged);
      } finally {
        await store.close();
      }
    }
    if (driver === 'packs') {
      // Only whole packs with their idx are attached; killed writers leave temp files for prune.
      const names = await readdir(path.join(dir, 'objects', 'pack'));
      // A temp idx (tmp-*.idx) is such a leftover: written before the rename that installs it.
      for (const name of names.filter((n) => n.endsWith('.idx') && !n.startsWith('tmp-'))) {
        expect(name).toMatch(/^pack-[0-9a-f]{40}\.idx$/);
        expect(names).toContain(name.replace(/\.idx$/, '.pack'));
      }
    }
  }, 120_000);

  it('an import in one process while another updates the same names: every acknowledged version stays on its chain, conflicts are reported with their stored tips', async () => {
    const { dir, remove } = await tempDir(`gitty-import-rivals-${driver}-`);
    cleanups.push(remove);
    const names = Array.from({ length: 10 }, (_, f) => `f${f}.txt`);
    const importer = spawnTs(path.join(here, 'children', 'importer.ts'), [driver, dir, '4', '10', '10', 'paced']);
    const updater = spawnTs(path.join(here, 'children', 'updater.ts'), [driver, dir, '80', ...names]);
    children.push(importer, updater);
    const importOut = lines(importer);
    const updateOut = lines(updater);
    const done = (child: ChildProcess) => new Promise<number | null>((resolve) => child.once('exit', resolve));
    const stderr = (child: ChildProcess) => {
      let text = '';
      child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
      return () => text;
    };
    const importErr = stderr(importer);
    const updateErr = stderr(updater);
    const [importCode, updateCode] = await Promise.all([done(importer), done(updater)]);
    expect(importErr()).toBe('');
    expect(updateErr()).toBe('');
    expect([importCode, updateCode]).toEqual([0, 0]);
    const acknowledged = new Map<string, string[]>();
    let conflicts = 0;
    const tips: { name: string; tip: string; expected: string | null }[] = [];
    for (const line of importOut.filter((l) => l.startsWith('{'))) {
      const outcome = JSON.parse(line) as { applied: Record<string, string>; conflicts: { name: string; tip: string; expected: string | null }[] };
      remember(acknowledged, outcome.applied);
      conflicts += outcome.conflicts.length;
      tips.push(...outcome.conflicts);
    }
    for (const line of updateOut.filter((l) => l.startsWith('{'))) {
      const { name, commit } = JSON.parse(line) as { name: string; commit: string };
      acknowledged.set(name, [...(acknowledged.get(name) ?? []), commit]);
    }
    expect(importOut.filter((l) => l.startsWith('{'))).toHaveLength(4);
    expect(updateOut.filter((l) => l.startsWith('{'))).toHaveLength(80);
    const store = await openStore({ driver, dir, durability: 'none' });
    try {
      await expectIntact(store, acknowledged);
      // A refused file's versions are stored, chained onto the head its import started from.
      for (const { tip, expected } of tips) {
        const chain = new Set<string>();
        for await (const commit of store.walk(tip)) chain.add(commit.commit);
        if (expected !== null) expect(chain.has(expected)).toBe(true);
      }
    } finally {
      await store.close();
    }
    // Both writers touched the same names at the same time: the race is real when some import lost.
    expect(conflicts + [...acknowledged.values()].flat().length).toBeGreaterThan(80);
  }, 120_000);
});
