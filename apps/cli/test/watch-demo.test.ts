import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '@gitty/driver-test/harness';
import { collectOutput, gitty, startGitty } from './cli-process.js';

describe('watch', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-watch-')));
  afterAll(async () => remove());

  it('prints head changes made by other processes until SIGINT, as text and as JSON lines', async () => {
    const store = path.join(dir, 'store');
    expect((await gitty(['--store', store, 'init'])).code).toBe(0);
    const text = startGitty(['--store', store, 'watch']);
    const json = startGitty(['--store', store, '--json', 'watch']);
    const [textOut, jsonOut] = [collectOutput(text), collectOutput(json)];
    try {
      await waitFor(() => /^watching /.test(textOut.stderr()) && /^watching /.test(jsonOut.stderr()), 30_000);
      const created = (await gitty(['--store', store, '--json', 'put', 'w.txt', '-'], { input: 'one\n' })).json<{ commit: { commit: string } }>().commit.commit;
      const updated = (await gitty(['--store', store, '--json', 'put', 'w.txt', '-'], { input: 'two\n' })).json<{ commit: { commit: string } }>().commit.commit;
      await waitFor(() => textOut.stdout().split('\n').length > 2 && jsonOut.stdout().split('\n').length > 2, 30_000);
      const lines = textOut.stdout().trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d created w.txt - → ${created.slice(0, 10)}$`));
      expect(lines[1]).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d updated w.txt ${created.slice(0, 10)} → ${updated.slice(0, 10)}$`));
      const events = jsonOut.stdout().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events).toMatchObject([
        { name: 'w.txt', old: null, new: created, origin: 'remote' },
        { name: 'w.txt', old: created, new: updated, origin: 'remote' },
      ]);
    } finally {
      text.kill('SIGINT');
      json.kill('SIGINT');
    }
    expect((await textOut.exited).code).toBe(0);
    expect((await jsonOut.exited).code).toBe(0);
  });
});

describe('demo', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-demo-')));
  afterAll(async () => remove());

  it('shows the whole idea on one screen, in a temp store left to explore', async () => {
    const demo = await gitty(['demo']);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stderr).toBe('');
    const out = demo.stdout;
    const demoDir = /^store: (\S+) \(packs driver\)$/m.exec(out)?.[1];
    expect(demoDir).toMatch(/gitty-demo-/);
    try {
      for (const title of ['1. Save files', '2. List files', '3. A file\'s history', '4. What changed', '5. Optimistic concurrency', '6. Objects are git objects', '7. Pack loose objects', '8. Verify', '9. Store statistics']) {
        expect(out).toContain(title);
      }
      expect(out).toMatch(/refused NOT_AT_HEAD: hello.pl is at [0-9a-f]{10}, not [0-9a-f]{10}; nothing overwritten/);
      expect(out).toMatch(/blob [0-9a-f]{40} {2}= git hash-object/);
      expect(out).toMatch(/packed 14 objects \(\d+ deltas\)/);
      expect(out).toMatch(/ok: 14 objects, 7 commits, 3 heads/);
      expect(out).toMatch(/3 files, 6 versions; objects 0 loose \+ 14 packed \(1 pack\); [\d.]+ KiB on disk/);
      expect(out.split('\n').length).toBeLessThanOrEqual(50);

      const [ls, again, json] = await Promise.all([
        gitty(['--store', demoDir!, '--driver', 'packs', 'ls']),
        gitty(['demo', demoDir!]),
        gitty(['--json', 'demo', path.join(dir, 'demo-json')]),
      ]);
      expect(ls.stdout).toMatch(/^hello.pl .*\nnotes.md .*\nqueens.pl .*\n$/);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/^gitty: The demo needs an empty store, but .* already has "/);
      expect(json.json()).toMatchObject({ driver: 'packs', fsck: { ok: true }, stats: { files: 3, versions: 6 } });
    } finally {
      await rm(demoDir!, { recursive: true, force: true });
    }
  });
});
