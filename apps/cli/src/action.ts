import type { Command } from 'commander';
import { CliContext } from './context.js';
import { rootCommand } from './io.js';

// Per program, so runs in one process (embedders, tests) never share an exit status.
const exitStatus = new WeakMap<Command, number>();

/** The exit status a command of `program` asked for (0 unless it reported a problem such as fsck errors). */
export function takeExitStatus(program: Command): number {
  const status = exitStatus.get(program) ?? 0;
  exitStatus.delete(program);
  return status;
}

/**
 * Adapt a command implementation to commander: it receives the context first, then the
 * command's arguments and options; a returned number becomes the exit status.
 */
export function action<A extends unknown[]>(run: (ctx: CliContext, ...args: A) => Promise<number | void>): (...raw: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const command = raw[raw.length - 1] as Command;
    const status = await run(CliContext.of(command), ...(raw.slice(0, -1) as A));
    if (typeof status === 'number') exitStatus.set(rootCommand(command), status);
  };
}

/** Commander helper for repeatable options (`--tag a --tag b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
