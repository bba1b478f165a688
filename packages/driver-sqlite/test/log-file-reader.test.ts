import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { LogFileReader, headLogPath } from '../src/log-file-reader.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);

describe('LogFileReader', () => {
  let temp: { dir: string; remove: () => Promise<void> };
  let path: string;
  beforeEach(async () => {
    temp = await tempDir('gitty-sqlite-log-');
    mkdirSync(join(temp.dir, 'ref'));
    path = headLogPath(temp.dir);
  });
  afterEach(async () => temp.remove());

  it('reads every change after the epoch line from offset 0, then only what was appended', async () => {
    writeFileSync(path, '{"epoch":"e1"}\n' + JSON.stringify({ name: 'x.pl', old: null, new: A }) + '\n');
    const reader = new LogFileReader(path);
    const first = await reader.readFrom(0);
    expect(first.epoch).toBe('{"epoch":"e1"}');
    expect(first.changes).toEqual([{ name: 'x.pl', old: null, new: A }]);
    appendFileSync(path, JSON.stringify({ name: 'x.pl', old: A, new: B }) + '\n' + JSON.stringify({ name: 'x.pl', old: B, new: null }) + '\n');
    const second = await reader.readFrom(first.offset);
    expect(second.changes).toEqual([{ name: 'x.pl', old: A, new: B }, { name: 'x.pl', old: B, new: null }]);
    expect((await reader.readFrom(second.offset)).changes).toEqual([]);
  });

  it('leaves a line without its newline (an append in progress) for the next read', async () => {
    writeFileSync(path, 'epoch-2\n' + JSON.stringify({ name: 'y', old: null, new: A }).slice(0, 10));
    const reader = new LogFileReader(path);
    const partial = await reader.readFrom(0);
    expect(partial.changes).toEqual([]);
    expect(partial.offset).toBe('epoch-2\n'.length);
    writeFileSync(path, 'epoch-2\n' + JSON.stringify({ name: 'y', old: null, new: A }) + '\n');
    expect((await reader.readFrom(partial.offset)).changes).toEqual([{ name: 'y', old: null, new: A }]);
  });

  it('reports another epoch when the log was rewritten or is shorter than the offset', async () => {
    writeFileSync(path, 'epoch-1\n' + JSON.stringify({ name: 'y', old: null, new: A }) + '\n');
    const reader = new LogFileReader(path);
    const before = await reader.readFrom(0);
    writeFileSync(path, 'epoch-2\n');
    expect((await reader.readFrom(before.offset)).epoch).not.toBe(before.epoch);
    expect((await reader.readFrom(before.offset)).epoch).not.toBe('epoch-2');
  });

  it('reads a missing log as empty, and a damaged line as CORRUPT_OBJECT naming the log', async () => {
    const reader = new LogFileReader(path);
    expect(await reader.readFrom(0)).toEqual({ epoch: '', changes: [], offset: 0 });
    writeFileSync(path, 'epoch-1\nnot json\n');
    await expect(reader.readFrom(0)).rejects.toMatchObject({ code: 'CORRUPT_OBJECT', message: expect.stringContaining(path) });
  });
});
