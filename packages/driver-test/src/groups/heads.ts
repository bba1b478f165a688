import { NotAtHeadError, isGittyError } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, commitHead, failsWith, putCommit } from '../util.js';

/** The head of a NOT_AT_HEAD error (null: the file has no head). */
function headOf(err: unknown): string | null | undefined {
  return err instanceof NotAtHeadError || isGittyError(err, 'NOT_AT_HEAD') ? (err as NotAtHeadError).head : undefined;
}

/** Heads: the compare-and-swap that makes every update safe. */
export function headTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('heads', () => {
    it('a fresh store has no objects and no heads', async ({ driver }) => {
      expect(await collect(driver.objects())).toEqual([]);
      expect(await collect(driver.heads())).toEqual([]);
      expect(await driver.getHead('a.pl')).toBeUndefined();
    });

    it('updateHead creates with expected null, moves by compare-and-swap and deletes with next null', async ({ driver }) => {
      const c1 = await putCommit(driver, 'a.pl', 'one');
      await driver.updateHead('a.pl', null, c1);
      expect(await driver.getHead('a.pl')).toBe(c1);
      const c2 = await putCommit(driver, 'a.pl', 'two', c1);
      await driver.updateHead('a.pl', c1, c2);
      expect(await driver.getHead('a.pl')).toBe(c2);
      expect(await collect(driver.heads())).toEqual([{ name: 'a.pl', head: c2 }]);
      await driver.updateHead('a.pl', c2, null);
      expect(await driver.getHead('a.pl')).toBeUndefined();
      expect(await collect(driver.heads())).toEqual([]);
      // A deleted name can be created again.
      const c3 = await putCommit(driver, 'a.pl', 'three');
      await driver.updateHead('a.pl', null, c3);
      expect(await driver.getHead('a.pl')).toBe(c3);
    });

    it('creating over an existing head throws NOT_AT_HEAD carrying the current head', async ({ driver }) => {
      const c1 = await commitHead(driver, 'a.pl', 'one');
      const other = await putCommit(driver, 'a.pl', 'other');
      const err = await failsWith('NOT_AT_HEAD', () => driver.updateHead('a.pl', null, other));
      expect(headOf(err)).toBe(c1);
      expect(await driver.getHead('a.pl')).toBe(c1);
    });

    it('an update from a stale head throws NOT_AT_HEAD carrying the current head and changes nothing', async ({ driver }) => {
      const c1 = await commitHead(driver, 'a.pl', 'one');
      const c2 = await commitHead(driver, 'a.pl', 'two', c1);
      const late = await putCommit(driver, 'a.pl', 'late', c1);
      const err = await failsWith('NOT_AT_HEAD', () => driver.updateHead('a.pl', c1, late));
      expect(headOf(err)).toBe(c2);
      expect(err.message).toContain(c2);
      expect(await driver.getHead('a.pl')).toBe(c2);
      // Deleting from a stale head fails the same way and keeps the head.
      expect(headOf(await failsWith('NOT_AT_HEAD', () => driver.updateHead('a.pl', c1, null)))).toBe(c2);
      expect(await driver.getHead('a.pl')).toBe(c2);
    });

    it('updating or deleting a missing head throws NOT_AT_HEAD with head null', async ({ driver }) => {
      const c1 = await putCommit(driver, 'a.pl', 'one');
      const c2 = await putCommit(driver, 'a.pl', 'two', c1);
      expect(headOf(await failsWith('NOT_AT_HEAD', () => driver.updateHead('a.pl', c1, c2)))).toBe(null);
      expect(headOf(await failsWith('NOT_AT_HEAD', () => driver.updateHead('a.pl', c1, null)))).toBe(null);
      expect(await driver.getHead('a.pl')).toBeUndefined();
    });

    it('heads() lists each head once and heads({ ext }) only names with that extension', async ({ driver }) => {
      const names = ['a.pl', 'b.pl', 'c.swinb', 'noext', 'dots.in.name.pl', 'ünïcödé €.pl', 'with space.txt', '.pl'];
      const expected = new Map<string, string>();
      for (const name of names) expected.set(name, await commitHead(driver, name, `content of ${name}`));
      const all = await collect(driver.heads());
      expect(all.length).toBe(names.length);
      expect(new Map(all.map((h) => [h.name, h.head]))).toEqual(expected);
      const pl = (await collect(driver.heads({ ext: 'pl' }))).map((h) => h.name).sort();
      // '.pl' is a dot-file without an extension, as extensionOf says.
      expect(pl).toEqual(['a.pl', 'b.pl', 'dots.in.name.pl', 'ünïcödé €.pl']);
      expect((await collect(driver.heads({ ext: 'swinb' }))).map((h) => h.name)).toEqual(['c.swinb']);
      expect((await collect(driver.heads({ ext: '' }))).map((h) => h.name).sort()).toEqual(['.pl', 'noext']);
      expect(await collect(driver.heads({ ext: 'none' }))).toEqual([]);
    });

    it('names that are Object.prototype keys are ordinary names', async ({ driver }) => {
      for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) expect(await driver.getHead(name)).toBeUndefined();
      const heads = new Map<string, string>();
      for (const name of ['__proto__', 'constructor', 'valueOf.pl']) heads.set(name, await commitHead(driver, name, name));
      for (const [name, head] of heads) expect(await driver.getHead(name)).toBe(head);
      expect(await driver.getHead('toString')).toBeUndefined();
      expect(new Map((await collect(driver.heads())).map((h) => [h.name, h.head]))).toEqual(heads);
      await driver.updateHead('__proto__', heads.get('__proto__')!, null);
      expect(await driver.getHead('__proto__')).toBeUndefined();
      expect((await collect(driver.heads())).length).toBe(2);
    });

    it('concurrent compare-and-swap from many async callers: exactly one winner per round', async ({ driver }) => {
      const rounds = Math.max(2, Math.round(6 * ctx.scale));
      const callers = 12;
      let head = await commitHead(driver, 'race.pl', 'start');
      for (let round = 0; round < rounds; round++) {
        const candidates = await Promise.all(
          Array.from({ length: callers }, (_, i) => putCommit(driver, 'race.pl', `round ${round} caller ${i}`, head)),
        );
        const outcomes = await Promise.allSettled(candidates.map((c) => driver.updateHead('race.pl', head, c)));
        const winners = candidates.filter((_, i) => outcomes[i]!.status === 'fulfilled');
        expect(winners.length).toBe(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expect(isGittyError(outcome.reason, 'NOT_AT_HEAD')).toBe(true);
            expect(headOf(outcome.reason)).toBe(winners[0]);
          }
        }
        expect(await driver.getHead('race.pl')).toBe(winners[0]);
        head = winners[0]!;
      }
    });

    it('concurrent creates of one name: exactly one wins; of distinct names: all win', async ({ driver }) => {
      const candidates = await Promise.all(Array.from({ length: 10 }, (_, i) => putCommit(driver, 'new.pl', `v${i}`)));
      const outcomes = await Promise.allSettled(candidates.map((c) => driver.updateHead('new.pl', null, c)));
      expect(outcomes.filter((o) => o.status === 'fulfilled').length).toBe(1);
      const many = await Promise.all(Array.from({ length: 30 }, (_, i) => commitHead(driver, `file${i}.pl`, `v${i}`)));
      expect((await collect(driver.heads())).length).toBe(31);
      for (let i = 0; i < many.length; i++) expect(await driver.getHead(`file${i}.pl`)).toBe(many[i]);
    });
  });
}
