import { afterEach, describe, expect, it, vi } from 'vitest';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '@gitty/driver-test/harness';
import { SwishHeadLog, parseSwishHeadLine, swishHeadLine } from '@gitty/driver-files';

const A = '1'.repeat(40);
const B = '2'.repeat(40);
const C = '3'.repeat(40);
const len = (text: string) => Buffer.byteLength(text);

async function withLog(use: (log: SwishHeadLog, file: string) => Promise<void>): Promise<void> {
  const { dir, remove } = await tempDir('gitty-swish-exact-');
  try {
    const file = path.join(dir, 'ref', 'head');
    await use(new SwishHeadLog(file, { durability: 'none' }), file);
  } finally {
    await remove();
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SWISH head lines, exactly', () => {
  it('parseSwishHeadLine gives the reason a line is no change', () => {
    expect(parseSwishHeadLine(`head(a,-,'${A}').`)).toEqual({ name: 'a', old: null, new: A });
    expect(parseSwishHeadLine(`head("s.pl",'${A}','${B}').`)).toEqual({ name: 's.pl', old: A, new: B });
    expect(parseSwishHeadLine(`foo(a,-,'${A}').`)).toBe('not a head/3 term');
    expect(parseSwishHeadLine(`head(a,-).`)).toBe('not a head/3 term');
    expect(parseSwishHeadLine(`head(a,-,'${A}',x).`)).toBe('not a head/3 term');
    expect(parseSwishHeadLine(`hello.`)).toBe('not a head/3 term');
    expect(parseSwishHeadLine(`head(1,-,'${A}').`)).toBe('the name is not an atom');
    expect(parseSwishHeadLine(`head('',-,'${A}').`)).toBe('the name is not an atom');
    expect(parseSwishHeadLine(`head(a,-,-).`)).toBe('old or new is not a hash (or - for none)');
    expect(parseSwishHeadLine(`head(a,x,'${A}').`)).toBe('old or new is not a hash (or - for none)');
    expect(parseSwishHeadLine(`head(a,-,f(x)).`)).toBe('old or new is not a hash (or - for none)');
    expect(parseSwishHeadLine(`head(a,-,'${'A'.repeat(40)}').`)).toBe('old or new is not a hash (or - for none)');
    expect(parseSwishHeadLine(`head(a,-,`)).toMatch(/^not a Prolog term \(.+\)$/);
  });

  it('swishHeadLine refuses deletions', () => {
    expect(() => swishHeadLine({ name: 'a', old: A, new: null })).toThrow('SWISH head logs cannot record a deletion');
    expect(swishHeadLine({ name: 'a', old: A, new: B })).toBe(`head(a,'${A}','${B}').\n`);
  });
});

describe('SwishHeadLog reading, exactly', () => {
  it('no log: readFrom undefined, no malformed lines, exists false, size 0', async () => {
    await withLog(async (log) => {
      expect(await log.readFrom()).toBeUndefined();
      expect(await log.inspect()).toEqual({ malformed: [], overridden: [] });
      expect(await log.exists()).toBe(false);
      expect(await log.size()).toBe(0);
    });
  });

  it('create writes epoch(seconds), a blank line and one creation per head; initialize only when there is no log', async () => {
    await withLog(async (log, file) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_700_000_000_499);
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: A }, { name: 'b.pl', head: B }]));
      const text = `epoch(1700000000).\n\nhead('a.pl',-,'${A}').\nhead('b.pl',-,'${B}').\n`;
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(at).toEqual({ epoch: '1700000000', offset: len(text) });
      expect(await log.exists()).toBe(true);
      expect(await log.size()).toBe(len(text));
      expect(await log.initialize(async () => [{ name: 'x', head: C }])).toBe(false);
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect((await readdir(path.dirname(file))).sort()).toEqual(['head']);
    });
    await withLog(async (log, file) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(1_700_000_000_500);
      expect(await log.initialize(async () => [{ name: 'x', head: C }])).toBe(true);
      expect(readFileSync(file, 'utf8')).toBe(`epoch(1700000001).\n\nhead(x,-,'${C}').\n`);
    });
  });

  it('reads whole or from a position; malformed lines are counted and numbered from the file\'s first line', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file));
      const head = 'epoch(12).\n\n';
      const l3 = `head(a,-,'${A}').\n`;
      const l4 = 'garbage.\n';
      const l5 = `head(a,'${A}','${B}').\n`;
      writeFileSync(file, `${head}${l3}${l4}${l5}head(b,-,`);
      const whole = (await log.readFrom())!;
      expect(whole).toEqual({ epoch: '12', offset: len(head + l3 + l4 + l5), reset: true, skipped: 1, events: [{ name: 'a', old: null, new: A }, { name: 'a', old: A, new: B }] });
      expect((await log.inspect()).malformed).toEqual([{ line: 4, reason: 'not a head/3 term' }]);
      expect(await log.malformedLines()).toEqual([{ line: 4, reason: 'not a head/3 term' }]);
      // From right after the epoch line and from the end.
      expect(await log.readFrom({ epoch: '12', offset: len('epoch(12).\n') })).toMatchObject({ reset: false, skipped: 1, events: [{ name: 'a', old: null, new: A }, { name: 'a', old: A, new: B }] });
      expect(await log.readFrom({ epoch: '12', offset: len(head + l3 + l4 + l5) })).toEqual({ epoch: '12', offset: len(head + l3 + l4 + l5), reset: false, skipped: 0, events: [] });
      // Inside the epoch line, another epoch, or past the end: the whole log.
      expect(await log.readFrom({ epoch: '12', offset: 3 })).toMatchObject({ reset: true, skipped: 1 });
      expect(await log.readFrom({ epoch: '13', offset: len(head) })).toMatchObject({ reset: true });
      expect(await log.readFrom({ epoch: '12', offset: len(file) + 10_000 })).toMatchObject({ reset: true });
      expect(await log.readFrom({ epoch: '12', offset: len(`${head}${l3}${l4}${l5}head(b,-,`) })).toMatchObject({ reset: false, events: [] });
      expect(await log.readFrom({ epoch: '12', offset: len(`${head}${l3}${l4}${l5}head(b,-,`) + 1 })).toMatchObject({ reset: true });
    });
  });

  it('a log without an epoch line is read whole with epoch \'\' and its lines numbered from 1', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file));
      writeFileSync(file, `bad line\nhead(a,-,'${A}').\n`);
      expect(await log.readFrom()).toEqual({ epoch: '', offset: len(`bad line\nhead(a,-,'${A}').\n`), reset: true, skipped: 1, events: [{ name: 'a', old: null, new: A }] });
      expect(await log.malformedLines()).toEqual([{ line: 1, reason: expect.stringMatching(/^not a Prolog term/) }]);
      expect(await log.readFrom({ epoch: '', offset: len('bad line\n') })).toMatchObject({ reset: false, skipped: 0, events: [{ name: 'a' }] });
    });
  });

  it('inspect lists overridden heads, except a head SWISH\'s second pass returns to', async () => {
    await withLog(async (log, file) => {
      mkdirSync(path.dirname(file));
      writeFileSync(file, `epoch(1).\n\nhead(a,-,'${A}').\nhead(a,'${A}','${B}').\nhead(a,'${A}','${C}').\n`);
      expect((await log.inspect()).overridden).toEqual([{ line: 5, name: 'a', overridden: B, old: A, by: C }]);
      // C → A returns a to A: the second pass walks A → B again, so B is not lost.
      writeFileSync(file, `epoch(1).\n\nhead(a,-,'${A}').\nhead(a,'${A}','${B}').\nhead(a,'${C}','${A}').\n`);
      expect((await log.inspect()).overridden).toEqual([]);
    });
  });
});

describe('SwishHeadLog append, exactly', () => {
  it('appends after the position, ending a torn last line first, and returns the new end', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: A }]));
      const next = await log.withLock(() => log.append(at, [{ name: 'a.pl', old: A, new: B }, { name: 'b.pl', old: null, new: C }]));
      const text = readFileSync(file, 'utf8');
      expect(text.slice(at.offset)).toBe(`head('a.pl','${A}','${B}').\nhead('b.pl',-,'${C}').\n`);
      expect(next).toEqual({ epoch: at.epoch, offset: len(text) });
      appendFileSync(file, 'head(');
      const torn = { epoch: at.epoch, offset: len(text) };
      const after = await log.withLock(() => log.append(torn, [{ name: 'b.pl', old: C, new: A }]));
      expect(readFileSync(file, 'utf8').slice(len(text))).toBe(`head(\nhead('b.pl','${C}','${A}').\n`);
      // Lines between `at` and the file's end: the position stays at `at` for the next read to apply them.
      expect(after).toEqual({ epoch: at.epoch, offset: len(text) });
    });
  });

  it('refuses with NOT_AT_HEAD when a line that landed since the read moved a head being changed; other names do not matter', async () => {
    await withLog(async (log, file) => {
      const at = await log.withLock(() => log.create([{ name: 'a.pl', head: A }, { name: 'b.pl', head: B }]));
      appendFileSync(file, `\ngarbage\nhead('b.pl','${B}','${C}').\n`);
      const size = len(readFileSync(file, 'utf8'));
      await expect(log.withLock(() => log.append(at, [{ name: 'b.pl', old: B, new: A }]))).rejects.toMatchObject({
        code: 'NOT_AT_HEAD', fileName: 'b.pl', head: C, expected: B,
      });
      expect(len(readFileSync(file, 'utf8'))).toBe(size);
      expect(await log.withLock(() => log.append(at, [{ name: 'a.pl', old: A, new: C }]))).toEqual(at);
      expect(readFileSync(file, 'utf8').slice(size)).toBe(`head('a.pl','${A}','${C}').\n`);
    });
  });
});
