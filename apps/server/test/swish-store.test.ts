import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseExactJson } from '@gitty/core';
import { startTestServer, type TestServer } from './helpers.js';
import { extractFixture, fixtureManifest, type DumpedFile } from '@gitty/driver-test/swish';

const manifest = parseExactJson(readFileSync(fixtureManifest, 'utf8')) as unknown as DumpedFile[];

describe('the server over a SWISH store', () => {
  let fixture: { dir: string; remove: () => Promise<void> };
  let t: TestServer;
  beforeAll(async () => {
    fixture = await extractFixture();
    t = await startTestServer({ store: { driver: 'files', dir: fixture.dir, durability: 'none' } });
  });
  afterAll(async () => {
    await t?.close();
    await fixture?.remove();
  });

  it('lists, reads and shows history with SWISH\'s metadata, integers beyond 2^53 exact', async () => {
    const list = await t.call('GET', '/files');
    expect(list.status, list.text).toBe(200);
    expect((list.json.files as unknown[]).length).toBe(manifest.length);
    const file = manifest.find((f) => f.name === 'prog11.md')!;
    const got = await t.call('GET', `/files/${encodeURIComponent(file.name)}`);
    expect(got.status, got.text).toBe(200);
    expect(got.text).toContain('"big":12345678901234567890');
    const history = await t.call('GET', `/files/${encodeURIComponent(file.name)}/history?depth=100`);
    expect(history.status, history.text).toBe(200);
    const exact = parseExactJson(history.text) as { history: Array<Record<string, unknown>> };
    expect(exact.history.map((c) => c.commit)).toEqual(file.history.map((v) => v.commit));
    const { text: _t, symbolic: _s, ...meta } = file.history[1]!;
    expect(exact.history[1]).toStrictEqual(meta);
  });

  it('writes versions as SWISH commits and answers a delete with UNSUPPORTED', async () => {
    const head = manifest.find((f) => f.name === 'prog11.md')!.history[0]!.commit as string;
    const put = await t.call('PUT', '/files/prog11.md', { data: 'from the web\n', previous: head, meta: { author: 'web' } });
    expect(put.status, put.text).toBe(200);
    expect(put.text).toContain('"big":12345678901234567890'); // carried over from SWISH's version
    const object = await t.server.store.load(put.json.commit.commit as string);
    expect(new TextDecoder().decode(object.data)).toMatch(/^gitty\{/);
    const del = await t.call('DELETE', `/files/prog11.md?previous=${put.json.commit.commit as string}`);
    expect(del.json.code).toBe('UNSUPPORTED');
  });
});
