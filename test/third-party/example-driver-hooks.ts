// The conformance suite's hooks for the example JSON-file driver, shared by the runs that use it.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CrossProcessOptions } from '@gitty/driver-test';

/** Where a fixture's example store lives. */
export interface ExampleLocation {
  file: string;
}

/**
 * Replace the stored bytes of `hash` with a valid blob of other content: the file still parses
 * and the object still decodes, so only re-hashing on load notices.
 */
export async function corruptExampleObject(location: unknown, hash: string): Promise<void> {
  const { file } = location as ExampleLocation;
  const state = JSON.parse(await readFile(file, 'utf8')) as { objects: Record<string, { data: string }> };
  const stored = state.objects[hash];
  if (!stored) throw new Error(`no object ${hash} to corrupt in ${file}`);
  stored.data = Buffer.from('something else entirely').toString('base64');
  await writeFile(file, JSON.stringify(state));
}

/** Child processes of the cross-process race open the store through this module. */
export const exampleCrossProcess: CrossProcessOptions = {
  module: fileURLToPath(new URL('./open-example-driver.ts', import.meta.url)),
};
