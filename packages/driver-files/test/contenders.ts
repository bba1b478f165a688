// The parent's side of the contender children (children/contend.ts): their output lines until
// each has finished, then their final reports.
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * Resolves when every child has printed "finished"; rejects when one exits with an error (its
 * stderr in the message). Every other line goes to `onLine`.
 */
export async function allFinished(children: ChildProcess[], onLine: (line: string) => void): Promise<void> {
  await Promise.all(children.map((child) => new Promise<void>((resolve, reject) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'finished') resolve();
      else onLine(line);
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`child exited ${code}: ${stderr}`))));
  })));
}

/** Ask every child for its report (a line on stdin) and wait until all have exited. */
export async function askReports(children: ChildProcess[]): Promise<void> {
  const exited = children.map((child) => new Promise((resolve) => child.on('exit', resolve)));
  for (const child of children) child.stdin!.write('report\n');
  await Promise.all(exited);
}
