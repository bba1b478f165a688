/**
 * @gitty/cli — the `gitty` command line. Programmatic entry points for embedding and tests:
 * `runCli(argv)`, the command registry, store selection and the copy/compare algorithms.
 * @packageDocumentation
 */
export { runCli, buildProgram } from './cli.js';
export { type CommandGroup, commandGroups } from './commands/index.js';
export { CliContext, type GlobalOptions, withOpenStore, trapInterrupt } from './context.js';
export { selectStore, parseStoreSpec, loadConfigFile, DEFAULT_CONFIG_FILE, type StoreSelection, type StoreSelectionOptions } from './config.js';
export { copyStore, type CopyOptions, type CopyReport } from './copy-store.js';
export { compareStores, type Comparison } from './compare-stores.js';
export { parseDuration } from './duration.js';
export { UsageError, CliError, describeError, type ErrorReport } from './errors.js';
export { Output } from './output.js';
export { registerBuiltinDrivers } from './drivers.js';
export { withGitScratchRepo } from './git-scratch.js';
