import { existsSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../src/harness.js';
import {
  extractFixture, fixtureArchive, fixtureManifest, locateSwish, parseExactJson, repoRoot, swish, swishDump, warnSwishMissing,
} from '../src/swish.js';

// The SWISH interop tests of every driver compare against real SWISH through these helpers: a
// locator that quietly finds nothing, or a dump reader that rounds big integers, would let
// those tests pass without comparing anything. Real SWISH (swipl) runs here.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
// The test machine's SWISH runner (see /work/shared/swish/README.md), wherever the checkout is.
const realBin = process.env.GITTY_SWISH_GITTY ?? '/work/shared/swish/swish-gitty';

const saved = { env: process.env.GITTY_SWISH_GITTY, path: process.env.PATH };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  if (saved.env === undefined) delete process.env.GITTY_SWISH_GITTY;
  else process.env.GITTY_SWISH_GITTY = saved.env;
  process.env.PATH = saved.path;
  vi.restoreAllMocks();
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function scratch(): Promise<string> {
  const t = await tempDir('gitty-swish-test-');
  cleanups.push(t.remove);
  return t.dir;
}

/** A stand-in swish-gitty: a shell script with the given body. */
async function fakeBin(body: string): Promise<string> {
  const bin = path.join(await scratch(), 'swish-gitty');
  await writeFile(bin, `#!/bin/sh\n${body}\n`);
  await chmod(bin, 0o755);
  return bin;
}

const outcome = (f: () => { bin?: string }) => {
  try {
    return f().bin;
  } catch (err) {
    return (err as Error).message;
  }
};

describe('where things are', () => {
  it('repoRoot is the checkout root, and the fixture is driver-files’ copy of what SWISH made', () => {
    expect(repoRoot).toBe(root);
    expect(fixtureArchive).toBe(path.join(root, 'packages/driver-files/test/fixtures/swish/swish-store.tar.gz'));
    expect(fixtureManifest).toBe(path.join(root, 'packages/driver-files/test/fixtures/swish/manifest.json'));
  });

  it('extractFixture unpacks the store into a temp folder and removes it again', async () => {
    const { dir, remove } = await extractFixture();
    expect(path.basename(dir)).toBe('store');
    expect(path.basename(path.dirname(dir))).toMatch(/^gitty-swish-/);
    expect(existsSync(path.join(dir, '87/5b/e039d911ad83d7807275d9b33d2c7d53826b'))).toBe(true);
    // Only the store: the archive's other members stay out.
    expect(await readdir(path.dirname(dir))).toEqual(['store']);
    await remove();
    expect(existsSync(path.dirname(dir))).toBe(false);
  });
});

describe('locateSwish', () => {
  it('takes GITTY_SWISH_GITTY when it exists and swipl is on PATH', () => {
    process.env.GITTY_SWISH_GITTY = realBin;
    expect(locateSwish()).toEqual({ bin: realBin });
  });

  it('defaults to the SWISH runner next to the checkout', () => {
    delete process.env.GITTY_SWISH_GITTY;
    const expected = path.resolve(root, '../shared/swish/swish-gitty');
    // In a copy of the checkout (a mutation sandbox) there is none next to it: then the error names the place.
    expect([expected, `real SWISH is required by the interop tests: SWISH runner not found at ${expected} (set GITTY_SWISH_GITTY)`]).toContain(
      outcome(locateSwish),
    );
  });

  it('throws, saying where it looked, when the runner is missing', () => {
    process.env.GITTY_SWISH_GITTY = '/nonexistent/swish-gitty';
    expect(() => locateSwish()).toThrow(
      new Error('real SWISH is required by the interop tests: SWISH runner not found at /nonexistent/swish-gitty (set GITTY_SWISH_GITTY)'),
    );
  });

  it('throws, saying how to install it, when swipl is not on PATH', async () => {
    process.env.GITTY_SWISH_GITTY = realBin;
    const dir = await scratch();
    await writeFile(path.join(dir, 'swipl'), '');
    await mkdir(path.join(dir, 'empty'));
    // Empty PATH entries are not the working directory (a swipl is put there for the check:
    // process.chdir is not available in worker threads), and a folder without swipl does not count.
    const inCwd = path.resolve('swipl');
    const placed = !existsSync(inCwd);
    if (placed) await writeFile(inCwd, '');
    try {
      process.env.PATH = `::${path.join(dir, 'empty')}:${path.join(dir, 'nothing-here')}`;
      expect(() => locateSwish()).toThrow(
        new Error(
          'real SWISH is required by the interop tests: swipl is not installed (apt-get install -y swi-prolog-nox; scripts/setup-test-machine.sh does it)',
        ),
      );
      delete process.env.PATH;
      expect(() => locateSwish()).toThrow(
        new Error(
          'real SWISH is required by the interop tests: swipl is not installed (apt-get install -y swi-prolog-nox; scripts/setup-test-machine.sh does it)',
        ),
      );
    } finally {
      if (placed) await rm(inCwd);
    }
    // And an entry holding swipl is found wherever it is in PATH.
    process.env.PATH = `${path.join(dir, 'nothing-here')}:${dir}`;
    expect(locateSwish()).toEqual({ bin: realBin });
  });

  it('warnSwishMissing says loudly on stderr what is skipped and why', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    warnSwishMissing('no swipl', 'the interop tests');
    expect(write.mock.calls).toEqual([['\n*** SKIPPED the interop tests: real SWISH is not available: no swipl ***\n\n']]);
  });
});

describe('swish and swishDump', () => {
  it('swish passes the arguments and returns stdout', async () => {
    const bin = await fakeBin('printf "%s|" "$@"');
    expect(await swish(bin, ['create', '/some dir', 'a.pl'])).toBe('create|/some dir|a.pl|');
  });

  it('swish rejects with the arguments, exit code, stderr and stdout', async () => {
    const bin = await fakeBin('echo out; echo err >&2; exit 3');
    await expect(swish(bin, ['fsck', '/x'])).rejects.toThrow(new Error('swish-gitty fsck /x failed (exit 3): err\nout\n'));
  });

  it('swish takes output far beyond the default 1 MiB buffer', async () => {
    const bin = await fakeBin('head -c 3000000 /dev/zero | tr "\\0" a');
    expect((await swish(bin, [])).length).toBe(3_000_000);
  });

  it("swishDump of the fixture is real SWISH's dump, the manifest, big integers exact", async () => {
    const { dir, remove } = await extractFixture();
    cleanups.push(remove);
    const dump = await swishDump(realBin, dir);
    const manifest = parseExactJson(await readFile(fixtureManifest, 'utf8'));
    expect(dump).toEqual(manifest);
    const prog1 = dump.find((f) => f.name === 'prog1.swinb')!;
    expect(prog1.history.some((v) => v.big === 12345678901234567890n)).toBe(true);
  });
});

describe('parseExactJson', () => {
  it('parses JSON, with integers beyond 2^53 as bigints and the rest as numbers', () => {
    expect(parseExactJson('{"a":9007199254740993,"b":[1,-2.5,"x",null,true],"c":-12345678901234567890}')).toEqual({
      a: 9007199254740993n,
      b: [1, -2.5, 'x', null, true],
      c: -12345678901234567890n,
    });
  });
});
