import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { assertHash, hashObject, isHash, isGittyError } from '@gitty/core';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Real git's hashes of many files, in one process: `git hash-object [-t type --literally] f1 f2 …`. */
function gitHashes(contents: Uint8Array[], type = 'blob'): string[] {
  const files = contents.map((bytes, i) => {
    const file = path.join(dir, `f${i}`);
    writeFileSync(file, bytes);
    return file;
  });
  const typeArgs = type === 'blob' ? [] : ['-t', type, '--literally'];
  const out = execFileSync('git', ['hash-object', '--no-filters', ...typeArgs, ...files], { encoding: 'utf8' });
  return out.trim().split('\n');
}

describe('hashObject', () => {
  it('equals git hash-object for random bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 40 }), (contents) => {
        expect(contents.map((c) => hashObject('blob', c))).toEqual(gitHashes(contents));
      }),
      { numRuns: 8 },
    );
  });

  it('equals git hash-object for other object types and for the empty blob', () => {
    const contents = [new Uint8Array(0), new TextEncoder().encode('{"name":"a.pl"}\n')];
    expect(contents.map((c) => hashObject('commit', c))).toEqual(gitHashes(contents, 'commit'));
    expect(hashObject('blob', new Uint8Array(0))).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });

  it('accepts only 40 lower-case hex digits', () => {
    expect(isHash('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391')).toBe(true);
    for (const bad of ['E69DE29BB2D1D6434B8B29AE775AD8C2E48C5391', 'e69de29', `${'a'.repeat(40)}\n`, '../'.repeat(14), 42, null]) {
      expect(isHash(bad)).toBe(false);
      let err: unknown;
      try {
        assertHash(bad);
      } catch (e) {
        err = e;
      }
      expect(isGittyError(err) && err.code).toBe('INVALID_HASH');
    }
  });
});
