import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { gitty, type CliResult } from './cli-process.js';

// runCli's own answers: version, help, usage errors (also as JSON), and --debug's stack.

function shown(result: CliResult): { code: number | null; stdout: string; stderr: string } {
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe('runCli', () => {
  it('prints the package version for -V and --version, and help for --help, with status 0', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['-V', '--version']) expect(shown(await gitty([flag]))).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    const help = await gitty(['--help']);
    expect([help.code, help.stderr, help.stdout.split('\n').slice(0, 3)]).toEqual([0, '', ['Usage: gitty [options] [command]', '', 'gitty: a versioned file store modelled on git']]);
    const none = await gitty([]);
    expect([none.code, none.stdout, none.stderr]).toEqual([2, '', help.stdout]);
  });

  it('reports usage errors with status 2 on stderr, and also as JSON with --json', async () => {
    expect(shown(await gitty(['nope']))).toEqual({ code: 2, stdout: '', stderr: "gitty: unknown command 'nope'\n(Did you mean copy?)\n" });
    expect(shown(await gitty(['--json', 'get']))).toEqual({
      code: 2,
      stdout: `${JSON.stringify({ error: { code: 'USAGE', message: "missing required argument 'version'" } }, null, 2)}\n`,
      stderr: "gitty: missing required argument 'version'\n",
    });
  });

  it('prints the global options with their descriptions exactly', async () => {
    const help = await gitty(['--help']);
    const options = help.stdout.slice(help.stdout.indexOf('Options:\n'), help.stdout.indexOf('\nCommands:\n'));
    expect(options).toBe(`Options:
  -V, --version                output the version number
  --store <dir>                store directory, files driver (or set
                               GITTY_STORE)
  --config <file>              JSON store config (default: ./gitty.config.json)
  --driver <name>              driver name or module, overriding the config's
                               (e.g. packs, sqlite)
  --json                       machine-readable output
  --debug                      show stack traces
  -h, --help                   display help for command
`);
  });

  it('answers 0 for every way of asking for help or the version, also with --json (no JSON error)', async () => {
    const { version } = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    const top = (await gitty(['--help'])).stdout;
    const get = (await gitty(['get', '--help'])).stdout;
    expect(get.split('\n')[0]).toBe('Usage: gitty get [options] <version>');
    for (const [args, stdout] of [[['help'], top], [['--json', 'help'], top], [['--json', '--help'], top], [['help', 'get'], get], [['--json', 'get', '-h'], get], [['--json', '--version'], `${version}\n`]] as const) {
      expect([args, shown(await gitty(args))]).toEqual([args, { code: 0, stdout, stderr: '' }]);
    }
  });

  it('reports a subcommand\'s usage error with status 2, not by exiting', async () => {
    expect(shown(await gitty(['put', '--nope']))).toEqual({ code: 2, stdout: '', stderr: "gitty: unknown option '--nope'\n" });
    expect(shown(await gitty(['--json', 'put', '--nope']))).toEqual({
      code: 2,
      stdout: `${JSON.stringify({ error: { code: 'USAGE', message: "unknown option '--nope'" } }, null, 2)}\n`,
      stderr: "gitty: unknown option '--nope'\n",
    });
  });

  it('adds the stack to an error with --debug, and not without', async () => {
    const message = 'gitty: No store at /nonexistent-gitty-store — create one with `gitty --store /nonexistent-gitty-store init`, or check --store /nonexistent-gitty-store\n';
    expect(shown(await gitty(['--store', '/nonexistent-gitty-store', 'get', 'x']))).toEqual({ code: 1, stdout: '', stderr: message });
    const debug = await gitty(['--store', '/nonexistent-gitty-store', '--debug', 'get', 'x']);
    expect([debug.code, debug.stdout]).toEqual([1, '']);
    expect(debug.stderr.startsWith(`${message}CliError: No store at /nonexistent-gitty-store\n    at `)).toBe(true);
  });
});
