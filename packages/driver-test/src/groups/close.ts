import { isGittyError, type Driver } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, commitHead, failsWith, putBlob, putCommit, rejection, utf8 } from '../util.js';

/** Every call a closed driver must refuse, with the arguments to try it with. */
function closedCalls(driver: Driver, hash: string, next: string): Array<[string, () => unknown]> {
  const calls: Array<[string, () => unknown]> = [
    ['storeObject', () => driver.storeObject(hash, 'blob', utf8('x'))],
    ['loadObject', () => driver.loadObject(hash)],
    ['hasObject', () => driver.hasObject(hash)],
    ['objects', () => collect(driver.objects())],
    ['deleteObject', () => driver.deleteObject(hash)],
    ['getHead', () => driver.getHead('a.pl')],
    ['heads', () => collect(driver.heads())],
    ['updateHead', () => driver.updateHead('a.pl', null, next)],
    ['rescan', () => driver.rescan()],
  ];
  const caps = driver.capabilities;
  if (caps.rawObjects) {
    calls.push(['loadRaw', () => driver.loadRaw!(hash)], ['storeRaw', () => driver.storeRaw!(hash, utf8('x'))]);
  }
  if (caps.objectTimes) calls.push(['objectTime', () => driver.objectTime!(hash)]);
  if (caps.packs) calls.push(['repack', () => driver.repack!({ minFiles: 0 })], ['unpack', () => driver.unpack!()]);
  if (caps.reindex) calls.push(['reindex', () => driver.reindex!()]);
  if (caps.query) calls.push(['queryFiles', () => driver.queryFiles!({})], ['queryHistory', () => driver.queryHistory!(next, 5)]);
  if (caps.search) calls.push(['search', () => driver.search!('x')]);
  return calls;
}

/** Close semantics: idempotent, and every later call rejects with CLOSED. */
export function closeTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('close', () => {
    it('close is idempotent', async ({ driver }) => {
      await commitHead(driver, 'a.pl', 'one');
      await driver.close();
      await driver.close();
      await Promise.all([driver.close(), driver.close()]);
    });

    it('every call after close rejects with CLOSED', async ({ driver }) => {
      const hash = await putBlob(driver, 'before close');
      const next = await putCommit(driver, 'a.pl', 'one');
      await driver.close();
      // Collect every offender so one run names them all.
      const offenders: string[] = [];
      for (const [method, call] of closedCalls(driver, hash, next)) {
        const err = await rejection(call).catch(() => 'succeeded');
        if (!isGittyError(err, 'CLOSED')) offenders.push(`${method}: ${err instanceof Error ? err.message : String(err)}`);
      }
      expect(offenders).toEqual([]);
    });

    it('a Store closes its driver; the store and the driver then reject with CLOSED', async (fixture) => {
      const store = await fixture.store();
      await store.create('a.pl', 'one');
      await store.close();
      await store.close();
      expect(store.isClosed).toBe(true);
      await failsWith('CLOSED', () => store.get('a.pl'));
      await failsWith('CLOSED', () => store.create('b.pl', 'x'));
      await failsWith('CLOSED', () => fixture.driver.getHead('a.pl'));
    });

    it('closing a second driver on the same store leaves the first one working', async (fixture) => {
      const { driver } = fixture;
      const c1 = await commitHead(driver, 'a.pl', 'one');
      if (fixture.canOpenAnother) {
        const other = await fixture.openAnother();
        await other.rescan();
        await other.close();
      }
      const c2 = await commitHead(driver, 'a.pl', 'two', c1);
      await driver.rescan();
      expect(await driver.getHead('a.pl')).toBe(c2);
    });
  });
}
