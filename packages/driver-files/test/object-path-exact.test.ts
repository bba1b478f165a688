import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { gitObjectPaths, objectFile } from '@gitty/driver-files';

// Where an object file lives, and which names below `objects/` are objects at all: every
// files-based driver builds on this, and an untrusted string must never become a path.
const HASH = '0123456789abcdef0123456789abcdef01234567';

describe('gitObjectPaths', () => {
  it('is git\'s one-level layout', () => {
    expect(gitObjectPaths.name).toBe('git');
    expect(gitObjectPaths.depth).toBe(1);
    expect(gitObjectPaths.segments(HASH)).toEqual(['01', '23456789abcdef0123456789abcdef01234567']);
  });

  it('takes only two lower-case hex digits at level 0 as folders', () => {
    expect(gitObjectPaths.isFolder('0a', 0)).toBe(true);
    for (const name of ['0', '0a1', '0A', 'pack', 'info', 'x0a', '0ax', '.tmp-1']) expect(gitObjectPaths.isFolder(name, 0), name).toBe(false);
    expect(gitObjectPaths.isFolder('0a', 1)).toBe(false);
  });

  it('names a hash only for a folder and a file that together make one', () => {
    expect(gitObjectPaths.hashOf(['01', HASH.slice(2)])).toBe(HASH);
    expect(gitObjectPaths.hashOf([HASH])).toBeUndefined();
    expect(gitObjectPaths.hashOf(['01', '23', HASH.slice(4)])).toBeUndefined();
    expect(gitObjectPaths.hashOf(['01', `${HASH.slice(2, -1)}`])).toBeUndefined();
    expect(gitObjectPaths.hashOf(['01', '.tmp-host-1-ab'])).toBeUndefined();
  });

  it('objectFile validates the hash before it becomes a path', () => {
    expect(objectFile('/store/objects', gitObjectPaths, HASH)).toBe(path.join('/store/objects', '01', HASH.slice(2)));
    expect(() => objectFile('/store/objects', gitObjectPaths, '../../etc/passwd')).toThrow(expect.objectContaining({
      code: 'INVALID_HASH', message: 'Invalid object hash "../../etc/passwd": expected 40 lower-case hex digits',
    }));
  });
});
