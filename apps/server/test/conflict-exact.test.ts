import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '@gitty/core';
import { conflictBody } from '../src/conflict.js';

// The 409 answer of an update that lost its race, built from a real memory store: the exact
// message, both diffs with their labels, the merge, and what each becomes when a side is
// missing, deleted, binary or too large to diff.

let store: Store;
let base: string;
let head: string;

const text = (...lines: string[]) => lines.map((line) => `${line}\n`).join('');

beforeEach(async () => {
  store = await openStore({ driver: 'memory' });
  base = (await store.create('f.txt', text('a', 'b', 'c', 'd', 'e'))).commit;
  head = (await store.update('f.txt', text('A', 'b', 'c', 'd', 'e'), { previous: base })).commit;
});

afterEach(async () => {
  await store.close();
});

const mine = new TextEncoder().encode(text('a', 'b', 'c', 'd', 'E'));
const at = (hash: string) => `f.txt@${hash.slice(0, 10)}`;

describe('conflictBody', () => {
  it('gives both diffs from the common version and the merge of changes to different lines', async () => {
    const body = await conflictBody(store, 'f.txt', base, head, mine);
    expect(body).toEqual({
      code: 'NOT_AT_HEAD',
      message: `File "f.txt" is at ${head}, not at ${base}`,
      head,
      diffs: {
        toHead: `===================================================================\n--- ${at(base)}\n+++ ${at(head)}\n@@ -1,4 +1,4 @@\n-a\n+A\n b\n c\n d\n`,
        toYours: `===================================================================\n--- ${at(base)}\n+++ f.txt@yours\n@@ -2,4 +2,4 @@\n b\n c\n d\n-e\n+E\n`,
      },
      merged: text('A', 'b', 'c', 'd', 'E'),
    });
  });

  it('offers no merge when both sides changed the same line', async () => {
    const body = await conflictBody(store, 'f.txt', base, head, new TextEncoder().encode(text('Z', 'b', 'c', 'd', 'e')));
    expect(body.merged).toBeUndefined();
    expect('merged' in body).toBe(false);
    expect(body.diffs.toYours).toContain('-a\n+Z\n');
  });

  it('says the file was deleted, with no head diff and no merge', async () => {
    await store.delete('f.txt', { previous: head });
    const body = await conflictBody(store, 'f.txt', base, null, mine);
    expect(body).toEqual({
      code: 'NOT_AT_HEAD',
      message: 'File "f.txt" was deleted; it no longer has a head',
      head: null,
      diffs: { toHead: null, toYours: expect.stringContaining('+E\n') },
    });
  });

  it('gives no diff to yours and no merge for binary data', async () => {
    const body = await conflictBody(store, 'f.txt', base, head, new Uint8Array([0xff, 0xfe]));
    expect(body.diffs.toYours).toBeNull();
    expect(body.diffs.toHead).toContain('+A\n');
    expect('merged' in body).toBe(false);
  });

  it('gives no diffs when the common version is unknown here', async () => {
    const unknown = '0'.repeat(40);
    const body = await conflictBody(store, 'f.txt', unknown, head, mine);
    expect(body).toEqual({
      code: 'NOT_AT_HEAD',
      message: `File "f.txt" is at ${head}, not at ${unknown}`,
      head,
      diffs: { toHead: null, toYours: null },
    });
  });

  it('gives no head diff and no merge when the head holds binary data', async () => {
    const binaryHead = (await store.update('f.txt', new Uint8Array([0, 0xff]), { previous: head })).commit;
    const body = await conflictBody(store, 'f.txt', base, binaryHead, mine);
    expect(body.diffs.toHead).toBeNull();
    expect(body.diffs.toYours).toContain('+E\n');
    expect('merged' in body).toBe(false);
  });

  it('notes the sizes instead of a diff beyond the limits, and offers no merge', async () => {
    const body = await conflictBody(store, 'f.txt', base, head, mine, { maxEditLength: 1 });
    expect(body.diffs).toEqual({
      toHead: `Files ${at(base)} and ${at(head)} differ, 5 → 5 lines (too different to show a line diff)\n`,
      toYours: `Files ${at(base)} and f.txt@yours differ, 5 → 5 lines (too different to show a line diff)\n`,
    });
    expect('merged' in body).toBe(false);
  });

  it('passes on a failure other than a missing object', async () => {
    await store.close();
    await expect(conflictBody(store, 'f.txt', base, head, mine)).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
