/**
 * Test support for SWISH-format stores (`@gitty/driver-test/swish`): the fixture real SWISH made,
 * an exact JSON reader for SWISH's dumps, and real SWISH's gitty run through `swish-gitty`
 * (`swipl` needed; where it is missing, tests say so loudly and skip).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseExactJson as parseCoreExactJson, type JsonValue } from '@gitty/core';
import { tempDir } from './harness.js';

const execFileAsync = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository's root (this file is `packages/driver-test/src/` or `dist/`). */
export const repoRoot = path.resolve(here, '../../..');

/**
 * The fixture SWISH made (kept in the repository with the SWISH format's reading side): a store
 * (`store/`) plus `manifest.json`, its `swish-gitty dump`.
 */
export const fixtureArchive = path.join(repoRoot, 'packages/driver-files/test/fixtures/swish/swish-store.tar.gz');
export const fixtureManifest = path.join(repoRoot, 'packages/driver-files/test/fixtures/swish/manifest.json');

/** Unpack the fixture into a temp folder; `dir` is the SWISH store. */
export async function extractFixture(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const temp = await tempDir('gitty-swish-');
  await execFileAsync('tar', ['xzf', fixtureArchive, '-C', temp.dir, 'store']);
  return { dir: path.join(temp.dir, 'store'), remove: temp.remove };
}

/**
 * Real SWISH: `GITTY_SWISH_GITTY`, or the test machine's SWISH runner next to the checkout, running
 * SWISH's own gitty under `swipl`. A missing SWISH throws, with how to install it, so the interop
 * tests fail loudly instead of vanishing (`scripts/setup-test-machine.sh` installs SWI-Prolog).
 * The `reason` branch of the result type is kept for callers written against the older,
 * skipping behaviour; it is never returned.
 */
export function locateSwish(): { bin: string; reason?: undefined } | { bin?: undefined; reason: string } {
  const found = findSwish();
  if (found.reason !== undefined) throw new Error(`real SWISH is required by the interop tests: ${found.reason}`);
  return found;
}

function findSwish(): { bin: string; reason?: undefined } | { bin?: undefined; reason: string } {
  const bin = process.env.GITTY_SWISH_GITTY ?? path.resolve(repoRoot, '../shared/swish/swish-gitty');
  if (!existsSync(bin)) return { reason: `SWISH runner not found at ${bin} (set GITTY_SWISH_GITTY)` };
  const swipl = (process.env.PATH ?? '').split(path.delimiter).some((d) => d !== '' && existsSync(path.join(d, 'swipl')));
  if (!swipl) return { reason: 'swipl is not installed (apt-get install -y swi-prolog-nox; scripts/setup-test-machine.sh does it)' };
  return { bin };
}

/** Say loudly, once per file, that the real-SWISH tests of this file are skipped and why. */
export function warnSwishMissing(reason: string, what: string): void {
  process.stderr.write(`\n*** SKIPPED ${what}: real SWISH is not available: ${reason} ***\n\n`);
}

/** Run `swish-gitty <args>` and return its stdout (rejects with stderr on a non-zero exit). */
export async function swish(bin: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync(bin, [...args], { maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; code?: number };
    throw new Error(`swish-gitty ${args.join(' ')} failed (exit ${String(e.code)}): ${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

/** One file of a `swish-gitty dump`: its name and history, each version's metadata plus `text`. */
export interface DumpedFile {
  name: string;
  history: Array<{ [key: string]: JsonValue }>;
}

/** `swish-gitty dump DIR`, parsed exactly (integers beyond 2^53 as bigints). */
export async function swishDump(bin: string, dir: string): Promise<DumpedFile[]> {
  return parseExactJson(await swish(bin, ['dump', dir])) as unknown as DumpedFile[];
}

/** JSON.parse, except that integers beyond 2^53 become bigints (so nothing is rounded). */
export function parseExactJson(text: string): JsonValue {
  return parseCoreExactJson(text) as JsonValue;
}
