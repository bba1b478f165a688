// Bulk imports in a loop (or a fixed number of times) and prints each acknowledged import's
// heads as a JSON line: a target for SIGKILL mid-import, or a rival of other writers.
// Usage: importer.ts <files|packs> <dir> <rounds (0: until killed)> <files per round> <versions per file> [paced]
import { isGittyError, openStore, registerDriver, type ImportVersion } from '@gitty/core';
import { createDriver as createFilesDriver } from '@gitty/driver-files';
import { createDriver } from '../../src/index.js';

const [driver, dir, roundsArg, filesArg, versionsArg, paced] = process.argv.slice(2);
registerDriver('packs', createDriver);
registerDriver('files', createFilesDriver);
const store = await openStore({ driver: driver!, dir: dir!, durability: 'none' });
const rounds = Number(roundsArg);
const files = Number(filesArg);
const perFile = Number(versionsArg);
process.stdout.write('ready\n');

async function* versions(round: number): AsyncIterable<ImportVersion> {
  for (let v = 0; v < perFile; v++) {
    for (let f = 0; f < files; f++) {
      // ~2 KB of text per version, changing a little each time (deltas apply).
      const body = Array.from({ length: 40 }, (_, line) => `file ${f} line ${line} ${line === v % 40 ? `round ${round} version ${v}` : 'same'}`).join('\n');
      yield { name: `f${f}.txt`, data: `${body}\n${process.pid} ${round} ${v}\n`, meta: { author: 'importer', time: 1_700_000_000 + round * 1000 + v } };
      if (paced === 'paced' && f % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
}

for (let round = 0; rounds === 0 || round < rounds; round++) {
  try {
    const report = await store.import(versions(round));
    process.stdout.write(`${JSON.stringify({ applied: report.heads, conflicts: [] })}\n`);
  } catch (err) {
    if (!isGittyError(err, 'NOT_AT_HEAD') || !('conflicts' in err)) throw err;
    const conflict = err as unknown as { applied: Record<string, string>; conflicts: { name: string; tip: string; head: string | null; expected: string | null }[] };
    process.stdout.write(`${JSON.stringify({ applied: conflict.applied, conflicts: conflict.conflicts })}\n`);
  }
}
await store.close();
