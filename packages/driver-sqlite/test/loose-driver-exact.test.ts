// LooseObjectsDriver over real loose objects in a temp folder: what it says about itself, the
// exact errors of its refused head methods, of a bad hash and of use after close, and that each
// object method reaches the loose files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultDriverContext, hashObject } from '@gitty/core';
import { JournaledObjects, LooseObjects } from '@gitty/driver-files';
import { LooseObjectsDriver } from '../src/loose-driver.js';

const text = (s: string) => new TextEncoder().encode(s);
const NOT_HEADS = 'The loose objects (heads are the sqlite driver\'s) driver does not support';

describe('LooseObjectsDriver', () => {
  let dir: string;
  let loose: LooseObjects;
  let driver: LooseObjectsDriver;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gitty-sqlite-loose-'));
    const context = defaultDriverContext();
    loose = new LooseObjects({ root: join(dir, 'objects'), compression: context.compression, maxObjectSize: context.maxObjectSize, durability: 'none' });
    driver = new LooseObjectsDriver(loose);
  });
  afterEach(async () => {
    await driver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is the files driver\'s object half: its name and capabilities', () => {
    expect(driver.name).toBe('files');
    expect(driver.capabilities).toEqual({ rawObjects: true, sharedHeads: true, persistent: true, objectTimes: true });
    expect(driver.loose).toBe(loose);
    expect(driver.journaled.loose).toBe(loose);
    expect(driver.journaled.journal.writes).toBe(false);
  });

  it('keeps journaled objects it is given as they are', () => {
    const journaled = JournaledObjects.readingJournals(loose);
    expect(new LooseObjectsDriver(journaled).journaled).toBe(journaled);
  });

  it('stores, loads, lists, times, copies raw and deletes loose objects', async () => {
    const data = text('hello\n');
    const blob = hashObject('blob', data);
    expect(await driver.hasObject(blob)).toBe(false);
    expect(await driver.loadObject(blob)).toBeUndefined();
    expect(await driver.storeObject(blob, 'blob', data)).toBe(true);
    expect(await driver.storeObject(blob, 'blob', data)).toBe(false);
    expect(await driver.hasObject(blob)).toBe(true);
    expect(await driver.loadObject(blob)).toEqual({ type: 'blob', data });
    const listed: string[] = [];
    for await (const h of driver.objects()) listed.push(h);
    expect(listed).toEqual([blob]);
    expect(typeof (await driver.objectTime(blob))).toBe('number');
    const raw = await driver.loadRaw(blob);
    expect(raw).toEqual(await loose.loadRaw(blob));
    expect(await driver.stats()).toEqual({ looseObjects: 1, looseBytes: (await loose.stats()).bytes });
    expect(await driver.deleteObject(blob)).toBe(true);
    expect(await driver.hasObject(blob)).toBe(false);
    expect(await driver.objectTime(blob)).toBeUndefined();
    expect(await driver.storeRaw(blob, raw!)).toBe(true);
    expect(await driver.loadObject(blob)).toEqual({ type: 'blob', data });
    await driver.rescan();
    await driver.prune();
    expect(await driver.hasObject(blob)).toBe(true);
    expect(await driver.stats()).toEqual({ looseObjects: 1, looseBytes: raw!.length });
  });

  it('refuses the head methods with UNSUPPORTED', () => {
    expect(() => driver.getHead()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', operation: 'getHead', message: `${NOT_HEADS} getHead` }));
    expect(() => driver.heads()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', operation: 'heads', message: `${NOT_HEADS} heads` }));
    expect(() => driver.updateHead()).toThrow(expect.objectContaining({ code: 'UNSUPPORTED', operation: 'updateHead', message: `${NOT_HEADS} updateHead` }));
  });

  it('refuses a malformed hash in every object method', async () => {
    const bad = 'not-a-hash';
    const invalid = expect.objectContaining({ code: 'INVALID_HASH' });
    expect(() => driver.storeObject(bad, 'blob', text('x'))).toThrow(invalid);
    expect(() => driver.loadObject(bad)).toThrow(invalid);
    expect(() => driver.hasObject(bad)).toThrow(invalid);
    expect(() => driver.deleteObject(bad)).toThrow(invalid);
    expect(() => driver.loadRaw(bad)).toThrow(invalid);
    expect(() => driver.storeRaw(bad, text('x'))).toThrow(invalid);
    expect(() => driver.objectTime(bad)).toThrow(invalid);
  });

  it('refuses every call after close with CLOSED, and closes once', async () => {
    await driver.close();
    await driver.close();
    const closed = expect.objectContaining({ code: 'CLOSED', message: 'The files driver is closed' });
    const h = hashObject('blob', text('x'));
    expect(() => driver.storeObject(h, 'blob', text('x'))).toThrow(closed);
    expect(() => driver.loadObject(h)).toThrow(closed);
    expect(() => driver.hasObject(h)).toThrow(closed);
    expect(() => driver.objects()).toThrow(closed);
    expect(() => driver.deleteObject(h)).toThrow(closed);
    expect(() => driver.loadRaw(h)).toThrow(closed);
    expect(() => driver.storeRaw(h, text('x'))).toThrow(closed);
    expect(() => driver.objectTime(h)).toThrow(closed);
    await expect(driver.prune()).rejects.toMatchObject({ code: 'CLOSED', message: 'The files driver is closed' });
    await expect(driver.stats()).rejects.toMatchObject({ code: 'CLOSED', message: 'The files driver is closed' });
    await expect(driver.rescan()).rejects.toMatchObject({ code: 'CLOSED', message: 'The files driver is closed' });
  });
});
