import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { takeExitStatus } from './action.js';
import { commandGroups } from './commands/index.js';
import { registerBuiltinDrivers } from './drivers.js';
import { reportError } from './errors.js';
import { bindIo, processIo, type CliIo } from './io.js';
import { Output } from './output.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The commander program with the global options and every command group, reading and writing through `io`. */
export function buildProgram(io: CliIo = processIo()): Command {
  const program = new Command('gitty')
    .description('gitty: a versioned file store modelled on git')
    .version(version, '-V, --version')
    .option('--store <dir>', 'store directory, files driver (or set GITTY_STORE)')
    .option('--config <file>', 'JSON store config (default: ./gitty.config.json)')
    .option('--driver <name>', 'driver name or module, overriding the config\'s (e.g. packs, sqlite)')
    .option('--json', 'machine-readable output')
    .option('--debug', 'show stack traces')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`gitty: ${text.replace(/^error: /, '')}`),
    });
  bindIo(program, io);
  for (const group of commandGroups) group(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/**
 * Run the gitty command line on `argv` (without node and the script). Resolves with the exit
 * status: 0 ok, 1 failure (a one-line message with the fix on stderr), 2 usage error,
 * 130 interrupted. `io` defaults to the process's streams and environment; runs given their
 * own may go on at the same time in one process.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  registerBuiltinDrivers();
  const json = argv.includes('--json');
  const debug = argv.includes('--debug');
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return takeExitStatus(program);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (json) new Output(true, io.stdout, io.stderr, io.env).data({ error: { code: 'USAGE', message: err.message.replace(/^error: /, '') } });
      return 2;
    }
    return reportError(err, new Output(json, io.stdout, io.stderr, io.env), debug);
  }
}
