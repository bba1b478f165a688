import { appendFileSync, cpSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { writeAtom, type Commit, type Meta } from '@gitty/core';
import { run, seededRandom, tempDir, tsNodeArgs } from '@gitty/driver-test/harness';
import { parseSwishHeadLine } from '@gitty/driver-files';
import { locateSwish, swish, swishDump, warnSwishMissing } from '@gitty/driver-test/swish';
import { randomMeta } from './random-meta.js';
import { dumpedMeta, fileOf, openSwish, startRunningSwish } from './real-swish-support.js';

// gitty and real SWISH on stores of their own (a temp dir per test); the tests sharing SWISH's
// fixture store are in real-swish.test.ts. Two files, so the halves run in parallel.

const located = locateSwish();
if (located.reason) warnSwishMissing(located.reason, 'real-swish-own-stores.test.ts (gitty and SWISH on one store)');

describe('gitty and real SWISH on one SWISH store', () => {
  const bin = located.bin!;

  it('property: random metadata written by gitty reads back identical from SWISH\'s dump', async () => {
    const { dir, remove } = await tempDir('gitty-swish-prop-');
    const seed = Number(process.env.GITTY_SEED ?? Date.now() % 1_000_000);
    const random = seededRandom(seed);
    const fresh = await openSwish(dir);
    try {
      const made: Commit[] = [];
      for (let i = 0; i < 60; i++) {
        const meta: Meta = randomMeta(random);
        made.push(await fresh.create(`prop-${i}.pl`, `x(${i}).\n`, meta));
      }
      const dump = await swishDump(bin, dir);
      for (const commit of made) {
        const [version] = fileOf(dump, commit.name).history;
        expect(dumpedMeta(version!), `seed ${seed}, ${commit.name}`).toStrictEqual({ ...commit });
      }
    } finally {
      await fresh.close();
      await remove();
    }
  });

  it('reads ref/head as a SWISH process starting now does: a stale line (its Old not the head) wins, a head returning to an earlier commit walks on; fsck names the overridden version', async () => {
    const { dir: base, remove } = await tempDir('gitty-swish-replay-');
    const dir = path.join(base, 'store');
    const other = path.join(base, 'copy');
    const log = path.join(dir, 'ref', 'head');
    try {
      mkdirSync(dir);
      await swish(bin, ['create', dir, 's.pl', 'p\n']);
      cpSync(dir, other, { recursive: true });
      const q = (await swish(bin, ['update', dir, 's.pl', 'q\n'])).trim();
      // A second SWISH process that decided on P: its objects and its line come over to this store.
      const r = (await swish(bin, ['update', other, 's.pl', 'r\n'])).trim();
      cpSync(other, dir, { recursive: true, force: false, filter: (source) => !source.includes(`${path.sep}ref`) });
      appendFileSync(log, readFileSync(path.join(other, 'ref', 'head'), 'utf8').trimEnd().split('\n').at(-1)! + '\n');
      // c.pl: A, then B, then a line taking it back to A from an Old that is not the head.
      const a = (await swish(bin, ['create', dir, 'c.pl', 'a\n'])).trim();
      const b = (await swish(bin, ['update', dir, 'c.pl', 'b\n'])).trim();
      appendFileSync(log, `head('c.pl',${writeAtom(q)},${writeAtom(a)}).\n`);
      const dump = await swishDump(bin, dir);
      const swishHeads = Object.fromEntries(dump.map((f) => [f.name, f.history[0]!.commit]));
      expect(swishHeads).toEqual({ 's.pl': r, 'c.pl': b });
      const opened = await openSwish(dir);
      try {
        expect({ 's.pl': await opened.head('s.pl'), 'c.pl': await opened.head('c.pl') }).toEqual(swishHeads);
        const report = await opened.fsck();
        expect(report.errors.filter((e) => e.code === 'HEAD_LOG_OVERRIDE').map((e) => [e.name, e.hash])).toEqual([['s.pl', q]]);
      } finally {
        await opened.close();
      }
    } finally {
      await remove();
    }
  });

  it('an append cut short by a full disk leaves no partial line, so SWISH still opens the store', async () => {
    const { dir, remove } = await tempDir('gitty-swish-short-');
    const appender = fileURLToPath(new URL('../children/swish-log-appender.ts', import.meta.url));
    try {
      mkdirSync(dir, { recursive: true });
      let head = (await swish(bin, ['create', dir, 'short.pl', 'v0\n'])).trim();
      // Enough lines that the size limit (prlimit needs a few KiB for node itself) falls inside the next one.
      const log = path.join(dir, 'ref', 'head');
      const filler = Array.from({ length: 60 }, (_, i) => `head('filler${i}.pl',-,'${'0'.repeat(39)}${i % 10}').\n`).join('');
      appendFileSync(log, filler);
      const before = readFileSync(log);
      const limit = before.length + 30;
      const next = 'f'.repeat(40);
      const result = await run('prlimit', [`--fsize=${limit}`, '--', process.execPath, ...tsNodeArgs(appender, [log, 'short.pl', head, next])]);
      expect(JSON.parse(result.stdout.toString().trim()), result.stderr).toEqual({ fail: 'STORAGE_FULL' });
      expect(readFileSync(log)).toEqual(before);
      // SWISH reads the log (a torn line would be a syntax error) and still updates the file.
      head = (await swish(bin, ['update', dir, 'short.pl', 'v1\n'])).trim();
      expect(fileOf(await swishDump(bin, dir), 'short.pl').history[0]!.commit).toBe(head);
    } finally {
      await remove();
    }
  });

  it('a running SWISH server appending a stale line: it, gitty and a SWISH started later show its version and fsck names gitty\'s overridden one; another running SWISH process keeps gitty\'s (SWISH\'s own replay)', async () => {
    const { dir: base, remove } = await tempDir('gitty-swish-running-');
    const dir = path.join(base, 'store');
    mkdirSync(dir);
    await swish(bin, ['create', dir, 's.pl', 'v0\n']);
    const server = startRunningSwish(bin, dir);
    const other = startRunningSwish(bin, dir);
    const opened = await openSwish(dir);
    try {
      await other.ask('heads');
      let overridden: string | undefined;
      let fromServer = '';
      for (let attempt = 0; attempt < 5 && overridden === undefined; attempt++) {
        // The server has just read ref/head, and reads it again only after a second: a gitty
        // update landing now is one it does not see when it updates the same file.
        await server.ask('wait');
        await server.ask('heads');
        const head = (await opened.head('s.pl'))!;
        const fromGitty = (await opened.update('s.pl', `gitty ${attempt}\n`, { previous: head })).commit;
        fromServer = String((await server.ask(`update s.pl server${attempt}`)).commit);
        const last = parseSwishHeadLine(readFileSync(path.join(dir, 'ref', 'head'), 'utf8').trimEnd().split('\n').at(-1)!);
        if (typeof last !== 'string' && last.new === fromServer && last.old === head) overridden = fromGitty;
      }
      expect(overridden, 'the server never appended a stale line in 5 tries (it took over a second)').toBeDefined();
      await opened.rescan();
      expect(await opened.head('s.pl')).toBe(fromServer);
      expect((await swishDump(bin, dir)).find((f) => f.name === 's.pl')!.history[0]!.commit).toBe(fromServer);
      await server.ask('wait');
      expect(await server.ask('heads')).toEqual({ 's.pl': fromServer });
      // A SWISH process that was running already applies a line only when its Old is the head it holds.
      await other.ask('wait');
      expect(await other.ask('heads')).toEqual({ 's.pl': overridden });
      const issues = (await opened.fsck()).errors.filter((e) => e.code === 'HEAD_LOG_OVERRIDE');
      expect(issues.map((e) => [e.name, e.hash])).toEqual([['s.pl', overridden]]);
    } finally {
      await opened.close();
      await server.stop();
      await other.stop();
      await remove();
    }
  });
});
