import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { action, takeExitStatus } from '../src/action.js';
import { bindIo } from '../src/io.js';

// A command that returns nothing leaves a status another command of the program returned.
function sink(): { write(chunk: string | Uint8Array): boolean } {
  return { write: () => true };
}

describe('action', () => {
  it('a command returning nothing does not clear a status not yet taken', async () => {
    const program = new Command('p').exitOverride();
    bindIo(program, { stdin: Readable.from([]), stdout: sink(), stderr: sink(), env: {} });
    program.command('fail').action(action(async () => 3));
    program.command('quiet').action(action(async () => undefined));
    await program.parseAsync(['fail'], { from: 'user' });
    await program.parseAsync(['quiet'], { from: 'user' });
    expect(takeExitStatus(program)).toBe(3);
    expect(takeExitStatus(program)).toBe(0);
  });
});
