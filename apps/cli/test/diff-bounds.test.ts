import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { openFilesStore } from './raw-store.js';

const LINES = 26_000;

/** `LINES` lines, no line shared with another `tag`'s text: the worst case of a line diff. */
function text(tag: string): string {
  return Array.from({ length: LINES }, (_, i) => `${tag} line ${i} ${(i * 7919) % 10007}\n`).join('');
}

// Two fully different 26k-line versions cost minutes of CPU in an unbounded Myers diff; the
// core's limits give up in seconds and the CLI prints "files differ, N → M lines".
describe('gitty diff of versions too different to diff', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-diff-'));
    store = path.join(dir, 'store');
    const opened = await openFilesStore(store);
    try {
      const first = await opened.create('big.txt', text('old'));
      await opened.update('big.txt', text('new'), { previous: first.commit });
    } finally {
      await opened.close();
    }
  });
  afterAll(async () => remove());

  it('answers within the limits with a note instead of a line diff', async () => {
    const started = Date.now();
    const [plain, json] = await Promise.all([
      gitty(['--store', store, 'diff', 'big.txt']),
      gitty(['--store', store, '--json', 'diff', 'big.txt']),
    ]);
    const seconds = (Date.now() - started) / 1000;
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/^big\.txt: [0-9a-f]{10} → [0-9a-f]{10}\nFiles big\.txt@[0-9a-f]{10} and big\.txt@[0-9a-f]{10} differ, 26000 → 26000 lines/);
    expect(json.json()).toMatchObject({ tooLarge: true });
    // Generous for a loaded machine: the unbounded diff took minutes.
    expect(seconds).toBeLessThan(60);
  });
});
