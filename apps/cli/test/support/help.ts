// help-exact and commands-mutants (for the s6-cli-e and s6-cli-h survivors) both pin the help of
// copy, compare, repack and demo: one text and one check for both, so a changed text is updated once.
import { describe, expect, it } from 'vitest';
import { gitty } from '../cli-process.js';

export const SHARED_HELP = {
  demo: `Usage: gitty demo [options] [dir]

create a store (a temp dir by default), save files with versions, and show ls,
log, diff, repack, fsck and stats

Options:
  -h, --help  display help for command
`,
  repack: `Usage: gitty repack [options]

pack loose objects into a git pack with deltas (drivers with packs); Ctrl-C
stops safely

Options:
  --min-files <n>  only repack when at least this many loose objects exist
                   (default: "1")
  --window <n>     candidate bases per delta search
  --depth <n>      longest delta chain
  -h, --help       display help for command
`,
  copy: `Usage: gitty copy [options] <from> <to>

copy every file with its whole history, hashes preserved; incremental; Ctrl-C
leaves both stores valid (a store is a directory (files driver), <driver>:<dir>
such as sqlite:./s, or a .json config file)

Options:
  --concurrency <n>  files copied at once (default: "4")
  -h, --help         display help for command
`,
  compare: `Usage: gitty compare [options] <a> <b>

compare two stores: same files, heads and histories? exit status 1 when they
differ (a store is a directory (files driver), <driver>:<dir> such as
sqlite:./s, or a .json config file)

Options:
  --quick     compare heads only, without checking every object of every history
  -h, --help  display help for command
`,
} as const;

/** One test a command: `gitty <command> --help` prints exactly its text, on stdout, with status 0. */
export function describeHelp(title: string, help: Readonly<Record<string, string>>): void {
  describe(title, () => {
    for (const [command, text] of Object.entries(help)) {
      it(`gitty ${command} --help`, async () => {
        const result = await gitty([command, '--help']);
        expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({ code: 0, stdout: text, stderr: '' });
      });
    }
  });
}
