import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, readSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openIfExists } from '../src/fs-sync.js';

// openIfExists is how the log readers tell "no such log yet" from a log they cannot read: a
// missing file must read as undefined, anything else must reach the caller.
let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function scratch(): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'gitty-fs-sync-exact-'));
  return dir;
}

describe('openIfExists', () => {
  it('opens an existing file for reading and hands the descriptor to the caller', () => {
    const file = path.join(scratch(), 'log');
    writeFileSync(file, 'abc');
    const fd = openIfExists(file);
    expect(typeof fd).toBe('number');
    try {
      const buf = Buffer.alloc(8);
      expect(readSync(fd!, buf, 0, 8, 0)).toBe(3);
      expect(buf.subarray(0, 3).toString()).toBe('abc');
    } finally {
      closeSync(fd!);
    }
  });

  it('answers undefined for a missing file and for a file under a path that is not a folder', () => {
    const root = scratch();
    expect(openIfExists(path.join(root, 'missing'))).toBeUndefined();
    writeFileSync(path.join(root, 'plain'), 'x');
    expect(openIfExists(path.join(root, 'plain', 'inside'))).toBeUndefined();
  });

  it('passes every other failure on', () => {
    const root = scratch();
    const loop = path.join(root, 'loop');
    symlinkSync(loop, loop);
    expect(() => openIfExists(loop)).toThrow(expect.objectContaining({ code: 'ELOOP', syscall: 'open' }));
  });
});
