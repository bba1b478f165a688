import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isGittyError } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import { SharedHeads, SwishHeadLog, parseSwishHeadLine, swishHeadLine, type HeadLogPosition } from '@gitty/driver-files';
import { headLogTestHooks } from '../../src/test-hooks.js';

const A = '4aea38bf4fb9a2c05be3c612c52d6a63a6e0f225';
const B = '72f00a6e99c416a4ae69b47c7001ab2073634d70';
const C = 'c7ffb0465379364e9bce48bce1455e6aae7eb314';

describe("SWISH's ref/head log", () => {
  let dir: string;
  let remove: () => Promise<void>;
  let file: string;
  beforeEach(async () => {
    ({ dir, remove } = await tempDir('gitty-swish-log-'));
    file = path.join(dir, 'ref', 'head');
  });
  afterEach(async () => remove());

  // gitty appends a.pl A -> C while SWISH lines land at the hooks; what the append threw.
  async function appendFailure(log: SwishHeadLog, at: HeadLogPosition, lines: { beforeWrite?: string; afterWrite?: string }): Promise<unknown> {
    for (const hook of ['beforeWrite', 'afterWrite'] as const) {
      const line = lines[hook];
      if (line !== undefined) headLogTestHooks[hook] = () => appendFileSync(file, line);
    }
    try {
      await log.withLock(() => log.append(at, [{ name: 'a.pl', old: A, new: C }]));
      return undefined;
    } catch (err) {
      return err;
    } finally {
      headLogTestHooks.beforeWrite = undefined;
      headLogTestHooks.afterWrite = undefined;
    }
  }

  it('writes and reads the lines as SWISH does (quoted names and hashes, - for none)', () => {
    const line = swishHeadLine({ name: "Ωmega 'x'.pl", old: null, new: A });
    expect(line).toBe(`head('Ωmega \\'x\\'.pl',-,'${A}').\n`);
    expect(parseSwishHeadLine(line.trim())).toEqual({ name: "Ωmega 'x'.pl", old: null, new: A });
    expect(parseSwishHeadLine(`head(plain,${C},'${A}').`)).toEqual({ name: 'plain', old: C, new: A });
    expect(parseSwishHeadLine("head('x',-,-).")).toMatch(/hash/);
    expect(parseSwishHeadLine("head('x',-,")).toMatch(/Prolog/);
  });

  it('replays with SWISH\'s start-up rule (the last line for a name wins), and resumes from a position', async () => {
    const log = new SwishHeadLog(file, { durability: 'none' });
    await log.withLock(() => log.create([{ name: 'a.pl', head: A }]));
    expect(readFileSync(file, 'utf8')).toMatch(/^epoch\(\d+\)\.\n\nhead\('a\.pl',-,'4aea/);
    const first = (await log.readFrom())!;
    expect(first.events).toEqual([{ name: 'a.pl', old: null, new: A }]);
    // A stale SWISH line (its Old is not the head) still sets the head, as SWISH's restore_heads does.
    appendFileSync(file, `head('a.pl','${C}','${B}').\n`);
    const next = (await log.readFrom(first))!;
    expect(next.reset).toBe(false);
    expect(next.events).toEqual([{ name: 'a.pl', old: C, new: B }]);
    const heads = new SharedHeads(log, { pollInterval: 0, watchFile: false });
    await heads.refresh(true);
    expect(heads.get('a.pl')).toBe(B);
    await heads.close();
  });

  it('a SWISH line landing between gitty\'s check and its write is put back as the head, and gitty\'s change fails with NOT_AT_HEAD', async () => {
    const log = new SwishHeadLog(file, { durability: 'none' });
    const at = await log.withLock(() => log.create([{ name: 'a.pl', head: A }]));
    // SWISH takes no gitty lock: its acknowledged line lands after gitty's growth check, before gitty's write.
    const failure = await appendFailure(log, at, { beforeWrite: `head('a.pl','${A}','${B}').\n` });
    expect(isGittyError(failure, 'NOT_AT_HEAD') && failure.head).toBe(B);
    // Replayed as SWISH's restore_heads does (last line wins), SWISH's acknowledged update is the head.
    const heads = new SharedHeads(log, { pollInterval: 0, watchFile: false });
    await heads.refresh(true);
    expect(heads.get('a.pl')).toBe(B);
    await heads.close();
    expect(readFileSync(file, 'utf8').endsWith(swishHeadLine({ name: 'a.pl', old: C, new: B }))).toBe(true);
  });

  it('a line landing after gitty\'s own (before gitty puts SWISH\'s head back) is left the head: the put-back would undo it', async () => {
    const log = new SwishHeadLog(file, { durability: 'none' });
    const at = await log.withLock(() => log.create([{ name: 'a.pl', head: A }]));
    const D = 'd'.repeat(40);
    // Another SWISH process, having read B, updates it right after gitty's line.
    const failure = await appendFailure(log, at, { beforeWrite: `head('a.pl','${A}','${B}').\n`, afterWrite: `head('a.pl','${B}','${D}').\n` });
    expect(isGittyError(failure, 'NOT_AT_HEAD') && failure.head).toBe(D);
    const heads = new SharedHeads(log, { pollInterval: 0, watchFile: false });
    await heads.refresh(true);
    expect(heads.get('a.pl')).toBe(D);
    await heads.close();
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)).toBe(`head('a.pl','${B}','${D}').`);
  });

  it('reads as a SWISH process starting now: after last-line-wins, lines whose Old is the head apply again (a head returning to an earlier commit)', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    // Last line wins gives A; SWISH's second pass then applies A -> B (its Old is A): B.
    writeFileSync(file, `epoch(1796130729).\n\nhead('a.pl',-,'${A}').\nhead('a.pl','${A}','${B}').\nhead('a.pl','${C}','${A}').\n`);
    const log = new SwishHeadLog(file, { durability: 'none' });
    const heads = new SharedHeads(log, { pollInterval: 0, watchFile: false });
    await heads.refresh(true);
    expect(heads.get('a.pl')).toBe(B);
    // The same through a tail: a line returning b.pl to an earlier head makes the read whole again.
    appendFileSync(file, `head('b.pl',-,'${A}').\nhead('b.pl','${A}','${B}').\n`);
    await heads.refresh(true);
    expect(heads.get('b.pl')).toBe(B);
    appendFileSync(file, `head('b.pl','${C}','${A}').\n`);
    await heads.refresh(true);
    expect(heads.get('b.pl')).toBe(B);
    expect(heads.get('a.pl')).toBe(B);
    await heads.close();
  });

  it('tails stay tails for every reader position (the files driver and an index share the log): a chain of updates is no returning head', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `epoch(1796130729).\n\nhead('a.pl',-,'${A}').\n`);
    const log = new SwishHeadLog(file, { durability: 'none' });
    const first = (await log.readFrom())!;
    appendFileSync(file, `head('a.pl','${A}','${B}').\nhead('a.pl','${B}','${C}').\n`);
    const second = (await log.readFrom(first))!;
    expect({ reset: second.reset, events: second.events.length }).toEqual({ reset: false, events: 2 });
    // Another reader still at the first position (an index catching up) gets its tail too.
    appendFileSync(file, `head('b.pl',-,'${A}').\n`);
    const other = (await log.readFrom(first))!;
    expect({ reset: other.reset, events: other.events.map((e) => e.new) }).toEqual({ reset: false, events: [B, C, A] });
    expect((await log.readFrom(second))!.reset).toBe(false);
  });

  it('inspect names lines that overrode a head (Old not the head), but not a head gitty put back', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    const D = 'd'.repeat(40);
    const E = 'e'.repeat(40);
    writeFileSync(file, [
      'epoch(1796130729).', '',
      `head('a.pl',-,'${A}').`,
      `head('a.pl','${A}','${B}').`, // gitty's update, acknowledged
      `head('a.pl','${A}','${C}').`, // SWISH's, decided on A: overrides B
      `head('b.pl',-,'${A}').`,
      `head('b.pl','${A}','${D}').`, // SWISH's, landed first
      `head('b.pl','${A}','${E}').`, // gitty's, landed behind it ...
      `head('b.pl','${E}','${D}').`, // ... and put back
      '',
    ].join('\n'));
    const log = new SwishHeadLog(file, { durability: 'none' });
    expect((await log.inspect()).overridden).toEqual([{ line: 5, name: 'a.pl', overridden: B, old: A, by: C }]);
  });

  it('a SWISH line appended between gitty\'s read and its write makes the CAS fail with NOT_AT_HEAD, writing nothing', async () => {
    const log = new SwishHeadLog(file, { durability: 'none' });
    await log.withLock(() => log.create([{ name: 'a.pl', head: A }]));
    const at = (await log.readFrom())!;
    // SWISH appends without gitty's lock, after gitty read the log to its end (forced here).
    appendFileSync(file, `head('a.pl','${A}','${B}').\n`);
    const before = readFileSync(file, 'utf8');
    let caught: unknown;
    try {
      await log.append(at, [{ name: 'a.pl', old: A, new: C }]);
    } catch (err) {
      caught = err;
    }
    expect(isGittyError(caught, 'NOT_AT_HEAD')).toBe(true);
    expect((caught as { head?: string }).head).toBe(B);
    expect(readFileSync(file, 'utf8')).toBe(before);
    // A line for another name does not block the append.
    appendFileSync(file, `head('other.pl',-,'${C}').\n`);
    const after = (await log.readFrom(at))!;
    await log.append({ epoch: after.epoch, offset: after.offset - Buffer.byteLength(`head('other.pl',-,'${C}').\n`) }, [{ name: 'a.pl', old: B, new: C }]);
    expect(readFileSync(file, 'utf8').trimEnd().split('\n').at(-1)).toBe(`head('a.pl','${B}',${C}).`);
  });

  it('starts over when SWISH rewrites the file (no epoch, or a new one), and skips a malformed line, naming its number', async () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `head('a.pl',-,'${A}').\nnot a term\n`);
    const log = new SwishHeadLog(file, { durability: 'none' });
    const read = (await log.readFrom())!;
    expect(read.epoch).toBe('');
    expect(read.events).toEqual([{ name: 'a.pl', old: null, new: A }]);
    expect(read.skipped).toBe(1);
    expect(await log.malformedLines()).toEqual([{ line: 2, reason: expect.stringMatching(/Prolog|head/) }]);
    writeFileSync(file, `epoch(1796130729).\n\nhead('b.pl',-,'${B}').\n`);
    const again = (await log.readFrom(read))!;
    expect(again.reset).toBe(true);
    expect(again.events).toEqual([{ name: 'b.pl', old: null, new: B }]);
  });
});
