import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, tempDir, waitFor } from '@gitty/driver-test/harness';
import { CatFile, HIGH_WATER } from '../src/import/cat-file.js';

// CatFile's bound after an answer larger than the bound: reading it may not pause git (it needs
// all of it), but once it is taken the 8 MiB bound holds again for what is asked ahead.
let root: { dir: string; remove: () => Promise<void> };
let repo: string;

async function stored(data: Uint8Array): Promise<string> {
  return (await git(['-C', repo, 'hash-object', '-w', '--stdin'], { input: data })).toString().trim();
}

/** Wait until git stops adding to the reader's buffer (it is paused, or done). */
async function settled(reader: CatFile): Promise<number> {
  let last = -1;
  await waitFor(async () => {
    const now = reader.bufferedBytes;
    const still = now === last && now > 0;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return still;
  }, 30_000);
  return reader.bufferedBytes;
}

beforeAll(async () => {
  root = await tempDir('gitty-cat-file-limit-');
  repo = path.join(root.dir, 'repo');
  await git(['init', '-q', '-b', 'main', repo]);
});
afterAll(async () => root.remove());

describe('CatFile after an answer above the bound', () => {
  it('reads a 12 MiB blob whole, then holds what is asked ahead to the bound again', async () => {
    const big = randomBytes(12 << 20);
    const ahead = Array.from({ length: 3 }, () => randomBytes(5 << 20));
    const bigHash = await stored(big);
    const hashes = [];
    for (const blob of ahead) hashes.push(await stored(blob));
    const reader = new CatFile(repo);
    try {
      const first = reader.request(bigHash);
      const pending = hashes.map((h) => reader.request(h));
      expect(Buffer.compare(Buffer.from((await first.take()).data), big)).toBe(0);
      const held = await settled(reader);
      expect(held).toBeGreaterThan(0);
      expect(held).toBeLessThanOrEqual(HIGH_WATER + (1 << 20));
      for (const [i, p] of pending.entries()) expect(Buffer.compare(Buffer.from((await p.take()).data), ahead[i] as Buffer), `blob ${i}`).toBe(0);
      expect(reader.bufferedBytes).toBe(0);
    } finally {
      await reader.close();
    }
  });
});
