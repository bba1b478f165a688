import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { tempDir } from '@gitty/driver-test/harness';
import { bigName, buildBigStore } from './big-store.js';
import { startTestServer, type TestServer } from './helpers.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/**
 * How many files the store holds. The default run uses 10,000 (building the sqlite index is
 * most of the cost: ~10 s); GITTY_BIG_FILES=100000 runs the same test on 100,000 files (~2 min).
 */
const COUNT = Number(process.env.GITTY_BIG_FILES ?? 10_000);

describe(`the page on a ${COUNT}-file sqlite store: listed, filtered, sorted and searched on the server (issue 15, item 4)`, () => {
  let dir: { dir: string; remove: () => Promise<void> };
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const timings: string[] = [];

  async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const result = await work();
    timings.push(`${label}: ${Math.round(performance.now() - started)} ms`);
    return result;
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    dir = await tempDir('gitty-server-big-');
    await timed(`build ${COUNT} files`, () => buildBigStore(dir.dir, COUNT));
    t = await startTestServer({ store: { driver: 'sqlite', dir: dir.dir, packs: true }, writeRateLimit: false });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  }, 300_000);

  afterAll(async () => {
    console.log(`${COUNT} files — ${timings.join('; ')}`);
    await browser?.close();
    await t?.close();
    await dir?.remove();
  });

  const count = () => page.locator('#file-count').textContent();
  const names = () => page.locator('#file-list .name-text').allTextContents();

  it('shows the first page with the total, author, time and tags, and loads more on request', async () => {
    await timed('page ready', async () => {
      await page.goto(t.url);
      await expect.poll(() => page.locator('#status').textContent(), { timeout: 30_000 }).toBe('Ready.');
    });
    expect(await count()).toBe(`Showing 100 of ${COUNT} files`);
    expect((await names())[0]).toBe(bigName(0));
    expect(await page.locator('#file-list .file-details').first().textContent()).toMatch(/by ann · tags: exam/);
    await timed('show more', async () => {
      await page.click('#more');
      await expect.poll(count, { timeout: 30_000 }).toBe(`Showing 200 of ${COUNT} files`);
    });
    expect((await names())[199]).toBe(bigName(199));
  });

  it('filters by name on the server', async () => {
    await timed('filter by name', async () => {
      await page.fill('#filter', '-00123');
      await expect.poll(count, { timeout: 30_000 }).toBe('Showing 10 of 10 matching files');
    });
    expect(await names()).toEqual(Array.from({ length: 10 }, (_, i) => bigName(1230 + i)));
    await page.fill('#filter', '');
    await expect.poll(count, { timeout: 30_000 }).toBe(`Showing 100 of ${COUNT} files`);
  });

  it('searches content and sorts by time on the server', async () => {
    const needles = Math.ceil(COUNT / 1000);
    await timed('search content', async () => {
      await page.fill('#search', 'needle');
      await expect.poll(count, { timeout: 30_000 }).toBe(`Showing ${Math.min(needles, 100)} of ${needles} matching files`);
    });
    await page.fill('#search', `needle-${(needles - 1) * 1000}`);
    await expect.poll(names, { timeout: 30_000 }).toEqual([bigName((needles - 1) * 1000)]);
    expect(await page.locator('#file-list .file-snippet').first().textContent()).toContain(`needle-${(needles - 1) * 1000}`);
    await page.fill('#search', '');
    await timed('sort by time', async () => {
      await page.selectOption('#order', 'time');
      await expect.poll(async () => (await names())[0], { timeout: 30_000 }).toBe(bigName(COUNT - 1));
    });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: `${ARTIFACTS}big-list.png` });
  });
});
