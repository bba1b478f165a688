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

  it('adds the stack to an error with --debug, and not without', async () => {
    const message = 'gitty: No store at /nonexistent-gitty-store — create one with `gitty --store /nonexistent-gitty-store init`, or check --store /nonexistent-gitty-store\n';
    expect(shown(await gitty(['--store', '/nonexistent-gitty-store', 'get', 'x']))).toEqual({ code: 1, stdout: '', stderr: message });
    const debug = await gitty(['--store', '/nonexistent-gitty-store', '--debug', 'get', 'x']);
    expect([debug.code, debug.stdout]).toEqual([1, '']);
    expect(debug.stderr.startsWith(`${message}CliError: No store at /nonexistent-gitty-store\n    at `)).toBe(true);
  });
});
