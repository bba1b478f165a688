import type { Command } from 'commander';
import { action } from '../action.js';
import type { CliContext } from '../context.js';
import { UsageError } from '../errors.js';
import { storeFolderOf, runGit, withGitScratchRepo } from '../git-scratch.js';
import { prepareStoreFolders, storeFolderPaths } from '../store-guard.js';

/** git: real git, read-only, over the store's objects. */
export function gitCommands(program: Command): void {
  const git = program
    .command('git')
    .description('run real git read-only against the store\'s objects, e.g. `gitty git cat-file -p <hash>`')
    .argument('[args...]', 'git arguments')
    .allowUnknownOption()
    .helpOption(false)
    .addHelpText('after', '\ngit\'s own help: `gitty git help <command>` or `gitty git <command> -h`.');
  git.action(action(async (ctx: CliContext, args: string[]) => {
    if (args.length === 0) throw new UsageError('No git command given', 'e.g. `gitty git cat-file -p <hash>` or `gitty git verify-pack -v <pack>.idx`');
    // `gitty git --help` is about this command; `gitty git log --help` is git's business.
    if (args[0] === '--help' || args[0] === '-h') {
      git.outputHelp();
      return 0;
    }
    const selection = await ctx.selection();
    await prepareStoreFolders(selection);
    const store = await storeFolderOf(storeFolderPaths(selection));
    return withGitScratchRepo(store, (gitDir) => runGit(gitDir, args, ctx.io));
  }));
}
