import { describe, expect, it } from 'vitest';
import { openStore, registerDriver } from '@gitty/core';
import { tempDir } from '@gitty/driver-test/harness';
import sqliteFactory, { createDriver } from '../src/index.js';

describe('config { driver: "sqlite", dir }', () => {
  it('opens through the registry, persists, and refuses unknown or malformed options', async () => {
    expect(sqliteFactory).toBe(createDriver);
    registerDriver('sqlite', createDriver);
    const temp = await tempDir('gitty-sqlite-config-');
    try {
      const store = await openStore({ driver: 'sqlite', dir: temp.dir, durability: 'none' });
      await store.create('a.pl', 'x.\n', { author: 'ann' });
      await store.close();
      const again = await openStore({ driver: 'sqlite', dir: temp.dir });
      try {
        expect((await again.get('a.pl')).text).toBe('x.\n');
        expect(again.driver.name).toBe('sqlite');
      } finally {
        await again.close();
      }
      await expect(openStore({ driver: 'sqlite', dir: temp.dir, dirr: 'x' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(openStore({ driver: 'sqlite', dir: temp.dir, throttleMs: -1 })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
      await expect(openStore({ driver: 'sqlite' })).rejects.toMatchObject({ code: 'INVALID_CONFIG' });
    } finally {
      await temp.remove();
    }
  });
});
