import { frameObject, hashObject, nodeCompression, pakoCompression } from '@gitty/core';
import type { SuiteContext } from '../fixture.js';
import { collect, failsWith, pseudoRandomBytes, putBlob, sameBytes, utf8 } from '../util.js';

/** Objects: store, load, enumerate, delete, raw bytes and object times. */
export function objectTests(ctx: SuiteContext): void {
  const { test, expect, it } = ctx;
  test.describe('objects', () => {
    it('storeObject is idempotent and resolves whether the object was new', async ({ driver }) => {
      const data = utf8('hello gitty\n');
      const hash = hashObject('blob', data);
      expect(await driver.storeObject(hash, 'blob', data)).toBe(true);
      expect(await driver.storeObject(hash, 'blob', data)).toBe(false);
      expect(await driver.hasObject(hash)).toBe(true);
      const loaded = await driver.loadObject(hash);
      expect(loaded?.type).toBe('blob');
      expect(sameBytes(loaded!.data, data)).toBe(true);
    });

    it('loadObject of a missing object is undefined and hasObject false', async ({ driver }) => {
      const hash = hashObject('blob', utf8('never stored'));
      expect(await driver.loadObject(hash)).toBeUndefined();
      expect(await driver.hasObject(hash)).toBe(false);
    });

    it('binary, empty and non-blob objects round-trip exactly', async ({ driver }) => {
      const all = new Uint8Array(512).map((_, i) => (i * 7 + 3) & 0xff);
      const cases: Array<[string, Uint8Array]> = [
        ['blob', all], ['blob', new Uint8Array(0)], ['blob', new Uint8Array([0])], ['commit', utf8('{"a":1}\n')], ['note', all.subarray(0, 3)],
      ];
      for (const [type, data] of cases) {
        const hash = hashObject(type, data);
        await driver.storeObject(hash, type, data);
        const loaded = await driver.loadObject(hash);
        expect(loaded?.type).toBe(type);
        expect(sameBytes(loaded!.data, data)).toBe(true);
      }
      // git's well-known hash of the empty blob.
      expect(await driver.hasObject('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391')).toBe(true);
    });

    it('a large object of several megabytes round-trips', async ({ driver }) => {
      const data = pseudoRandomBytes(Math.round(5 * 1024 * 1024 * ctx.scale), 42, true);
      const hash = hashObject('blob', data);
      expect(await driver.storeObject(hash, 'blob', data)).toBe(true);
      const loaded = await driver.loadObject(hash);
      expect(loaded?.data.length).toBe(data.length);
      expect(sameBytes(loaded!.data, data)).toBe(true);
    });

    it('keeps what was stored when the caller reuses its buffer', async ({ driver }) => {
      const data = utf8('original bytes');
      const hash = hashObject('blob', data);
      await driver.storeObject(hash, 'blob', data);
      data.fill(0x21);
      const loaded = await driver.loadObject(hash);
      expect(new TextDecoder().decode(loaded!.data)).toBe('original bytes');
      loaded!.data.fill(0x22);
      expect(new TextDecoder().decode((await driver.loadObject(hash))!.data)).toBe('original bytes');
    });

    it('objects() enumerates every stored object exactly once', async ({ driver }) => {
      const expected = new Set<string>();
      for (let i = 0; i < 60; i++) expected.add(await putBlob(driver, `object ${i}`));
      await putBlob(driver, 'object 7'); // again: must not appear twice
      const listed = await collect(driver.objects());
      expect(listed.length).toBe(expected.size);
      expect(new Set(listed)).toEqual(expected);
    });

    it('concurrent stores of the same and of different objects all succeed', async ({ driver }) => {
      const same = utf8('raced');
      const sameHash = hashObject('blob', same);
      const results = await Promise.all([
        ...Array.from({ length: 10 }, () => driver.storeObject(sameHash, 'blob', same)),
        ...Array.from({ length: 20 }, (_, i) => putBlob(driver, `parallel ${i}`).then(() => true)),
      ]);
      expect(results.filter((r) => r === true).length).toBeGreaterThanOrEqual(21);
      expect(sameBytes((await driver.loadObject(sameHash))!.data, same)).toBe(true);
      expect((await collect(driver.objects())).length).toBe(21);
    });

    it('deleteObject removes an object and resolves whether it existed', async ({ driver }) => {
      const keep = await putBlob(driver, 'keep');
      const drop = await putBlob(driver, 'drop');
      expect(await driver.deleteObject(drop)).toBe(true);
      expect(await driver.deleteObject(drop)).toBe(false);
      expect(await driver.hasObject(drop)).toBe(false);
      expect(await driver.loadObject(drop)).toBeUndefined();
      expect(await collect(driver.objects())).toEqual([keep]);
      // A deleted object can be stored again.
      expect(await driver.storeObject(drop, 'blob', utf8('drop'))).toBe(true);
    });

    it('rejects a malformed hash with INVALID_HASH before touching storage', async ({ driver }) => {
      for (const bad of ['../../etc/passwd', 'ABCDEF0123456789ABCDEF0123456789ABCDEF01', 'abc', '']) {
        await failsWith('INVALID_HASH', () => driver.loadObject(bad));
        await failsWith('INVALID_HASH', () => driver.hasObject(bad));
      }
      await failsWith('INVALID_HASH', () => driver.storeObject('../x', 'blob', utf8('x')));
    });

    it('rawObjects: loadRaw/storeRaw round-trip compressed bytes and storeRaw verifies the hash', async ({ driver }) => {
      if (!driver.capabilities.rawObjects) {
        // Without raw access a replicator copies through loadObject/storeObject: that must be exact.
        const hash = await putBlob(driver, 'copied');
        const object = (await driver.loadObject(hash))!;
        await driver.deleteObject(hash);
        expect(await driver.storeObject(hash, object.type, object.data)).toBe(true);
        expect(hashObject(object.type, (await driver.loadObject(hash))!.data)).toBe(hash);
        return;
      }
      const data = pseudoRandomBytes(10_000, 7);
      const hash = await putBlob(driver, data);
      const raw = await driver.loadRaw!(hash);
      expect(raw).toBeDefined();
      expect(sameBytes(nodeCompression.inflate(raw!, 1 << 20), frameObject('blob', data))).toBe(true);
      expect(await driver.loadRaw!(hashObject('blob', utf8('absent')))).toBeUndefined();

      await driver.deleteObject(hash);
      expect(await driver.storeRaw!(hash, raw!)).toBe(true);
      expect(await driver.storeRaw!(hash, raw!)).toBe(false);
      expect(sameBytes((await driver.loadObject(hash))!.data, data)).toBe(true);

      // Bytes compressed by another zlib are accepted: only the content matters.
      const other = utf8('from pako');
      const otherHash = hashObject('blob', other);
      expect(await driver.storeRaw!(otherHash, pakoCompression.deflate(frameObject('blob', other), 9))).toBe(true);
      expect(sameBytes((await driver.loadObject(otherHash))!.data, other)).toBe(true);

      // Bytes that do not hash to the name, or are not zlib at all, are refused and not stored.
      const wrong = hashObject('blob', utf8('something else'));
      await failsWith('CORRUPT_OBJECT', () => driver.storeRaw!(wrong, raw!));
      await failsWith('CORRUPT_OBJECT', () => driver.storeRaw!(wrong, utf8('not zlib at all')));
      expect(await driver.hasObject(wrong)).toBe(false);
    });

    it('objectTimes: objectTime tells when an object was stored', async (fixture) => {
      const { driver } = fixture;
      const store = async () => putBlob(driver, `timed ${Math.random()}`);
      if (!driver.capabilities.objectTimes) {
        // Without object times gc cannot honour a grace period and must say so.
        const s = await fixture.store();
        await store();
        await failsWith('UNSUPPORTED', () => s.gc({ graceMs: 60_000 }));
        expect(await collect(driver.objects())).toHaveLength(1);
        return;
      }
      const before = Date.now();
      const hash = await store();
      const after = Date.now();
      const time = await driver.objectTime!(hash);
      expect(typeof time).toBe('number');
      // File systems keep whole seconds on some platforms: allow that much either side.
      expect(time!).toBeGreaterThanOrEqual(before - 2000);
      expect(time!).toBeLessThan(after + 2000);
      expect(await driver.objectTime!(hashObject('blob', utf8('never stored at all')))).toBeUndefined();
    });
  });
}
