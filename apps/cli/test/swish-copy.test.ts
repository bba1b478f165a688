import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import {
  extractFixture, fixtureManifest, locateSwish, parseExactJson, swishDump, warnSwishMissing, type DumpedFile,
} from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];
const located = locateSwish();
if (located.reason) warnSwishMissing(located.reason, 'swish-copy.test.ts (SWISH reading the copied store)');

describe('gitty copy between a SWISH store and a native store', () => {
  let fixture: { dir: string; remove: () => Promise<void> };
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => {
    fixture = await extractFixture();
    ({ dir, remove } = await tempDir('gitty-cli-swish-'));
  });
  afterAll(async () => {
    await fixture.remove();
    await remove();
  });

  it('copies SWISH → native → SWISH with every hash preserved and compare clean; SWISH reads the result', async () => {
    const native = path.join(dir, 'native');
    const toNative = await gitty(['--json', 'copy', fixture.dir, native]);
    expect(toNative.code, toNative.stderr).toBe(0);
    expect(toNative.json()).toMatchObject({ files: 30, updated: 30, diverged: [], interrupted: false });
    expect(existsSync(path.join(native, 'objects'))).toBe(true);
    const first = await gitty(['compare', fixture.dir, native]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout).toBe('identical: 30 files, 117 versions\n');

    // A new SWISH store is chosen with format "swish" in a config file.
    const config = path.join(dir, 'swish.json');
    await writeFile(config, JSON.stringify({ driver: 'files', dir: './swish-copy', format: 'swish' }));
    const toSwish = await gitty(['--json', 'copy', native, config]);
    expect(toSwish.code, toSwish.stderr).toBe(0);
    expect(toSwish.json()).toMatchObject({ files: 30, updated: 30, diverged: [] });
    // compare checks every file's whole history, hash by hash.
    const [second, fsck] = await Promise.all([gitty(['compare', fixture.dir, config]), gitty(['--json', 'fsck', '--config', config])]);
    expect(second.stdout + second.stderr).toBe('identical: 30 files, 117 versions\n');
    expect(fsck.json()).toMatchObject({ ok: true });
    // SWISH's own layout: gzip objects at ab/cd/<36 hex>, no objects/ folder.
    const head = manifest[0]!.history[0]!.commit as string;
    expect(existsSync(path.join(dir, 'swish-copy', head.slice(0, 2), head.slice(2, 4), head.slice(4)))).toBe(true);
    expect(existsSync(path.join(dir, 'swish-copy', 'objects'))).toBe(false);
    if (located.bin) expect(await swishDump(located.bin, path.join(dir, 'swish-copy'))).toStrictEqual(manifest);
  });

  it('prints SWISH metadata as JSON with integers beyond 2^53 exact', async () => {
    const log = await gitty(['--json', 'log', 'prog1.swinb', '--store', fixture.dir]);
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toContain('"big": 12345678901234567890');
    const parsed = parseExactJson(log.stdout) as { history: Array<Record<string, unknown>> };
    expect(parsed.history.map((c) => c.commit)).toEqual(manifest.find((f) => f.name === 'prog1.swinb')!.history.map((v) => v.commit));
  });

  it('refuses to mix formats in one folder', async () => {
    const config = path.join(dir, 'mixed.json');
    await writeFile(config, JSON.stringify({ driver: 'files', dir: fixture.dir, format: 'git' }));
    const mixed = await gitty(['ls', '--config', config]);
    expect(mixed.code).toBe(1);
    expect(mixed.stderr).toMatch(/SWISH-format store; format "git" would mix formats/);
  });
});
