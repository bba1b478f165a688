import { hashObject, isGittyError, NotAtHeadError, FileExistsError } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, failsWith, utf8 } from '../util.js';

/** The Store's typed errors on top of the driver, and that bad input leaves the store intact. */
export function storeErrorTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('Store errors', () => {
    it('create of an existing file fails with FILE_EXISTS naming the head', async (fixture) => {
      const store = await fixture.store();
      const c = await store.create('a.pl', 'one');
      const err = await failsWith('FILE_EXISTS', () => store.create('a.pl', 'two'));
      expect((err as FileExistsError).head).toBe(c.commit);
      expect(err.message).toContain(c.commit);
      expect((await store.get('a.pl')).text).toBe('one');
    });

    it('update from a stale previous fails with NOT_AT_HEAD naming the head, and changes nothing', async (fixture) => {
      const store = await fixture.store();
      const c1 = await store.create('a.pl', 'one');
      const c2 = await store.update('a.pl', 'two', { previous: c1.commit });
      const err = await failsWith('NOT_AT_HEAD', () => store.update('a.pl', 'late', { previous: c1.commit }));
      expect((err as NotAtHeadError).head).toBe(c2.commit);
      expect(err.message).toContain(c2.commit);
      expect(await store.head('a.pl')).toBe(c2.commit);
      expect((await store.get('a.pl')).text).toBe('two');
      const del = await failsWith('NOT_AT_HEAD', () => store.delete('a.pl', { previous: c1.commit }));
      expect((del as NotAtHeadError).head).toBe(c2.commit);
    });

    it('concurrent updates from one head through the Store: exactly one wins', async (fixture) => {
      const store = await fixture.store();
      const c1 = await store.create('a.pl', 'one');
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.update('a.pl', `edit ${i}`, { previous: c1.commit })),
      );
      const won = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<typeof store.update>>> => o.status === 'fulfilled');
      expect(won.length).toBe(1);
      expect(await store.head('a.pl')).toBe(won[0]!.value.commit);
    });

    it('concurrent creates of one name through the Store: one wins, the rest get FILE_EXISTS naming it', async (fixture) => {
      const store = await fixture.store();
      const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.create('new.pl', `take ${i}`)));
      const won = outcomes.filter((o): o is PromiseFulfilledResult<Awaited<ReturnType<typeof store.create>>> => o.status === 'fulfilled');
      expect(won.length).toBe(1);
      for (const o of outcomes) {
        if (o.status === 'rejected') {
          expect(isGittyError(o.reason, 'FILE_EXISTS')).toBe(true);
          expect((o.reason as FileExistsError).head).toBe(won[0]!.value.commit);
        }
      }
    });

    it('rejects bad names with INVALID_NAME and writes nothing', async (fixture) => {
      const store = await fixture.store();
      for (const bad of ['', 'a/b', '..', '.', 'a\u0000b', 'tab\there', 'back\\slash', 'x'.repeat(256), ' lead', 'bad\uD800']) {
        await failsWith('INVALID_NAME', () => store.create(bad, 'x'));
        await failsWith('INVALID_NAME', () => store.get(bad));
      }
      expect(await collect(fixture.driver.objects())).toEqual([]);
      expect(await collect(fixture.driver.heads())).toEqual([]);
      await store.create('x'.repeat(255), 'longest name');
      expect((await store.get('x'.repeat(255))).text).toBe('longest name');
    });

    it('rejects malformed hashes with INVALID_HASH', async (fixture) => {
      const store = await fixture.store();
      const c = await store.create('a.pl', 'one');
      for (const bad of ['abc', c.commit.toUpperCase(), `${c.commit}0`, '../../../../etc/passwd']) {
        await failsWith('INVALID_HASH', () => store.load(bad));
        await failsWith('INVALID_HASH', () => store.update('a.pl', 'x', { previous: bad }));
      }
      await failsWith('INVALID_HASH', () => store.history('a.pl', { includes: 'nothex' }));
      expect(await store.head('a.pl')).toBe(c.commit);
    });

    it('NOT_FOUND for a missing file, commit or object', async (fixture) => {
      const store = await fixture.store();
      await failsWith('NOT_FOUND', () => store.get('missing.pl'));
      await failsWith('NOT_FOUND', () => store.commit(hashObject('commit', utf8('{}\n'))));
      await failsWith('NOT_FOUND', () => store.load(hashObject('blob', utf8('absent'))));
      await failsWith('NOT_FOUND', () => store.delete('missing.pl'));
      const blob = await store.save('a blob, not a commit');
      await failsWith('NOT_FOUND', () => store.commit(blob));
    });

    it('OBJECT_TOO_LARGE beyond maxObjectSize, leaving no head and no object', async (fixture) => {
      const store = await fixture.store(undefined, { maxObjectSize: 1024 });
      await store.create('small.pl', 'x'.repeat(1024));
      await failsWith('OBJECT_TOO_LARGE', () => store.create('big.pl', 'x'.repeat(1025)));
      await failsWith('OBJECT_TOO_LARGE', () => store.save(new Uint8Array(2048)));
      expect(await store.head('big.pl')).toBeUndefined();
      expect((await collect(fixture.driver.objects())).length).toBe(2);
    });

    it('update needs previous, of the same file (INVALID_ARGUMENT)', async (fixture) => {
      const store = await fixture.store();
      const a = await store.create('a.pl', 'one');
      await store.create('b.pl', 'two');
      await failsWith('INVALID_ARGUMENT', () => store.update('b.pl', 'x', { previous: a.commit }));
      await failsWith('INVALID_ARGUMENT', () => store.update('a.pl', 'x', {} as { previous: string }));
      expect((await store.get('b.pl')).text).toBe('two');
    });
  });
}
