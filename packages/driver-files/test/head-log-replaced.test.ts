import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HeadChange } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { HeadLog, parseEventLine } from '@gitty/driver-files';

const h = (digit: string) => digit.repeat(40);

async function withLog(use: (log: HeadLog, file: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-log-replaced-');
  try {
    const file = path.join(dir, 'ref', 'head');
    await use(new HeadLog(file, { durability: 'none' }), file);
  } finally {
    await remove();
  }
}

describe('a head log replaced under an open reader', () => {
  it('a reader whose position lies inside the new, longer log starts over instead of resuming mid-log', async () => {
    await withLog(async (log) => {
      const first = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const reader = (await log.readFrom())!;
      expect(reader).toMatchObject({ epoch: first.epoch, offset: first.offset, reset: true });
      // Another process rebuilds the log: a new epoch, and longer than where the reader stands.
      const writer = new HeadLog(log.file, { durability: 'none' });
      const heads = ['b.pl', 'c.pl', 'd.pl'].map((name, i) => ({ name, head: h(String(i + 2)) }));
      const replaced = await writer.withLock(() => writer.create(heads));
      expect(replaced.epoch).not.toBe(first.epoch);
      expect(replaced.offset).toBeGreaterThan(reader.offset);
      const read = (await log.readFrom(reader))!;
      expect(read).toMatchObject({ epoch: replaced.epoch, offset: replaced.offset, reset: true, skipped: 0 });
      expect(read.events).toEqual(heads.map(({ name, head }) => ({ name, old: null, new: head })));
      // scan reports the same start over.
      const visited: HeadChange[] = [];
      let started: boolean | undefined;
      const scanned = (await log.scan(reader, (e) => visited.push(e), { onStart: (reset) => (started = reset) }))!;
      expect(scanned).toMatchObject({ epoch: replaced.epoch, offset: replaced.offset, reset: true, stoppedAtNul: false });
      expect(started).toBe(true);
      expect(visited).toHaveLength(3);
    });
  });

  it('an append at a position of the replaced log fails with LOCK_TIMEOUT and writes nothing', async () => {
    await withLog(async (log, file) => {
      const first = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const writer = new HeadLog(file, { durability: 'none' });
      await writer.withLock(() => writer.create([{ name: 'a.pl', head: h('1') }, { name: 'b.pl', head: h('2') }]));
      const before = await log.size();
      await expect(log.withLock(() => log.append(first, [{ name: 'a.pl', old: h('1'), new: h('3') }]))).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
      expect(await log.size()).toBe(before);
    });
  });

  it('a log whose first line is no epoch is read whole by readFrom and not trusted by scan', async () => {
    await withLog(async (log, file) => {
      await log.withLock(() => log.create([]));
      const lines = [
        '{"epoch":42,"created":1}',
        JSON.stringify({ name: 'a.pl', old: null, new: h('1') }),
      ];
      await writeFile(file, `${lines.join('\n')}\n`);
      expect(await log.readEpoch()).toBe('');
      const read = (await log.readFrom())!;
      expect(read).toMatchObject({ epoch: '', reset: true, events: [{ name: 'a.pl', old: null, new: h('1') }] });
      const visited: HeadChange[] = [];
      expect(await log.scan(undefined, (e) => visited.push(e))).toEqual({ epoch: '', offset: 0, reset: true, skipped: 0, stoppedAtNul: false });
      expect(visited).toEqual([]);
    });
  });
});

describe('where a remembered position resumes', () => {
  it('right after the epoch line it resumes; before it (offset 0) it starts over', async () => {
    await withLog(async (log) => {
      const empty = await log.withLock(() => log.create([]));
      const appended = await log.withLock(() => log.append(empty, [{ name: 'a.pl', old: null, new: h('1') }]));
      expect(await log.readFrom(empty)).toMatchObject({ reset: false, skipped: 0, offset: appended.offset, events: [{ name: 'a.pl' }] });
      expect(await log.readFrom({ epoch: empty.epoch, offset: 0 })).toMatchObject({ reset: true, skipped: 0, events: [{ name: 'a.pl' }] });
    });
  });

  it('a position in a log without an epoch line (epoch \'\') resumes there', async () => {
    await withLog(async (log, file) => {
      await log.withLock(() => log.create([]));
      const first = `${JSON.stringify({ name: 'a.pl', old: null, new: h('1') })}\n`;
      const second = `${JSON.stringify({ name: 'a.pl', old: h('1'), new: h('2') })}\n`;
      await writeFile(file, first + second);
      expect(await log.readFrom({ epoch: '', offset: Buffer.byteLength(first) })).toMatchObject({ epoch: '', reset: false, events: [{ name: 'a.pl', old: h('1'), new: h('2') }] });
    });
  });
});

describe('log lines that parse as JSON but are not head changes', () => {
  it('parseEventLine refuses them', () => {
    const bad = [
      'null', '[]', '"a.pl"', '42', 'true', '{}',
      JSON.stringify({ name: '', old: null, new: h('1') }),
      JSON.stringify({ name: 7, old: null, new: h('1') }),
      JSON.stringify({ old: null, new: h('1') }),
      JSON.stringify({ name: 'a.pl', old: null, new: null }),
      JSON.stringify({ name: 'a.pl', new: h('1') }),
      JSON.stringify({ name: 'a.pl', old: null }),
      JSON.stringify({ name: 'a.pl', old: 'b.pl', new: h('1') }),
      JSON.stringify({ name: 'a.pl', old: null, new: h('A') }),
      JSON.stringify({ name: 'a.pl', old: null, new: h('1').slice(1) }),
      JSON.stringify({ name: 'a.pl', old: 1, new: h('1') }),
      '{"name":"a.pl","old":null,"new":"' + h('1') + '"',
    ];
    for (const line of bad) expect(parseEventLine(line), line).toBeUndefined();
  });

  it('parseEventLine keeps name, old and new of a valid line and drops anything else', () => {
    expect(parseEventLine(JSON.stringify({ name: 'a.pl', old: null, new: h('1'), extra: 'x' }))).toEqual({ name: 'a.pl', old: null, new: h('1') });
    expect(parseEventLine(JSON.stringify({ name: 'a.pl', old: h('1'), new: null }))).toEqual({ name: 'a.pl', old: h('1'), new: null });
    expect(parseEventLine(JSON.stringify({ name: 'a.pl', old: h('1'), new: h('2') }))).toEqual({ name: 'a.pl', old: h('1'), new: h('2') });
  });

  it('a reader skips and counts them, and applies the valid lines around them', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: h('1') }]));
      const text = await readFile(file, 'utf8');
      const junk = ['null', JSON.stringify({ name: 'a.pl', old: null, new: null }), JSON.stringify({ name: '', old: null, new: h('2') })];
      await writeFile(file, `${text}${junk.join('\n')}\n${JSON.stringify({ name: 'a.pl', old: h('1'), new: h('3') })}\n\n`);
      const tail = (await log.readFrom(at))!;
      expect(tail).toMatchObject({ reset: false, skipped: 3, events: [{ name: 'a.pl', old: h('1'), new: h('3') }] });
      const whole = (await log.readFrom())!;
      expect(whole).toMatchObject({ reset: true, skipped: 3, events: [{ name: 'a.pl', old: null, new: h('1') }, { name: 'a.pl', old: h('1'), new: h('3') }] });
    });
  });
});
