import { existsSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { defaultDriverContext, openStore, type Store } from '@gitty/core';
import { HeadLog, LooseObjects, storeLayout } from '@gitty/driver-files';
import { spawnTs, tempDir, waitFor } from '@gitty/driver-test/harness';
import type { HeadLogAccess } from '../src/head-log-port.js';
import { IndexDb } from '../src/index-db.js';
import { LooseObjectsDriver } from '../src/loose-driver.js';
import { INDEX_FILE } from '../src/schema.js';
import { SqliteDriver } from '../src/sqlite-driver.js';

// Another process's rebuild of the shared index reads the head log, then (while it loads
// objects) this process acknowledges an update; the rebuild must not then commit the older
// state over it. The child stops inside its rebuild at a hook (fixtures/paused-rebuild.ts),
// so the interleaving is forced, not hoped for.

const pausedRebuild = fileURLToPath(new URL('./fixtures/paused-rebuild.ts', import.meta.url));
const WAIT = 60_000;

interface PausedChild {
  /** Let the child's rebuild go on to commit, and wait until it has. */
  release(): Promise<void>;
  stop(): void;
}

/** Start a process that rebuilds the index of `dir` and stops after reading the head log. */
async function startPausedRebuild(dir: string, gate: string): Promise<PausedChild> {
  await mkdir(gate, { recursive: true });
  const child = spawnTs(pausedRebuild, [dir, gate]);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await Promise.race([
    waitFor(() => existsSync(path.join(gate, 'paused')), WAIT),
    exited.then((code) => Promise.reject(new Error(`rebuild process exited early (${code}): ${stderr}`))),
  ]);
  return {
    async release() {
      writeFileSync(path.join(gate, 'go'), '');
      const code = await exited;
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(existsSync(path.join(gate, 'done'))).toBe(true);
    },
    stop: () => child.kill('SIGKILL'),
  };
}

/** A sqlite driver on `dir` whose head log reads call `afterRead` (when set) once they have read. */
async function openWithReadHook(dir: string): Promise<{ store: Store; hook: { afterRead?: () => Promise<void> } }> {
  const context = defaultDriverContext();
  const layout = storeLayout(dir);
  const log = new HeadLog(layout.headLog);
  const hook: { afterRead?: () => Promise<void> } = {};
  const hooked: HeadLogAccess = {
    file: log.file,
    async readFrom(from) {
      const read = await log.readFrom(from);
      const afterRead = hook.afterRead;
      hook.afterRead = undefined;
      await afterRead?.();
      return read;
    },
    append: (at, changes) => log.append(at, changes),
    withLock: (work) => log.withLock(work),
  };
  const objects = new LooseObjectsDriver(new LooseObjects({ root: layout.objects, compression: context.compression, maxObjectSize: context.maxObjectSize }));
  const driver = new SqliteDriver({ inner: objects, log: hooked, index: IndexDb.open(path.join(dir, INDEX_FILE)), throttleMs: 60_000 });
  await driver.open();
  return { store: await openStore(driver), hook };
}

describe('a rebuild in another process racing this process\'s writes', () => {
  it('does not move the index back past an update acknowledged while it ran', async () => {
    const temp = await tempDir('gitty-sqlite-rebuild-race-');
    const { store } = await openWithReadHook(temp.dir);
    let child: PausedChild | undefined;
    try {
      const v1 = await store.create('race.md', 'version one\n');
      child = await startPausedRebuild(temp.dir, path.join(temp.dir, 'gate'));
      const v2 = await store.update('race.md', 'version two\n', { previous: v1.commit });
      await child.release();
      // Reads inside the throttle interval answer from the index: it must still hold v2.
      expect(await store.head('race.md')).toBe(v2.commit);
      expect((await store.get('race.md')).text).toBe('version two\n');
      expect((await store.search('version two')).map((hit) => hit.name)).toEqual(['race.md']);
      await expect(store.update('race.md', 'stale\n', { previous: v1.commit })).rejects.toMatchObject({ code: 'NOT_AT_HEAD' });
    } finally {
      child?.stop();
      await store.close();
      await temp.remove();
    }
  }, 120_000);

  it('never lets a stale CAS succeed when the rebuild commits between the CAS\'s catch-up and its compare', async () => {
    const temp = await tempDir('gitty-sqlite-rebuild-race-');
    const { store, hook } = await openWithReadHook(temp.dir);
    let child: PausedChild | undefined;
    try {
      const v1 = await store.create('race.md', 'version one\n');
      child = await startPausedRebuild(temp.dir, path.join(temp.dir, 'gate'));
      const v2 = await store.update('race.md', 'version two\n', { previous: v1.commit });
      // The next CAS reads the log tail under the lock; right after that read the paused
      // rebuild is let go and allowed to commit, before the CAS compares.
      const released = child;
      hook.afterRead = () => released.release();
      await expect(store.update('race.md', 'stale\n', { previous: v1.commit })).rejects.toMatchObject({ code: 'NOT_AT_HEAD', head: v2.commit });
      expect(hook.afterRead).toBeUndefined();
      expect(await store.head('race.md')).toBe(v2.commit);
      // The log holds exactly two changes of race.md: no second line with the old head v1.
      const read = await new HeadLog(storeLayout(temp.dir).headLog).readFrom();
      expect(read?.events.filter((change) => change.name === 'race.md').map((change) => change.old)).toEqual([null, v1.commit]);
    } finally {
      child?.stop();
      await store.close();
      await temp.remove();
    }
  }, 120_000);
});
