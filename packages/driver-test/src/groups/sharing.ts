import { isGittyError, type HeadChange, type HeadEvent } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, commitHead, eventually, putBlob, putCommit, sameBytes, utf8 } from '../util.js';

/** Several drivers on one store (other processes, other nodes): rescan, watch, persistence. */
export function sharingTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('rescan, watch and persistence', () => {
    it('rescan with no outside changes keeps every head and object', async ({ driver }) => {
      const head = await commitHead(driver, 'a.pl', 'one');
      await driver.rescan();
      await driver.rescan();
      expect(await driver.getHead('a.pl')).toBe(head);
      expect(await driver.hasObject(head)).toBe(true);
    });

    it('a second driver on the same store sees the first one\'s objects and heads after rescan', async (fixture) => {
      const { driver } = fixture;
      const a1 = await commitHead(driver, 'a.pl', 'from the first');
      if (!fixture.canOpenAnother) {
        await driver.rescan();
        expect(await driver.getHead('a.pl')).toBe(a1);
        return;
      }
      const other = await fixture.openAnother();
      await other.rescan();
      expect(await other.getHead('a.pl')).toBe(a1);
      expect((await other.loadObject(a1))?.type).toBe('commit');
      // And back: the second writes, the first catches up.
      const a2 = await commitHead(other, 'a.pl', 'from the second', a1);
      const b1 = await commitHead(other, 'b.pl', 'new in the second');
      await driver.rescan();
      expect(await driver.getHead('a.pl')).toBe(a2);
      expect(await driver.getHead('b.pl')).toBe(b1);
      expect(new Set((await collect(driver.heads())).map((h) => h.name))).toEqual(new Set(['a.pl', 'b.pl']));
      await other.updateHead('b.pl', b1, null);
      await driver.rescan();
      expect(await driver.getHead('b.pl')).toBeUndefined();
    });

    it('a Store on a second driver finds what the first wrote without an explicit rescan', async (fixture) => {
      const first = await fixture.store();
      const c1 = await first.create('seen.pl', 'written by the first');
      if (!fixture.canOpenAnother) {
        expect((await first.get('seen.pl')).commit.commit).toBe(c1.commit);
        return;
      }
      // The Store rescans its driver after a lookup misses: a name or hash unknown locally.
      const second = await fixture.store(await fixture.openAnother());
      expect((await second.get('seen.pl')).text).toBe('written by the first');
      const c2 = await second.update('seen.pl', 'then the second', { previous: c1.commit });
      expect((await first.get(c2.commit)).text).toBe('then the second');
      await first.rescan();
      expect(await first.head('seen.pl')).toBe(c2.commit);
    });

    it('compare-and-swap holds across two drivers on the same store', async (fixture) => {
      if (!fixture.canOpenAnother) {
        expect(await collect(fixture.driver.heads())).toEqual([]);
        return;
      }
      const { driver } = fixture;
      const other = await fixture.openAnother();
      let head = await commitHead(driver, 'race.pl', 'start');
      for (let round = 0; round < Math.max(2, Math.round(4 * ctx.scale)); round++) {
        await other.rescan();
        const mine = await putCommit(driver, 'race.pl', `first ${round}`, head);
        const theirs = await putCommit(other, 'race.pl', `second ${round}`, head);
        const outcomes = await Promise.allSettled([driver.updateHead('race.pl', head, mine), other.updateHead('race.pl', head, theirs)]);
        const won = outcomes.map((o) => o.status === 'fulfilled');
        expect(won.filter(Boolean).length).toBe(1);
        const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(isGittyError(loser.reason, 'NOT_AT_HEAD')).toBe(true);
        head = won[0] ? mine : theirs;
        await driver.rescan();
        expect(await driver.getHead('race.pl')).toBe(head);
      }
    });

    it('watch: a second driver is told of the first one\'s head changes, not of its own', async (fixture) => {
      const { driver } = fixture;
      if (!driver.capabilities.watch || !fixture.canOpenAnother) {
        // Without watch, a Store still reports its own changes as local events.
        const store = await fixture.store();
        const events: HeadEvent[] = [];
        store.on('head', (e) => events.push(e));
        const c = await store.create('a.pl', 'x');
        expect(events).toEqual([{ name: 'a.pl', old: null, new: c.commit, origin: 'local' }]);
        return;
      }
      const other = await fixture.openAnother();
      expect(typeof other.watch).toBe('function');
      const seen: HeadChange[] = [];
      const ownSeen: HeadChange[] = [];
      const stop = other.watch!((change) => seen.push(change));
      const stopOwn = driver.watch!((change) => ownSeen.push(change));
      try {
        const c1 = await commitHead(driver, 'w.pl', 'one');
        const c2 = await commitHead(driver, 'w.pl', 'two', c1);
        await driver.updateHead('w.pl', c2, null);
        const expected = [
          { name: 'w.pl', old: null, new: c1 },
          { name: 'w.pl', old: c1, new: c2 },
          { name: 'w.pl', old: c2, new: null },
        ];
        await eventually(() => seen.length >= 3, 'three head changes reported to the second driver');
        expect(seen.map((c) => ({ name: c.name, old: c.old, new: c.new }))).toEqual(expected);
        // A change by the second driver reaches the first; by then the first would have been
        // told of its own earlier changes too, if it (wrongly) reported them.
        const d1 = await commitHead(other, 'from-other.pl', 'x');
        await eventually(() => ownSeen.length >= 1, 'the second driver\'s change reported to the first');
        expect(ownSeen.map((c) => ({ name: c.name, old: c.old, new: c.new }))).toEqual([{ name: 'from-other.pl', old: null, new: d1 }]);
      } finally {
        stop();
        stopOwn();
      }
      // After unsubscribing nothing more arrives.
      const before = seen.length;
      await commitHead(driver, 'after.pl', 'x');
      await driver.rescan();
      await other.rescan();
      expect(seen.length).toBe(before);
    });

    it('watch: a Store reports changes made through another driver as remote head events', async (fixture) => {
      const { driver } = fixture;
      if (!driver.capabilities.watch || !fixture.canOpenAnother) {
        // Without watch a Store still reports its own updates and deletes, as local events.
        const store = await fixture.store();
        const c1 = await store.create('a.pl', 'x');
        const events: HeadEvent[] = [];
        store.on('head', (e) => events.push(e));
        const c2 = await store.update('a.pl', 'y', { previous: c1.commit });
        await store.delete('a.pl');
        expect(events.map((e) => [e.old, e.new, e.origin])).toEqual([[c1.commit, c2.commit, 'local'], [c2.commit, null, 'local']]);
        return;
      }
      const store = await fixture.store();
      const remote = await fixture.store(await fixture.openAnother());
      const events: HeadEvent[] = [];
      store.on('head', (e) => events.push(e));
      const c = await remote.create('remote.pl', 'from elsewhere');
      await eventually(() => events.length >= 1, 'a remote head event');
      expect(events[0]).toEqual({ name: 'remote.pl', old: null, new: c.commit, origin: 'remote' });
      expect((await store.get('remote.pl')).text).toBe('from elsewhere');
    });

    it('persistent: objects and heads survive close and reopening the same store', async (fixture) => {
      const { driver } = fixture;
      const blob = await putBlob(driver, utf8('kept across restarts'));
      const a = await commitHead(driver, 'a.pl', 'one');
      const gone = await commitHead(driver, 'gone.pl', 'to delete');
      await driver.updateHead('gone.pl', gone, null);
      if (!driver.capabilities.persistent || !fixture.canOpenAnother) {
        // Not persistent: a driver is still usable until it is closed.
        expect(await driver.getHead('a.pl')).toBe(a);
        return;
      }
      await driver.close();
      const reopened = await fixture.openAnother();
      await reopened.rescan();
      expect(await reopened.getHead('a.pl')).toBe(a);
      expect(await reopened.getHead('gone.pl')).toBeUndefined();
      expect(sameBytes((await reopened.loadObject(blob))!.data, utf8('kept across restarts'))).toBe(true);
      const listed = new Set(await collect(reopened.objects()));
      expect(listed.has(blob) && listed.has(a) && listed.has(gone)).toBe(true);
      const store = await fixture.store(reopened);
      const next = await store.update('a.pl', 'two', { previous: a });
      expect((await store.history('a.pl')).history.map((c) => c.commit)).toEqual([next.commit, a]);
    });
  });
}
