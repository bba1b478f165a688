// What a crash test leaves behind — child processes, temporary directories — released after each test.
import type { ChildProcess } from 'node:child_process';
import { afterEach } from 'vitest';

/**
 * Lists to push children and cleanups onto; after each test, a child still running is killed
 * (SIGKILL) and the cleanups run, in that order.
 */
export function releasedAfterEach(): { children: ChildProcess[]; cleanups: (() => Promise<void>)[] } {
  const children: ChildProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const c of cleanups.splice(0)) await c();
  });
  return { children, cleanups };
}
