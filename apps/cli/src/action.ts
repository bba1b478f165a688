import type { Command } from 'commander';
import { CliContext } from './context.js';

let exitStatus = 0;

/** The exit status a command asked for (0 unless it reported a problem such as fsck errors). */
export function takeExitStatus(): number {
  const status = exitStatus;
  exitStatus = 0;
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
    if (typeof status === 'number') exitStatus = status;
  };
}

/** Commander helper for repeatable options (`--tag a --tag b`). */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
