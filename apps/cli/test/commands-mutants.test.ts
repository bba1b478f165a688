import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { gitty } from './cli-process.js';
import { describeHelp, SHARED_HELP } from './support/help.js';
import { barClearedBeforeResult, onTerminal } from './support/terminal.js';

// What the other exact tests leave open in commands/git.ts, maintenance.ts and migrate.ts
// (mutation survivors): the help of git, init, fsck, unpack, gc, reindex, stats, repack, copy and
// compare (s6-cli-e: their texts survived), and the progress bars of copy and compare on a
// terminal, cleared before the result.

const HELP: Record<string, string> = {
  git: `Usage: gitty git [args...]

run real git read-only against the store's objects, e.g. \`gitty git cat-file -p
<hash>\`

Arguments:
  args  git arguments

git's own help: \`gitty git help <command>\` or \`gitty git <command> -h\`.
`,
  init: `Usage: gitty init [options]

create an empty store (the directory is made if needed); the only command that
makes a store of a folder with other files

Options:
  -h, --help  display help for command
`,
  fsck: `Usage: gitty fsck [options]

verify every object, history and head; exit status 1 when anything is wrong

Options:
  -h, --help  display help for command
`,
  unpack: `Usage: gitty unpack [options]

turn packed objects back into loose ones (drivers with packs)

Options:
  -h, --help  display help for command
`,
  gc: `Usage: gitty gc [options]

delete objects no head reaches that are older than the grace period

Options:
  --grace <duration>  keep unreachable objects younger than this (e.g. 30m, 1h,
                      2d, 0) (default: "1h")
  --dry-run           only report what would be deleted
  -h, --help          display help for command
`,
  reindex: `Usage: gitty reindex [options]

rebuild the driver's index from the objects and the head log (drivers with an
index)

Options:
  -h, --help  display help for command
`,
  stats: `Usage: gitty stats [options]

files, versions, objects loose/packed and bytes on disk

Options:
  -h, --help  display help for command
`,
  demo: SHARED_HELP.demo,
  repack: SHARED_HELP.repack,
  copy: SHARED_HELP.copy,
  compare: SHARED_HELP.compare,
};

describeHelp('command help (git and maintenance)', HELP);

describe('copy and compare on a terminal', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-commands-mutants-')));
  afterAll(async () => remove());

  async function source(label: string): Promise<string> {
    const store = path.join(dir, label);
    for (let i = 0; i < 3; i++) expect((await gitty(['--store', store, 'put', `f${i}.txt`, '-'], { input: `${i}\n` })).code).toBe(0);
    return store;
  }

  it('copy draws a "copy" bar and clears it before the result', async () => {
    const from = await source('copy-from');
    const run = await onTerminal(['copy', from, path.join(dir, 'copy-to')]);
    expect([run.code, run.stdout]).toEqual([0, 'copied 6 objects; files: 3 updated, 0 up to date, 3 in all\n']);
    barClearedBeforeResult(run, 'copy');
  });

  it('compare draws a "compare" bar and clears it before the result', async () => {
    const a = await source('compare-a');
    const b = path.join(dir, 'compare-b');
    expect((await gitty(['copy', a, b])).code).toBe(0);
    const run = await onTerminal(['compare', a, b]);
    expect([run.code, run.stdout]).toEqual([0, 'identical: 3 files, 3 versions\n']);
    barClearedBeforeResult(run, 'compare');
  });
});
