import type { Command } from 'commander';
import { action } from '../action.js';
import { assertStoreExists, storeDirs } from '../config.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { storeFolderOf, runGit, withGitScratchRepo } from '../git-scratch.js';

/** git: real git, read-only, over the store's objects. */
export function gitCommands(program: Command): void {
  program
    .command('git')
    .description('run real git read-only against the store\'s objects, e.g. `gitty git cat-file -p <hash>`')
    .argument('[args...]', 'git arguments')
    .allowUnknownOption()
    .helpOption(false)
    .action(action(async (ctx: CliContext, args: string[]) => {
      if (args.length === 0) throw new UsageError('No git command given', 'e.g. `gitty git cat-file -p <hash>` or `gitty git verify-pack -v <pack>.idx`');
      const selection = await ctx.selection();
      await assertStoreExists(selection);
      const store = await storeFolderOf(storeDirs(selection.config));
      return withGitScratchRepo(store, (gitDir) => runGit(gitDir, args));
    }));
}
