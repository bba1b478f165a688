import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '@gitty/driver-test/harness';
import { runCli } from '../src/cli.js';
import { gitty } from './cli-process.js';

// printDiff's notes: binary versions get one line instead of a patch (yellow on a terminal),
// equal data says "(same data)" after the tag changes.

describe('gitty diff: binary versions and equal data', () => {
  let dir: string;
  let remove: () => Promise<void>;
  beforeAll(async () => ({ dir, remove } = await tempDir('gitty-cli-diff-notes-')));
  afterAll(async () => remove());

  async function put(s: string[], name: string, data: string | Uint8Array, extra: string[] = []): Promise<string> {
    return (await gitty([...s, '--json', 'put', name, '-', ...extra], { input: data })).json<{ commit: { commit: string } }>().commit.commit;
  }

  it('prints a note for binary versions, plain and on a terminal', async () => {
    const s = ['--store', path.join(dir, 'binary')];
    const one = await put(s, 'bin.dat', Uint8Array.from([0, 255, 1]));
    const two = await put(s, 'bin.dat', Uint8Array.from([0, 255, 2]), ['--tag', 'v2']);
    const plain = await gitty([...s, 'diff', 'bin.dat']);
    expect({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr }).toEqual({
      code: 0, stdout: `bin.dat: ${one.slice(0, 10)} → ${two.slice(0, 10)}\ntags added: v2\nBinary versions ${one} and ${two} differ\n`, stderr: '',
    });
    let out = '';
    const code = await runCli([...s, 'diff', 'bin.dat'], { stdin: Readable.from([]), stdout: { isTTY: true, write: (chunk) => ((out += String(chunk)), true) }, stderr: { write: () => true }, env: {} });
    expect({ code, out }).toEqual({
      code: 0,
      out: `\u001b[1mbin.dat: ${one.slice(0, 10)} → ${two.slice(0, 10)}\u001b[22m\n\u001b[32mtags added: v2\u001b[39m\n\u001b[33mBinary versions ${one} and ${two} differ\u001b[39m\n`,
    });
  });

  it('says "(same data)" when only the tags changed, binary or text', async () => {
    const s = ['--store', path.join(dir, 'same')];
    for (const [name, data] of [['b.dat', Uint8Array.from([0, 255])], ['t.txt', 'text\n']] as const) {
      const one = await put(s, name, data, ['--tag', 'old']);
      const two = await put(s, name, data, ['--tag', 'new']);
      const result = await gitty([...s, 'diff', name]);
      expect({ code: result.code, stdout: result.stdout, stderr: result.stderr }).toEqual({
        code: 0, stdout: `${name}: ${one.slice(0, 10)} → ${two.slice(0, 10)}\ntags added: new\ntags removed: old\n(same data)\n`, stderr: '',
      });
    }
  });
});
