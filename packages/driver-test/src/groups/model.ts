import fc from 'fast-check';
import { isGittyError } from '@gitty/core';
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
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
          const prefix = `r${run++}-`;
          const model = new Map<string, ModelFile>();
          for (const s of steps) {
            const name = prefix + s.name;
            const known = model.get(name);
            if (s.op === 'create') {
              if (known) {
                const err = await store.create(name, s.data).catch((e: unknown) => e);
                expect(isGittyError(err, 'FILE_EXISTS')).toBe(true);
              } else {
                const c = await store.create(name, s.data);
                model.set(name, { data: s.data, head: c.commit, heads: [c.commit] });
              }
            } else if (s.op === 'update') {
              if (!known) continue; // nothing to update: covered by create/get
              if (s.stale && known.heads.length > 1) {
                const err = await store.update(name, s.data, { previous: known.heads[0]! }).catch((e: unknown) => e);
                expect(isGittyError(err, 'NOT_AT_HEAD')).toBe(true);
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
            } else {
              if (known) {
                const v = await store.get(name);
                expect(v.text).toBe(known.data);
                expect(v.commit.commit).toBe(known.head);
              } else {
                const err = await store.get(name).catch((e: unknown) => e);
                expect(isGittyError(err, 'NOT_FOUND')).toBe(true);
              }
            }
          }
          const listed = (await collect(store.files({ namePrefix: prefix }))).map((f) => [f.name, f.head]);
          const expected = [...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, f]) => [n, f.head]);
          expect(listed).toEqual(expected);
          for (const [name, file] of model) {
            const history = await store.history(name, { depth: 1000 });
            expect(history.history.map((c) => c.commit)).toEqual([...file.heads].reverse());
          }
        }),
        { numRuns: Math.max(5, Math.round(20 * ctx.scale)) },
      );
      const report = await store.fsck();
      expect(report.errors).toEqual([]);
    });
  });
}
