import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The host part of writer tags is computed once, when temp-files.ts loads, from
// os.hostname(): a stubbed hostname and a fresh import per test make it deterministic.
// process.kill is stubbed where a test needs a pid's liveness to be a given answer, and
// unlink where a removal must fail (as root no permission makes it fail).
const fake = vi.hoisted(() => ({
  /** What os.hostname() answers; undefined: the real one. */
  hostname: undefined as string | undefined,
  /** When set, unlink from node:fs/promises rejects with this errno code. */
  unlinkFails: undefined as string | undefined,
}));

vi.mock('node:os', async (importOriginal) => {
  // temp-files.ts takes the default export (`import os from 'node:os'`): stub it there too.
  const real = await importOriginal<typeof import('node:os') & { default: typeof import('node:os') }>();
  const hostname = (): string => fake.hostname ?? real.hostname();
  return { ...real, hostname, default: { ...real.default, hostname } };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const unlink = (file: Parameters<typeof real.unlink>[0]): Promise<void> =>
    fake.unlinkFails === undefined ? real.unlink(file) : Promise.reject(Object.assign(new Error(`${fake.unlinkFails}: injected`), { code: fake.unlinkFails }));
  return { ...real, unlink };
});

/** temp-files.ts loaded afresh, so its host is taken from the hostname stubbed now. */
async function load(hostname: string): Promise<typeof import('../src/temp-files.js')> {
  fake.hostname = hostname;
  vi.resetModules();
  return import('../src/temp-files.js');
}

/** Make process.kill(pid, 0) fail with `code` for every pid (ESRCH: no such process; EPERM: someone else's). */
function killFails(code: string): void {
  vi.spyOn(process, 'kill').mockImplementation(() => {
    throw Object.assign(new Error(`kill ${code}: injected`), { code });
  });
}

let dir: string | undefined;
beforeEach(() => {
  fake.hostname = undefined;
  fake.unlinkFails = undefined;
});
afterEach(() => {
  vi.restoreAllMocks();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const tagOf = (host: string) => new RegExp(`^${host.replace(/\./g, '\\.')}-${process.pid}-[0-9a-f]{12}$`);

describe('the host part of writer tags', () => {
  it('replaces each character outside [A-Za-z0-9_.] by one underscore (none dropped)', async () => {
    const { writerTag, tempName } = await load('web-01.example com');
    expect(writerTag()).toMatch(tagOf('web_01.example_com'));
    expect(tempName().startsWith(`.tmp-web_01.example_com-${process.pid}-`)).toBe(true);
  });

  it('keeps at most the first 64 characters of a long hostname', async () => {
    const { writerTag } = await load(`${'h'.repeat(64)}-tail.example`);
    expect(writerTag()).toMatch(tagOf('h'.repeat(64)));
  });

  it('is `host` when the hostname is empty, so a tag never starts with its separator', async () => {
    const { writerTag, isOwnTag } = await load('');
    const tag = writerTag();
    expect(tag).toMatch(tagOf('host'));
    expect(isOwnTag(tag)).toBe(true);
  });
});

describe('writerGone and isOwnTag', () => {
  it('a pid that exists but is someone else\'s (EPERM) is alive: its writer is not gone', async () => {
    const { writerGone } = await load('here');
    killFails('EPERM');
    expect(writerGone(`here-${process.pid + 1}-ab`)).toBe(false);
  });

  it('a pid that does not exist (ESRCH) is gone — but never this process\'s own pid', async () => {
    const { writerGone } = await load('here');
    killFails('ESRCH');
    expect(writerGone(`here-${process.pid + 1}-ab`)).toBe(true);
    // The tag's own-pid check, not the probe, keeps this process's files: whatever the
    // process table answers, its own temp files are never taken for a dead writer's.
    expect(writerGone(`here-${process.pid}-ab`)).toBe(false);
  });

  it('the whole tag must be one line of the tag\'s shape: a line break before a valid tag is not it', async () => {
    const { writerGone, isOwnTag } = await load('here');
    killFails('ESRCH');
    // `.` does not match a line break, so only an unanchored match could start after it.
    expect(writerGone(`elsewhere\nhere-${process.pid + 1}-ab`)).toBe(false);
    expect(isOwnTag(`elsewhere\nhere-${process.pid}-ab`)).toBe(false);
    expect(isOwnTag(`here-${process.pid}-ab`)).toBe(true);
  });
});

describe('removeStaleTemps', () => {
  it('counts only the temps it removed: a stale one whose unlink fails is not counted', async () => {
    const { removeStaleTemps, STALE_TEMP_MS } = await load('here');
    dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-temps-mutants-'));
    // Another host's temp file, stale by age alone (no pid is probed).
    const old = path.join(dir, '.tmp-far_away-1-cc');
    writeFileSync(old, 'x');
    const longAgo = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    utimesSync(old, longAgo, longAgo);
    fake.unlinkFails = 'EBUSY';
    expect(await removeStaleTemps(dir)).toBe(0);
    expect(existsSync(old)).toBe(true);
    fake.unlinkFails = undefined;
    expect(await removeStaleTemps(dir)).toBe(1);
    expect(existsSync(old)).toBe(false);
  });
});
