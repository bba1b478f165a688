import { describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { HeadChange } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { detectFormats, gzipCompression, resolveStoreFormat, swishObjectPaths } from '@gitty/driver-files';
import { OldsSeen, overriddenHeads, swishStartCorrections } from '../../src/swish/replay.js';

const h = (digit: string) => digit.repeat(40);
const c = (name: string, old: string | null, next: string | null): HeadChange => ({ name, old, new: next });

describe('SWISH start-up replay (swishStartCorrections)', () => {
  it('is empty when the last line per name is where SWISH ends', () => {
    expect(swishStartCorrections([])).toEqual([]);
    expect(swishStartCorrections([c('a', null, h('1')), c('a', h('1'), h('2')), c('b', null, h('3'))])).toEqual([]);
    // A stale line (its Old not the head) still wins by last-line-wins, and the second pass cannot move it.
    expect(swishStartCorrections([c('a', null, h('1')), c('a', h('1'), h('2')), c('a', h('1'), h('3'))])).toEqual([]);
  });

  it('walks on when a head returns to a commit an earlier line moved away from', () => {
    // A stale last line sets a to 1; the second pass from 1 applies 1→2 again, and the stale line no more.
    const events = [c('a', null, h('1')), c('a', h('1'), h('2')), c('a', h('3'), h('1'))];
    expect(swishStartCorrections(events)).toEqual([c('a', h('1'), h('2'))]);
    // A `-` line applies only when the name has no head: here it has one.
    expect(swishStartCorrections([c('b', h('5'), h('6')), c('b', null, h('5'))])).toEqual([c('b', h('5'), h('6'))]);
    // Deletions (new: null) are ignored by both passes.
    expect(swishStartCorrections([c('a', null, h('1')), c('a', h('1'), null)])).toEqual([]);
  });
});

describe('OldsSeen', () => {
  it('remembers Olds per name and answers whether a line may return a head to one', () => {
    const olds = new OldsSeen();
    olds.add(c('a', h('1'), h('2')));
    olds.add(c('b', null, h('3')));
    expect(olds.mayReturnToEarlierHead(c('a', h('2'), h('1')))).toBe(true);
    expect(olds.mayReturnToEarlierHead(c('b', h('2'), h('1')))).toBe(false);
    expect(olds.mayReturnToEarlierHead(c('a', h('2'), h('3')))).toBe(false);
    expect(olds.mayReturnToEarlierHead(c('a', h('1'), null))).toBe(false);
    // The key mixes in the hash's first 7 hex digits: a hash differing only later matches (a false match is allowed).
    expect(olds.mayReturnToEarlierHead(c('a', h('2'), `${'1'.repeat(7)}${'f'.repeat(33)}`))).toBe(true);
    expect(olds.mayReturnToEarlierHead(c('a', h('2'), `${'1'.repeat(6)}f${'1'.repeat(33)}`))).toBe(false);
    olds.clear();
    expect(olds.mayReturnToEarlierHead(c('a', h('2'), h('1')))).toBe(false);
  });
});

describe('overriddenHeads', () => {
  it('lists lines whose Old was not the head they replaced, unless a later line set that head again', () => {
    const lines = [
      { line: 3, change: c('a', null, h('1')) },
      { line: 4, change: c('a', h('1'), h('2')) },
      // stale: Old 1, but the head is 2 → overrides 2
      { line: 5, change: c('a', h('1'), h('3')) },
      { line: 6, change: c('b', null, h('7')) },
      // '-' with a head present overrides it; later put back
      { line: 7, change: c('b', null, h('8')) },
      { line: 8, change: c('b', h('8'), h('7')) },
      // a line setting the head it already has overrides nothing
      { line: 9, change: c('a', h('9'), h('3')) },
      { line: 10, change: c('a', h('3'), null) },
    ];
    expect(overriddenHeads(lines)).toEqual([{ line: 5, name: 'a', overridden: h('2'), old: h('1'), by: h('3') }]);
    expect(overriddenHeads(lines.slice(0, 5))).toEqual([
      { line: 5, name: 'a', overridden: h('2'), old: h('1'), by: h('3') },
      { line: 7, name: 'b', overridden: h('7'), old: null, by: h('8') },
    ]);
  });
});

describe('SWISH gzip objects', () => {
  it('deflates to gzip at the given level (default 6) and inflates, failing past maxOutput', () => {
    const data = new TextEncoder().encode('hello hello hello hello\n');
    const packed = gzipCompression.deflate(data);
    expect(gzipCompression.name).toBe('gzip');
    expect(Buffer.from(packed)).toEqual(gzipSync(data, { level: 6 }));
    expect(Buffer.from(gzipCompression.deflate(data, 1))).toEqual(gzipSync(data, { level: 1 }));
    expect(Buffer.from(gunzipSync(packed))).toEqual(Buffer.from(data));
    expect(Buffer.from(gzipCompression.inflate(packed, data.length))).toEqual(Buffer.from(data));
    expect(() => gzipCompression.inflate(packed, data.length - 1)).toThrow(expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }));
    // maxOutput 0 is taken as 1: an empty object still inflates.
    expect(gzipCompression.inflate(gzipCompression.deflate(new Uint8Array()), 0)).toEqual(new Uint8Array());
  });
});

describe('SWISH object paths', () => {
  it('ab/cd/<36 hex>, folders of two hex digits on the two upper levels only', () => {
    const hash = `abcd${'0'.repeat(36)}`;
    expect(swishObjectPaths.name).toBe('swish');
    expect(swishObjectPaths.depth).toBe(2);
    expect(swishObjectPaths.segments(hash)).toEqual(['ab', 'cd', '0'.repeat(36)]);
    expect(swishObjectPaths.hashOf(['ab', 'cd', '0'.repeat(36)])).toBe(hash);
    expect(swishObjectPaths.hashOf(['ab', 'cd', '0'.repeat(35)])).toBeUndefined();
    expect(swishObjectPaths.hashOf(['ab', 'cd', '0'.repeat(36), 'x'])).toBeUndefined();
    expect(swishObjectPaths.hashOf(['ab', 'cd'])).toBeUndefined();
    expect(swishObjectPaths.hashOf(['AB', 'cd', '0'.repeat(36)])).toBeUndefined();
    expect(swishObjectPaths.isFolder('ab', 0)).toBe(true);
    expect(swishObjectPaths.isFolder('ab', 1)).toBe(true);
    expect(swishObjectPaths.isFolder('ab', 2)).toBe(false);
    expect(swishObjectPaths.isFolder('ag', 0)).toBe(false);
    expect(swishObjectPaths.isFolder('abc', 0)).toBe(false);
    expect(swishObjectPaths.isFolder('xab', 0)).toBe(false);
  });
});

describe('store format detection', () => {
  async function folder(build: (dir: string) => Promise<void>): Promise<{ dir: string; remove: () => Promise<void> }> {
    const made = await tempDir('gitty-detect-');
    await build(made.dir);
    return made;
  }

  it('tells git, SWISH, both and neither apart by folders and the head log\'s first bytes', async () => {
    const cases: [string, (dir: string) => Promise<void>, string[]][] = [
      ['empty', async () => undefined, []],
      ['objects folder', async (d) => mkdir(path.join(d, 'objects')).then(() => undefined), ['git']],
      ['objects file', async (d) => writeFile(path.join(d, 'objects'), ''), []],
      ['two-hex folder', async (d) => mkdir(path.join(d, 'a0')).then(() => undefined), ['swish']],
      ['three-hex folder', async (d) => mkdir(path.join(d, 'a00')).then(() => undefined), []],
      ['pack/x.pack', async (d) => { await mkdir(path.join(d, 'pack')); await writeFile(path.join(d, 'pack', 'x.pack'), ''); }, ['swish']],
      ['pack/x.idx', async (d) => { await mkdir(path.join(d, 'pack')); await writeFile(path.join(d, 'pack', 'x.idx'), ''); }, []],
      ['JSON log', async (d) => { await mkdir(path.join(d, 'ref')); await writeFile(path.join(d, 'ref', 'head'), '  {"epoch":"x"}\n'); }, ['git']],
      ['epoch( log', async (d) => { await mkdir(path.join(d, 'ref')); await writeFile(path.join(d, 'ref', 'head'), '\nepoch(1).\n'); }, ['swish']],
      ['head( log', async (d) => { await mkdir(path.join(d, 'ref')); await writeFile(path.join(d, 'ref', 'head'), 'head(a,-,b).\n'); }, ['swish']],
      ['other log', async (d) => { await mkdir(path.join(d, 'ref')); await writeFile(path.join(d, 'ref', 'head'), 'hello\n'); }, []],
      ['both', async (d) => { await mkdir(path.join(d, 'objects')); await mkdir(path.join(d, 'ab')); }, ['git', 'swish']],
    ];
    for (const [label, build, expected] of cases) {
      const { dir, remove } = await folder(build);
      try {
        expect([...detectFormats(dir)].sort(), label).toEqual(expected);
      } finally {
        await remove();
      }
    }
    expect([...detectFormats('/nonexistent-gitty-folder')]).toEqual([]);
  });

  it('resolveStoreFormat keeps the folder\'s format, takes the asked one for a new folder, and refuses mixing', async () => {
    const { dir, remove } = await folder(async (d) => mkdir(path.join(d, 'ab')).then(() => undefined));
    try {
      expect(resolveStoreFormat(dir, undefined)).toBe('swish');
      expect(resolveStoreFormat(dir, 'swish')).toBe('swish');
      expect(() => resolveStoreFormat(dir, 'git')).toThrow(expect.objectContaining({
        code: 'INVALID_CONFIG', message: `${dir} is a SWISH-format store; format "git" would mix formats in one folder — use format "swish" or another folder`,
      }));
      await mkdir(path.join(dir, 'objects'));
      expect(() => resolveStoreFormat(dir, undefined)).toThrow(expect.objectContaining({
        code: 'INVALID_CONFIG', message: `${dir} holds both a git-format and a SWISH-format store; a folder never mixes formats — move one of them out`,
      }));
    } finally {
      await remove();
    }
    const git = await folder(async (d) => mkdir(path.join(d, 'objects')).then(() => undefined));
    try {
      expect(() => resolveStoreFormat(git.dir, 'swish')).toThrow(expect.objectContaining({
        message: `${git.dir} is a git-format store; format "swish" would mix formats in one folder — use format "git" or another folder`,
      }));
      expect(resolveStoreFormat(git.dir, 'git')).toBe('git');
    } finally {
      await git.remove();
    }
    const empty = await folder(async () => undefined);
    try {
      expect(resolveStoreFormat(empty.dir, undefined)).toBe('git');
      expect(resolveStoreFormat(empty.dir, 'swish')).toBe('swish');
    } finally {
      await empty.remove();
    }
  });
});
