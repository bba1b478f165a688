import type { Command } from 'commander';
import type { OutputStream } from './output.js';

/** Standard input as far as `put -` needs it. */
export interface InputStream extends AsyncIterable<string | Uint8Array> {
  isTTY?: boolean;
}

/**
 * What one run of the command line reads and writes besides its store: standard streams and
 * environment. A run in its own process uses the process's (see {@link processIo}); an embedder
 * or a test may give others to run several commands in one process. The working directory is
 * always the process's.
 */
export interface CliIo {
  stdin: InputStream;
  stdout: OutputStream;
  stderr: OutputStream;
  env: NodeJS.ProcessEnv;
}

/** The process's own standard streams and environment. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The program a command belongs to (commander nests subcommands). */
export function rootCommand(command: Command): Command {
  let root = command;
  while (root.parent) root = root.parent;
  return root;
}

// Keyed by each run's own program, so runs in one process never share streams.
const ioByProgram = new WeakMap<Command, CliIo>();

/** Make `program`'s commands read and write through `io`. */
export function bindIo(program: Command, io: CliIo): void {
  ioByProgram.set(program, io);
}

/** The I/O of the run `command` belongs to: the process's unless {@link bindIo} gave another. */
export function ioOf(command: Command): CliIo {
  return ioByProgram.get(rootCommand(command)) ?? processIo();
}
