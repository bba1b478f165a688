import type { Command } from 'commander';
import { demoCommands } from './demo.js';
import { fileCommands } from './files.js';
import { gitCommands } from './git.js';
import { importCommands } from './import.js';
import { maintenanceCommands } from './maintenance.js';
import { migrateCommands } from './migrate.js';
import { serveCommands } from './serve.js';
import { watchCommands } from './watch.js';

/** Adds one group of commands to the program. */
export type CommandGroup = (program: Command) => void;

/**
 * Every command group, in the order `gitty --help` lists them. A new group (such as `serve`
 * from @gitty/server) is one file in this folder exporting a CommandGroup, plus one entry here.
 */
export const commandGroups: readonly CommandGroup[] = [
  fileCommands, // put, get, cat, ls, log, diff, search
  maintenanceCommands, // init, fsck, repack, unpack, gc, reindex, stats
  migrateCommands, // copy, compare
  importCommands, // import
  watchCommands, // watch
  serveCommands, // serve (@gitty/server)
  gitCommands, // git
  demoCommands, // demo
];
