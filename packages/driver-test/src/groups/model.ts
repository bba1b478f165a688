import fc from 'fast-check';
import { isGittyError, type FileExistsError, type NotAtHeadError, type Store } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect } from '../util.js';

/** One step of a random session against the store. */
type Step =
  | { op: 'create'; name: string; data: string }
  | { op: 'update'; name: string; data: string; stale: boolean }
  | { op: 'delete'; name: string }
  | { op: 'get'; name: string };

/** What the model remembers per file: its data, head and how many versions it has. */
interface ModelFile {
  data: string;
  head: string;
  heads: string[];
}

const names = fc.constantFrom('a.pl', 'b.pl', 'c.txt', 'ü d');
const data = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('', 'same', 'same\n'));
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constant('create' as const), name: names, data }),
  fc.record({ op: fc.constant('update' as const), name: names, data, stale: fc.boolean() }),
  fc.record({ op: fc.constant('delete' as const), name: names }),
  fc.record({ op: fc.constant('get' as const), name: names }),
);

/**
 * Run `steps` against the model and the stores (each step on `stores[pick % n]`, rescanning it
 * first when there are several), then compare listing and histories with the model.
 */
async function checkSession(ctx: SuiteContext, stores: Store[], prefix: string, steps: Array<[Step, number]>): Promise<void> {
  const { expect } = ctx;
  const model = new Map<string, ModelFile>();
  for (const [s, pick] of steps) {
    const store = stores[pick % stores.length]!;
    if (stores.length > 1) await store.rescan();
    const name = prefix + s.name;
    const known = model.get(name);
    if (s.op === 'create') {
      if (known) {
        const err = await store.create(name, s.data).catch((e: unknown) => e);
        expect(isGittyError(err, 'FILE_EXISTS')).toBe(true);
        expect((err as FileExistsError).head).toBe(known.head);
      } else {
        const c = await store.create(name, s.data);
        model.set(name, { data: s.data, head: c.commit, heads: [c.commit] });
      }
    } else if (s.op === 'update') {
      if (!known) continue; // nothing to update: covered by create/get
      if (s.stale && known.heads.length > 1) {
        const err = await store.update(name, s.data, { previous: known.heads[0]! }).catch((e: unknown) => e);
        expect(isGittyError(err, 'NOT_AT_HEAD')).toBe(true);
        expect((err as NotAtHeadError).head).toBe(known.head);
      } else {
        const c = await store.update(name, s.data, { previous: known.head });
        known.data = s.data;
        known.head = c.commit;
        known.heads.push(c.commit);
      }
    } else if (s.op === 'delete') {
      if (known) {
        await store.delete(name);
        model.delete(name);
      } else {
        const err = await store.delete(name).catch((e: unknown) => e);
        expect(isGittyError(err, 'NOT_FOUND')).toBe(true);
      }
    } else if (known) {
      const v = await store.get(name);
      expect(v.text).toBe(known.data);
      expect(v.commit.commit).toBe(known.head);
    } else {
      const err = await store.get(name).catch((e: unknown) => e);
      expect(isGittyError(err, 'NOT_FOUND')).toBe(true);
    }
  }
  for (const store of stores) {
    if (stores.length > 1) await store.rescan();
    const listed = (await collect(store.files({ namePrefix: prefix }))).map((f) => [f.name, f.head]);
    const expected = [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, f]) => [n, f.head]);
    expect(listed).toEqual(expected);
    for (const [name, file] of model) {
      const history = await store.history(name, { depth: 1000 });
      expect(history.history.map((c) => c.commit)).toEqual([...file.heads].reverse());
    }
  }
}

const session = fc.array(fc.tuple(step, fc.nat()), { minLength: 1, maxLength: 25 });

/** Random sequences of create/update/delete/get checked against a Map. */
export function modelTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('model-based', () => {
    it('random create/update/delete/get sequences agree with a Map model', async (fixture) => {
      // Every run uses its own file-name prefix, so one store serves them all (a factory call
      // per run would make slow drivers' suites slower without testing more).
      const store = await fixture.store();
      let run = 0;
      await fc.assert(
        fc.asyncProperty(session, (steps) => checkSession(ctx, [store], `r${run++}-`, steps)),
        { numRuns: Math.max(5, Math.round(20 * ctx.scale)) },
      );
      expect((await store.fsck()).errors).toEqual([]);
    });

    it('sharedHeads: random sessions spread over two drivers on one store agree with the model', async (fixture) => {
      if (!fixture.driver.capabilities.sharedHeads || !fixture.canOpenAnother) {
        // A single driver: the same model, with a rescan before every step, must still hold.
        const store = await fixture.store();
        const [steps] = fc.sample(session, { numRuns: 1, seed: 7 });
        await checkSession(ctx, [store, store], 'single-', steps!);
        return;
      }
      const stores = [await fixture.store(), await fixture.store(await fixture.openAnother())];
      let run = 0;
      await fc.assert(
        fc.asyncProperty(session, (steps) => checkSession(ctx, stores, `s${run++}-`, steps)),
        { numRuns: Math.max(3, Math.round(10 * ctx.scale)) },
      );
      expect((await stores[1]!.fsck()).errors).toEqual([]);
    });
  });
}
