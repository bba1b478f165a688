import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { bindIo, ioOf, processIo, rootCommand, type CliIo } from '../src/io.js';

// Each run's commands read and write through the streams bound to its own program.
function fakeIo(): CliIo {
  const stream = { write: () => true };
  return { stdin: (async function* () {})(), stdout: stream, stderr: { write: () => true }, env: { A: '1' } };
}

describe('io', () => {
  it('processIo is the process\'s streams and environment', () => {
    const io = processIo();
    expect(io.stdin).toBe(process.stdin);
    expect(io.stdout).toBe(process.stdout);
    expect(io.stderr).toBe(process.stderr);
    expect(io.env).toBe(process.env);
  });

  it('rootCommand climbs every level of nesting', () => {
    const program = new Command('gitty');
    const mid = program.command('remote');
    const leaf = mid.command('add');
    expect(rootCommand(leaf)).toBe(program);
    expect(rootCommand(mid)).toBe(program);
    expect(rootCommand(program)).toBe(program);
  });

  it('ioOf gives a subcommand its program\'s bound io, and each program its own', () => {
    const one = new Command('gitty');
    const two = new Command('gitty');
    const leafOne = one.command('ls').command('deep');
    const leafTwo = two.command('ls');
    const ioOne = fakeIo();
    const ioTwo = fakeIo();
    bindIo(one, ioOne);
    bindIo(two, ioTwo);
    expect(ioOf(leafOne)).toBe(ioOne);
    expect(ioOf(one)).toBe(ioOne);
    expect(ioOf(leafTwo)).toBe(ioTwo);
  });

  it('ioOf falls back to the process\'s io for an unbound program', () => {
    const io = ioOf(new Command('x').command('y'));
    expect(io).toEqual({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env });
    expect(io.stdout).toBe(process.stdout);
  });
});
