// LatePacksDriver with stand-in object drivers (a Map each, every call recorded) over a real
// store folder: packs are attached exactly when the pack folder exists and the loose objects
// miss (or on a listing, rescan, fsck, stats), once, and every later call goes through them.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Driver, GitObject } from '@gitty/core';
import { LatePacksDriver } from '../src/late-packs.js';

const h = (c: string) => c.repeat(40);

/** An object driver holding `objects`, recording each call as `<label>.<method>`. */
function standIn(label: string, objects: Map<string, GitObject>, calls: string[], extra: Partial<Driver> = {}): Driver {
  const log = (method: string) => calls.push(`${label}.${method}`);
  return {
    name: label,
    capabilities: { persistent: true, rawObjects: label === 'loose' },
    storeObject: async (hash, type, data) => { log('storeObject'); objects.set(hash, { type, data }); return true; },
    loadObject: async (hash) => { log('loadObject'); return objects.get(hash); },
    hasObject: async (hash) => { log('hasObject'); return objects.has(hash); },
    objects: async function* () { log('objects'); yield* objects.keys(); },
    deleteObject: async (hash) => { log('deleteObject'); return objects.delete(hash); },
    loadRaw: async (hash) => { log('loadRaw'); return objects.get(hash)?.data; },
    storeRaw: async (hash, raw) => { log('storeRaw'); objects.set(hash, { type: 'raw', data: raw }); return true; },
    objectTime: async (hash) => { log('objectTime'); return objects.has(hash) ? 7 : undefined; },
    getHead: async (name) => { log(`getHead ${name}`); return h('e'); },
    heads: async function* (options) { log(`heads ${JSON.stringify(options)}`); yield { name: 'n', head: h('e') }; },
    updateHead: async (name, expected, next) => { log(`updateHead ${name} ${expected} ${next}`); },
    rescan: async () => { log('rescan'); },
    close: async () => { log('close'); },
    ...extra,
  };
}

describe('LatePacksDriver', () => {
  let dir: string;
  let calls: string[];
  let looseObjects: Map<string, GitObject>;
  let packedObjects: Map<string, GitObject>;
  let opened: Driver[];
  let driver: LatePacksDriver;
  let packs: Driver;
  const obj = (s: string): GitObject => ({ type: 'blob', data: new TextEncoder().encode(s) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-latepacks-'));
    calls = [];
    looseObjects = new Map([[h('1'), obj('loose')]]);
    packedObjects = new Map([[h('2'), obj('packed')]]);
    opened = [];
    const loose = standIn('loose', looseObjects, calls);
    packs = standIn('packs', packedObjects, calls, { prune: async () => { calls.push('packs.prune'); }, fsck: async () => [{ kind: 'x' } as never], stats: async () => ({ packed: 1 }) });
    driver = new LatePacksDriver(loose, dir, async (over) => {
      calls.push(`open packs over ${over.name}`);
      opened.push(over);
      return packs;
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const makePackFolder = () => mkdirSync(join(dir, 'objects', 'pack'), { recursive: true });

  it('takes the loose objects\' name and capabilities', () => {
    expect(driver.name).toBe('loose');
    expect(driver.capabilities).toEqual({ persistent: true, rawObjects: true });
  });

  it('answers a miss from the loose objects while there is no pack folder', async () => {
    expect(await driver.loadObject(h('2'))).toBeUndefined();
    expect(await driver.hasObject(h('2'))).toBe(false);
    expect(await driver.deleteObject(h('2'))).toBe(false);
    expect(await driver.loadRaw(h('2'))).toBeUndefined();
    expect(await driver.objectTime(h('2'))).toBeUndefined();
    expect(calls).toEqual(['loose.loadObject', 'loose.hasObject', 'loose.deleteObject', 'loose.loadRaw', 'loose.objectTime']);
  });

  it('needs the pack folder itself: an objects folder without it attaches nothing', async () => {
    mkdirSync(join(dir, 'objects'));
    expect(await driver.loadObject(h('2'))).toBeUndefined();
    expect(calls).toEqual(['loose.loadObject']);
  });

  it('answers a hit from the loose objects without attaching packs, even once the folder exists', async () => {
    makePackFolder();
    expect(await driver.loadObject(h('1'))).toEqual(obj('loose'));
    expect(await driver.hasObject(h('1'))).toBe(true);
    expect(await driver.loadRaw(h('1'))).toEqual(obj('loose').data);
    expect(await driver.objectTime(h('1'))).toBe(7);
    expect(await driver.deleteObject(h('1'))).toBe(true);
    expect(calls).toEqual(['loose.loadObject', 'loose.hasObject', 'loose.loadRaw', 'loose.objectTime', 'loose.deleteObject']);
  });

  it('attaches packs over the loose objects on the first miss after the folder appeared, and asks them again', async () => {
    makePackFolder();
    expect(await driver.loadObject(h('2'))).toEqual(obj('packed'));
    expect(opened).toHaveLength(1);
    expect(calls).toEqual(['loose.loadObject', 'open packs over loose', 'packs.loadObject']);
    // From now on every call goes to the packs, which are not opened again.
    calls.length = 0;
    expect(await driver.hasObject(h('2'))).toBe(true);
    expect(await driver.hasObject(h('3'))).toBe(false);
    expect(await driver.storeObject(h('4'), 'blob', obj('x').data)).toBe(true);
    expect(await driver.storeRaw(h('5'), obj('y').data)).toBe(true);
    expect(await driver.getHead('a.pl')).toBe(h('e'));
    const heads = [];
    for await (const entry of driver.heads({ ext: 'pl' })) heads.push(entry);
    expect(heads).toEqual([{ name: 'n', head: h('e') }]);
    await driver.updateHead('a.pl', null, h('f'));
    await driver.prune();
    await driver.close();
    expect(calls).toEqual([
      'packs.hasObject', 'packs.hasObject', 'packs.storeObject', 'packs.storeRaw', 'packs.getHead a.pl', 'packs.heads {"ext":"pl"}',
      `packs.updateHead a.pl null ${h('f')}`, 'packs.prune', 'packs.close',
    ]);
    expect(packedObjects.has(h('4')) && packedObjects.has(h('5'))).toBe(true);
  });

  it.each([
    ['hasObject', (d: Driver) => d.hasObject(h('2')), true],
    ['deleteObject', (d: Driver) => d.deleteObject(h('2')), true],
    ['loadRaw', (d: Driver) => d.loadRaw!(h('2')), obj('packed').data],
    ['objectTime', (d: Driver) => d.objectTime!(h('2')), 7],
  ] as const)('%s misses loose, attaches, and asks the packs', async (method, call, expected) => {
    makePackFolder();
    expect(await call(driver)).toEqual(expected);
    expect(calls).toEqual([`loose.${method}`, 'open packs over loose', `packs.${method}`]);
  });

  it('a miss after attaching is not retried', async () => {
    makePackFolder();
    await driver.rescan();
    calls.length = 0;
    expect(await driver.loadObject(h('9'))).toBeUndefined();
    expect(calls).toEqual(['packs.loadObject']);
  });

  it('attaches before listing, rescanning, fsck and stats', async () => {
    makePackFolder();
    const listed: string[] = [];
    for await (const hash of driver.objects()) listed.push(hash);
    expect(listed).toEqual([h('2')]);
    expect(await driver.fsck()).toEqual([{ kind: 'x' }]);
    expect(await driver.stats()).toEqual({ packed: 1 });
    await driver.rescan();
    expect(calls).toEqual(['open packs over loose', 'packs.objects', 'packs.rescan']);
  });

  it('without packs: fsck and stats answer empty, prune and rescan reach the loose objects', async () => {
    expect(await driver.fsck()).toEqual([]);
    expect(await driver.stats()).toEqual({});
    await driver.prune();
    await driver.rescan();
    await driver.close();
    const listed: string[] = [];
    for await (const hash of driver.objects()) listed.push(hash);
    expect(listed).toEqual([h('1')]);
    expect(calls).toEqual(['loose.rescan', 'loose.close', 'loose.objects']);
  });

  it('opens the packs once for concurrent misses', async () => {
    makePackFolder();
    const found = await Promise.all([driver.loadObject(h('2')), driver.hasObject(h('2')), driver.loadObject(h('3'))]);
    expect(found).toEqual([obj('packed'), true, undefined]);
    expect(opened).toHaveLength(1);
  });

  it('tries to attach again after a failed open', async () => {
    makePackFolder();
    let fail = true;
    const flaky = new LatePacksDriver(standIn('loose', looseObjects, calls), dir, async () => {
      if (fail) throw new Error('packs unreadable');
      return packs;
    });
    await expect(flaky.loadObject(h('2'))).rejects.toThrow('packs unreadable');
    fail = false;
    expect(await flaky.loadObject(h('2'))).toEqual(obj('packed'));
  });
});
