import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store, isGittyError, writeAtom, type Commit, type HeadChange } from '@gitty/core';
import { waitFor } from '@gitty/driver-test/harness';
import { parseSwishHeadLine } from '@gitty/driver-files';
import { extractFixture, locateSwish, swish, swishDump, warnSwishMissing } from '@gitty/driver-test/swish';
import { dumpedMeta, fileOf, openSwish } from './real-swish-support.js';

// The tests on stores of their own (each its own temp dir) are in real-swish-own-stores.test.ts,
// so the two halves run in parallel.
const located = locateSwish();
if (located.reason) warnSwishMissing(located.reason, 'real-swish.test.ts (gitty and SWISH on one store)');

describe('gitty and real SWISH on one SWISH store', () => {
  const bin = located.bin!;
  let fixture: { dir: string; remove: () => Promise<void> };
  let store: Store;

  beforeAll(async () => {
    fixture = await extractFixture();
    store = await openSwish(fixture.dir);
  });
  afterAll(async () => {
    await store?.close();
    await fixture?.remove();
  });

  it('gitty creates and updates files; SWISH\'s dump shows them with the metadata gitty returned, and its fsck is clean', async () => {
    const written = new Map<string, Commit[]>();
    const remember = (c: Commit) => written.set(c.name, [c, ...(written.get(c.name) ?? [])]);
    remember(await store.create('from-gitty.pl', 'p(1).\n', { author: 'gitty', tags: ['new', 'tag 2'], public: true, nested: { a: [1, 2.5, null, false], 'key "q"': 'va\\l\'ue' } }));
    remember(await store.update('from-gitty.pl', 'p(2).\n', { previous: written.get('from-gitty.pl')![0]!.commit, commit_message: 'second', big: 98765432109876543210n }));
    remember(await store.create('Ünïcödé — «name» \'q\'.md', '# ☃\n', { example: '𝄞 \u0000 \t \n', score: -0.5 }));
    // Update a file SWISH made (its metadata, e.g. `big`, `modify`, is carried over).
    const swishHead = await store.head('prog1.swinb');
    remember(await store.update('prog1.swinb', 'by gitty\n', { previous: swishHead!, author: 'gitty' }));

    const dump = await swishDump(bin, fixture.dir);
    for (const [name, commits] of written) {
      const file = fileOf(dump, name);
      for (const commit of commits) {
        const version = file.history.find((v) => v.commit === commit.commit);
        expect(version, `${name} ${commit.commit}`).toBeDefined();
        expect(dumpedMeta(version!)).toStrictEqual({ ...commit });
        expect(version!.text).toBe((await store.get(commit.commit)).text);
      }
      expect(file.history[0]!.commit).toBe(commits[0]!.commit);
    }
    await swish(bin, ['fsck', fixture.dir]);
  });

  it('SWISH creates and updates a file; gitty sees it by watch and by rescan, with the hash SWISH printed', async () => {
    const events: string[] = [];
    const unsubscribe = store.on('head', (e) => {
      if (e.origin === 'remote' && e.new) events.push(e.new);
    });
    try {
      const updated = (await swish(bin, ['update', fixture.dir, 'from-gitty.pl', 'p(3) :- swish.\n'])).trim();
      await waitFor(() => events.includes(updated), 20_000);
      expect(await store.head('from-gitty.pl')).toBe(updated);
      const version = await store.get('from-gitty.pl');
      expect(version.text).toBe('p(3) :- swish.\n');
      expect(version.commit).toMatchObject({ author: 'swish-gitty', commit_message: 'updated by SWISH', big: 98765432109876543210n, tags: ['new', 'tag 2'] });
      const created = (await swish(bin, ['create', fixture.dir, 'made-by-swish.pl', 'q.\n'])).trim();
      const other = await openSwish(fixture.dir, { pollInterval: 3_600_000, watchLog: false });
      try {
        await other.rescan();
        expect(await other.head('made-by-swish.pl')).toBe(created);
        expect((await other.get('made-by-swish.pl')).text).toBe('q.\n');
        // And gitty continues the history SWISH wrote.
        const next = await other.update('made-by-swish.pl', 'q(2).\n', { previous: created });
        await store.rescan();
        expect((await store.history('made-by-swish.pl')).history.map((c) => c.commit)).toEqual([next.commit, created]);
      } finally {
        await other.close();
      }
    } finally {
      unsubscribe();
    }
  });

  it('history windows (a start, a depth) equal SWISH\'s gitty_history/4 on the same store', async () => {
    // From the head (by name) and from older commits (by hash), at several depths.
    const cases: Array<{ start: string; depth: number }> = [];
    for (const name of ['prog4.pl', 'prog11.md', 'made-by-swish.pl']) {
      const { history } = await store.history(name, { depth: 100 });
      cases.push({ start: name, depth: 2 });
      for (const [i, c] of history.entries()) cases.push({ start: c.commit, depth: 1 + (i % 4) });
    }
    const lib = path.join(path.dirname(bin), 'lib', 'gitty');
    const calls = cases.map((c) => `${writeAtom(c.start)}-${c.depth}`).join(',');
    const goal = `use_module(${writeAtom(lib)}), use_module(library(http/json)), gitty_open(${writeAtom(fixture.dir)}, []), `
      + `forall(member(N-D, [${calls}]), (gitty_history(${writeAtom(fixture.dir)}, N, R, [depth(D)]), `
      + 'get_dict(history, R, L), get_dict(skipped, R, S), findall(X, (member(C, L), get_dict(commit, C, X)), Hs), '
      + 'json_write_dict(current_output, _{history:Hs, skipped:S}, [width(0)]), nl))';
    const { stdout } = await promisify(execFile)('swipl', ['-g', goal, '-t', 'halt'], { timeout: 120_000 });
    const swishWindows = stdout.trim().split('\n').map((line) => JSON.parse(line) as { history: string[]; skipped: number });
    expect(swishWindows).toHaveLength(cases.length);
    for (const [i, c] of cases.entries()) {
      const window = await store.history(c.start, { depth: c.depth });
      expect({ history: window.history.map((h) => h.commit), skipped: window.skipped }, JSON.stringify(c)).toEqual(swishWindows[i]);
    }
  });

  it('history windows with includes equal SWISH\'s gitty_history/4 (the newest commits, then a run from the included one)', async () => {
    // A 14-version file written by gitty, and fixture files SWISH wrote, so short and long chains.
    const long: Commit[] = [await store.create('windows.pl', 'v0\n')];
    for (let i = 1; i < 14; i++) long.push(await store.update('windows.pl', `v${i}\n`, { previous: long[i - 1]!.commit }));
    const cases: Array<{ start: string; depth: number; includes: string }> = [];
    for (const name of ['windows.pl', 'prog6.lnk', 'prog13.swinb']) {
      const { history } = await store.history(name, { depth: 100 });
      for (const [i, c] of history.entries()) {
        for (const depth of [1, 2, 3, 4, 5, 6, 9]) cases.push({ start: name, depth, includes: c.commit });
        // From an older version (by hash), with an included one below it.
        if (i + 3 < history.length) cases.push({ start: c.commit, depth: 3, includes: history[i + 3]!.commit });
      }
    }
    // Not on the chain: a commit of another file, a newer commit of the same file, a hash the store lacks.
    const other = (await store.history('prog11.md', { depth: 100 })).history;
    cases.push({ start: 'windows.pl', depth: 5, includes: other[1]!.commit });
    cases.push({ start: long[4]!.commit, depth: 4, includes: long[9]!.commit });
    cases.push({ start: 'windows.pl', depth: 4, includes: '0123456789abcdef0123456789abcdef01234567' });
    const lib = path.join(path.dirname(bin), 'lib', 'gitty');
    const calls = cases.map((c) => `${writeAtom(c.start)}-${c.depth}-${writeAtom(c.includes)}`).join(',');
    const goal = `use_module(${writeAtom(lib)}), use_module(library(http/json)), gitty_open(${writeAtom(fixture.dir)}, []), `
      + `forall(member(N-D-I, [${calls}]), (gitty_history(${writeAtom(fixture.dir)}, N, R, [depth(D), includes(I)]), `
      + 'get_dict(history, R, L), get_dict(skipped, R, S), findall(X, (member(C, L), get_dict(commit, C, X)), Hs), '
      + 'json_write_dict(current_output, _{history:Hs, skipped:S}, [width(0)]), nl))';
    const { stdout } = await promisify(execFile)('swipl', ['-g', goal, '-t', 'halt'], { timeout: 120_000, maxBuffer: 16 << 20 });
    const swishWindows = stdout.trim().split('\n').map((line) => JSON.parse(line) as { history: string[]; skipped: number });
    expect(swishWindows).toHaveLength(cases.length);
    // SWISH really leaves a gap in some of these windows (so the cases test more than a slice).
    expect(swishWindows.some((w) => w.skipped > 0 && w.history.length > 1)).toBe(true);
    const mismatches: string[] = [];
    for (const [i, c] of cases.entries()) {
      const window = await store.history(c.start, { depth: c.depth, includes: c.includes });
      const ours = { history: window.history.map((h) => h.commit), skipped: window.skipped };
      if (JSON.stringify(ours) !== JSON.stringify(swishWindows[i])) mismatches.push(`${JSON.stringify(c)}: gitty ${JSON.stringify(ours)}, SWISH ${JSON.stringify(swishWindows[i])}`);
    }
    expect(mismatches, `${mismatches.length} of ${cases.length} windows differ`).toEqual([]);
  });

  it('diffs between two versions show the same changes as SWISH\'s gitty_diff/4 (hunks and tags)', async () => {
    // Text edits where a line diff has choices to make (moved, repeated and blank lines, no final newline).
    const texts = [
      'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n',
      'a\nb\nX\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n',
      'x\n\n\nb\nX\nd\nd\ne\nf\ng\nh\nh\ni\nj\nk\nl\nm',
      'a\nb\nc\n}\n\n}\nq\n}\n\n}\nd\n',
    ];
    const edits: Commit[] = [await store.create('diffs.pl', texts[0]!, { tags: ['one', 'two'] })];
    for (const [i, text] of texts.slice(1).entries()) {
      edits.push(await store.update('diffs.pl', text, { previous: edits[i]!.commit, tags: i === 1 ? ['two', 'three', 'a'] : ['two'] }));
    }
    const pairs: Array<[string, string]> = [];
    for (const name of ['diffs.pl', 'prog6.lnk', 'prog13.swinb', 'prog4.pl']) {
      const chain = (await store.history(name, { depth: 100 })).history.map((c) => c.commit).reverse();
      for (let i = 1; i < chain.length; i++) pairs.push([chain[i - 1]!, chain[i]!]);
      pairs.push([chain[0]!, chain.at(-1)!], [chain.at(-1)!, chain[0]!]);
    }
    const lib = path.join(path.dirname(bin), 'lib', 'gitty');
    const calls = pairs.map(([a, b]) => `${writeAtom(a)}-${writeAtom(b)}`).join(',');
    const goal = `use_module(${writeAtom(lib)}), use_module(library(http/json)), gitty_open(${writeAtom(fixture.dir)}, []), `
      + `forall(member(A-B, [${calls}]), (gitty_diff(${writeAtom(fixture.dir)}, A, B, D), `
      + '(get_dict(data, D, U) -> true ; U = ""), (get_dict(tags, D, T) -> true ; T = _{added:[], deleted:[]}), '
      + 'json_write_dict(current_output, _{data:U, tags:T}, [width(0)]), nl))';
    const { stdout } = await promisify(execFile)('swipl', ['-g', goal, '-t', 'halt'], { timeout: 120_000, maxBuffer: 16 << 20 });
    const swishDiffs = stdout.trim().split('\n').map((line) => JSON.parse(line) as { data: string; tags: { added: string[]; deleted: string[] } });
    expect(swishDiffs).toHaveLength(pairs.length);
    // The file header lines name temp files and times in SWISH (GNU diff -u) and versions in
    // gitty: compare from the first hunk on.
    const hunks = (udiff: string) => udiff.slice(Math.max(0, udiff.indexOf('\n@@') + 1));
    // The same change: hunk headers, and the lines removed and added in each hunk (as multisets).
    const changes = (udiff: string) => hunks(udiff).split(/^(?=@@)/m).map((hunk) => {
      const lines = hunk.split('\n');
      return { header: lines[0], removed: lines.filter((l) => l.startsWith('-')).sort(), added: lines.filter((l) => l.startsWith('+')).sort() };
    });
    const notSameChange: string[] = [];
    const notSameText: string[] = [];
    for (const [i, [a, b]] of pairs.entries()) {
      const ours = await store.diff(a, b);
      const theirs = swishDiffs[i]!;
      const { tags } = ours;
      const shown = `${a}..${b}:\ngitty ${JSON.stringify(ours.data)} ${JSON.stringify(tags)}\nSWISH ${JSON.stringify(theirs)}`;
      if (JSON.stringify([changes(ours.data), tags]) !== JSON.stringify([changes(theirs.data), theirs.tags])) notSameChange.push(shown);
      if (hunks(ours.data) !== hunks(theirs.data)) notSameText.push(`${a}..${b}`);
    }
    expect(swishDiffs.some((d) => d.data.includes('\n@@') && d.tags.added.length > 0)).toBe(true);
    expect(notSameChange, `${notSameChange.length} of ${pairs.length} diffs differ`).toEqual([]);
    // Hunk text is identical too, except where a minimal diff has a tie: in texts[2] -> texts[3]
    // GNU diff (SWISH) removes the first of two equal lines "d" and jsdiff (gitty) the second.
    expect(notSameText).toEqual([`${edits[2]!.commit}..${edits[3]!.commit}`]);
  });

  it('refuses to delete a file, since SWISH has no deletion; SWISH\'s own delete (an empty version) is an update gitty makes and SWISH reads', async () => {
    await expect(store.delete('from-gitty.pl')).rejects.toMatchObject({ code: 'UNSUPPORTED', message: expect.stringMatching(/update the file to empty text/) });
    const head = await store.head('from-gitty.pl');
    expect(head).toBeDefined();
    // What SWISH's web app does on DELETE (lib/storage.pl): gitty_update with empty data.
    const emptied = await store.update('from-gitty.pl', '', { previous: head!, commit_message: 'deleted' });
    const [version] = fileOf(await swishDump(bin, fixture.dir), 'from-gitty.pl').history;
    expect({ commit: version!.commit, text: version!.text }).toEqual({ commit: emptied.commit, text: '' });
  });

  it('gitty and SWISH writing one file at once: SWISH\'s acknowledged updates are all kept; gitty\'s are lost only to SWISH\'s own stale appends', async () => {
    const name = 'contended.pl';
    let head = (await store.create(name, 'v0\n')).commit;
    const fromGitty = new Set<string>([head]);
    const fromSwish = new Set<string>();
    let swishDone = false;
    const gittyWriter = (async () => {
      let n = 0;
      while (!swishDone) {
        // The files driver's hot path is synchronous: yield, or SWISH's exit is never seen.
        await new Promise((resolve) => setTimeout(resolve, 15));
        try {
          const c = await store.update(name, `gitty ${++n}\n`, { previous: head });
          fromGitty.add(c.commit);
          head = c.commit;
        } catch (err) {
          if (!isGittyError(err, 'NOT_AT_HEAD') && !isGittyError(err, 'INVALID_ARGUMENT')) throw err;
          await store.rescan();
          head = (await store.head(name))!;
        }
      }
    })();
    let refused = 0;
    try {
      for (let i = 0; i < 5; i++) {
        try {
          fromSwish.add((await swish(bin, ['update', fixture.dir, name, `swish ${i}\n`])).trim());
        } catch (err) {
          // SWISH refuses, appending nothing (not acknowledged, retry), when it sees the head moved:
          // "modified by someone else" when `previous` is no longer the head it knows, and "updated
          // by someone else" when, under its lock, it re-reads the log (it does so when its last read
          // is over a second old, i.e. on a slow machine) and finds its parent no longer the head.
          if (!/(modified|updated) by someone else/.test(String(err)) || ++refused > 40) throw err;
          i--;
        }
      }
    } finally {
      swishDone = true;
      await gittyWriter;
    }
    await store.rescan();
    const history = new Set<string>();
    for await (const c of store.walk(name)) history.add(c.commit);
    // Every update SWISH acknowledged is in the history gitty and SWISH agree on.
    expect([...fromSwish].filter((h) => !history.has(h))).toEqual([]);
    const dump = await swishDump(bin, fixture.dir);
    expect(new Set(fileOf(dump, name).history.map((v) => v.commit))).toEqual(history);
    // SWISH checks `previous` against heads it read before taking its lock, and appends anyway:
    // a gitty update that landed in that window is overridden by a SWISH line with the same
    // parent (SWISH loses updates to another SWISH process the same way). Every lost gitty
    // update must be exactly that case — gitty itself never overrides anything.
    const lines = (await readFile(path.join(fixture.dir, 'ref', 'head'), 'utf8')).split('\n')
      .map((line) => parseSwishHeadLine(line))
      .filter((c): c is HeadChange => typeof c !== 'string' && c.name === name);
    const lostGitty = [...fromGitty].filter((h) => !history.has(h));
    const lostSet = new Set(lostGitty);
    let followedByLost = 0;
    for (const lost of lostGitty) {
      // After gitty's line (for this file) come only more lost gitty lines (gitty went on from
      // its own head before SWISH appended), then SWISH's, whose Old is none of them: SWISH
      // decided on an older head (by one or more versions) and appended over gitty's.
      const at = lines.findIndex((c) => c.new === lost);
      let end = at + 1;
      while (end < lines.length && lostSet.has(lines[end]!.new!)) end++;
      if (end > at + 1) followedByLost++;
      const next = lines[end];
      let start = at;
      while (start > 0 && lostSet.has(lines[start - 1]!.new!)) start--;
      const shown = lines.slice(Math.max(0, start - 1), end + 2).map((c) => `${c.old?.slice(0, 8)}->${c.new?.slice(0, 8)}${fromSwish.has(c.new!) ? ' (SWISH)' : ''}`).join(', ');
      // SWISH's Old is exactly the head just before the run of lost lines: the last one its read had seen.
      expect(at >= 0 && next !== undefined && fromSwish.has(next.new!) && next.old === lines[start]!.old, `gitty's ${lost} lost, but not to a stale SWISH line: ${shown}`).toBe(true);
    }
    // Replayed line by line, a stale line is one whose Old is not the head it follows.
    let replayed: string | null = null;
    let staleSwish = 0;
    for (const line of lines) {
      if (line.old !== replayed && fromSwish.has(line.new!)) staleSwish++;
      replayed = line.new;
    }
    // gitty's fsck names each overridden version: the last gitty version before each stale SWISH line.
    const overrides = (await store.fsck()).errors.filter((e) => e.code === 'HEAD_LOG_OVERRIDE' && e.name === name);
    expect(overrides.length).toBe(staleSwish);
    expect(overrides.filter((e) => !lostSet.has(e.hash!))).toEqual([]);
    process.stderr.write(`contended file: ${fromGitty.size} gitty and ${fromSwish.size} SWISH updates, ${refused} SWISH refusals, ${staleSwish} stale SWISH lines, ${lostGitty.length} gitty updates overridden by stale SWISH appends (${followedByLost} followed by another lost gitty line)\n`);
  });
});
