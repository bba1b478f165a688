import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { openFilesStore, writeRawCommit } from './raw-store.js';

// Stores written by other programs hold metadata of other types (SWISH writes `commit_message: 1`);
// the Store API may refuse to write such commits, but every reader must show them.
describe('reading commits whose metadata has unexpected JSON types', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let store: string;
  let first: string;
  let second: string;

  beforeAll(async () => {
    ({ dir, remove } = await tempDir('gitty-cli-tolerant-'));
    store = path.join(dir, 'store');
    const opened = await openFilesStore(store);
    try {
      await opened.create('good.txt', 'fine\n', { author: 'jan', tags: ['ok'] });
      const blob1 = await opened.save('one\n');
      const blob2 = await opened.save('two\n');
      first = await writeRawCommit(opened, { name: 'bad.txt', data: blob1, time: 1_700_000_000, tags: 'notarray', author: { a: 1 }, commit_message: 1 });
      second = await writeRawCommit(opened, {
        name: 'bad.txt', data: blob2, time: 1_700_000_100, previous: first, tags: [1, 'ok', null], author: ['x'], commit_message: { m: 'x' },
      });
      const far = await writeRawCommit(opened, { name: 'far.txt', data: blob1, time: 1e300, tags: null, author: { a: 1 }, user: 7 });
      await opened.driver.updateHead('bad.txt', null, second);
      await opened.driver.updateHead('far.txt', null, far);
    } finally {
      await opened.close();
    }
  });
  afterAll(async () => remove());

  it('ls, log, get and diff show them instead of crashing', async () => {
    const s = ['--store', store];
    const [ls, lsTime, lsTag, log, logFar, get, meta, diff, diffBoth] = await Promise.all([
      gitty([...s, 'ls']),
      gitty([...s, 'ls', '--order', 'time']),
      gitty([...s, 'ls', '--tag', 'ok']),
      gitty([...s, 'log', 'bad.txt']),
      gitty([...s, 'log', 'far.txt']),
      gitty([...s, 'get', 'bad.txt']),
      gitty([...s, 'get', '--meta', 'bad.txt']),
      gitty([...s, 'diff', 'bad.txt']),
      gitty([...s, 'diff', first, second]),
    ]);
    for (const result of [ls, lsTime, lsTag, log, logFar, get, meta, diff, diffBoth]) {
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('');
    }
    expect(ls.stdout).toMatch(/^bad\.txt\s+[0-9a-f]{10}\s+2023-11-14 22:15:00\s+\["x"\]\s+#1 #ok #null\n/);
    expect(ls.stdout).toMatch(/\nfar\.txt\s+[0-9a-f]{10}\s+\?\s+\{"a":1\}\n/);
    expect(ls.stdout).toMatch(/\ngood\.txt\s+[0-9a-f]{10}\s+\S+ \S+\s+jan\s+#ok\n$/);
    expect(lsTime.stdout.split('\n')[0]).toMatch(/^far\.txt/);
    expect(lsTag.stdout).toMatch(/^bad\.txt .*\ngood\.txt .*\n$/);
    expect(log.stdout).toBe(
      `${second.slice(0, 10)}  2023-11-14 22:15:00  ["x"] {"m":"x"} #1 #ok #null\n`
      + `${first.slice(0, 10)}  2023-11-14 22:13:20  {"a":1} 1 #notarray\n`,
    );
    expect(logFar.stdout).toMatch(/^[0-9a-f]{10} {2}\? {2}\{"a":1\}\n$/);
    expect(get.stdout).toBe('two\n');
    expect(JSON.parse(meta.stdout)).toMatchObject({ tags: [1, 'ok', null], author: ['x'], commit_message: { m: 'x' } });
    expect(diff.stdout).toContain('-one\n+two\n');
    expect(diffBoth.stdout).toContain('-one\n+two\n');
  });

  it('--json passes the stored values through unchanged', async () => {
    const s = ['--store', store, '--json'];
    const [ls, log, diff] = await Promise.all([gitty([...s, 'ls']), gitty([...s, 'log', 'bad.txt']), gitty([...s, 'diff', 'bad.txt'])]);
    expect(ls.json<{ name: string; commit: Record<string, unknown> }[]>().map((e) => [e.name, e.commit.tags])).toEqual([
      ['bad.txt', [1, 'ok', null]], ['far.txt', null], ['good.txt', ['ok']],
    ]);
    expect(log.json<{ history: Record<string, unknown>[] }>().history.map((c) => c.tags)).toEqual([[1, 'ok', null], 'notarray']);
    expect(diff.json<{ data: string }>().data).toContain('+two');
  });
});
