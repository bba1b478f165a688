import { mkdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openStore, type Store } from '@gitty/core';
import { startTestServer, type TestServer } from './helpers.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const BIDI_NAME = 'invoice_\u202Efdp.exe';
const LOOKALIKE = 'p\u0430ypal.pl'; // a Cyrillic "а"
const LONG_NAME = `${'very-long-file-name-'.repeat(12)}end.md`;

describe('the web page: safe names, downloads, narrow screens, author, conflicts, big files (issue 15, item 9)', () => {
  let store: Store;
  let t: TestServer;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    store = await openStore({ driver: 'memory' });
    t = await startTestServer({ store, writeRateLimit: false, bodyLimit: 128 * 1024 * 1024 });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    await t.call('POST', `/files/${encodeURIComponent(BIDI_NAME)}`, { data: 'MZ not really\n' });
    await t.call('POST', `/files/${encodeURIComponent(LOOKALIKE)}`, { data: 'x.\n' });
    await t.call('POST', `/files/${LONG_NAME}`, { data: 'long\n' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await store?.close();
  });

  async function open(viewport = { width: 1280, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport, acceptDownloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().includes('status of 409')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(t.url);
    await expect.poll(() => page.locator('#status').textContent()).toBe('Ready.');
    return page;
  }

  const openFile = async (page: Page, name: string) => {
    await page.locator(`#file-list .file-button[data-name="${name}"]`).click();
    await expect.poll(() => page.evaluate('document.querySelector("#file-view").hidden')).toBe(false);
  };

  it('shows bidi controls as visible marks and flags lookalike names, in the list and the heading', async () => {
    const page = await open();
    const names = await page.locator('#file-list .name-text').allTextContents();
    expect(names).toContain('invoice_<U+202E>fdp.exe');
    expect(names.some((n) => n.includes('\u202E'))).toBe(false);
    const bidiItem = page.locator(`#file-list [data-name="${BIDI_NAME}"]`);
    expect(await bidiItem.locator('.name-badge').count()).toBe(1);
    expect(await page.locator(`#file-list [data-name="${LOOKALIKE}"] .name-badge`).getAttribute('title')).toMatch(/а <U\+0430>/);
    await openFile(page, BIDI_NAME);
    await expect.poll(() => page.locator('#file-heading .name-text').textContent()).toBe('invoice_<U+202E>fdp.exe');
    expect(await page.locator('#name-warning').isVisible()).toBe(true);
    expect(await page.locator('#name-warning').textContent()).toMatch(/invisible or direction-changing/);
    // Direction controls inside a diff are marked too ("Trojan Source" code).
    const head = (await t.call('GET', `/files/${encodeURIComponent(BIDI_NAME)}`)).json.commit.commit;
    await t.call('PUT', `/files/${encodeURIComponent(BIDI_NAME)}`, { data: 'MZ not really\nif (admin) {\u202E } \u2066// check\n', previous: head });
    await page.click('#reload');
    await expect.poll(() => page.locator('#history-rows tr').count()).toBe(2);
    await page.click('#show-diff');
    await expect.poll(() => page.locator('#diff-output .line.add').allTextContents())
      .toEqual(['added: +if (admin) {<U+202E> } <U+2066>// check']);
    await page.screenshot({ path: `${ARTIFACTS}names-desktop.png`, fullPage: true });
    await page.close();
  });

  it('wraps a long name without pushing the header off-screen, and is usable 390 px wide', async () => {
    const page = await open({ width: 390, height: 844 });
    await openFile(page, LONG_NAME);
    await expect.poll(() => page.locator('#file-heading .name-text').textContent()).toBe(LONG_NAME);
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    for (const selector of ['.banner', '#file-heading', '#save', '#content', '#filter', '#author']) {
      const box = await page.locator(selector).boundingBox();
      expect(box, selector).not.toBeNull();
      expect(box!.x, selector).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width, selector).toBeLessThanOrEqual(390 + 0.5);
    }
    await page.screenshot({ path: `${ARTIFACTS}page-390.png`, fullPage: true });
    await page.close();
  });

  it('offers binary files as a download with the exact bytes', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255, 0x89, 0x50, 0x4e, 0x47]);
    await t.call('POST', '/files/image.bin', { data: bytes.toString('base64'), encoding: 'base64' });
    const page = await open();
    await openFile(page, 'image.bin');
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/binary; download it/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    expect(download.suggestedFilename()).toBe('image.bin');
    const saved = await download.path();
    expect(Buffer.from(await readFile(saved)).equals(bytes)).toBe(true);
    await page.close();
  });

  it('saves with the author given in the page', async () => {
    const page = await open();
    await page.fill('#author', 'Zoë');
    await page.locator('#author').dispatchEvent('change');
    await page.fill('#new-name', 'by-zoe.md');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#status').textContent()).toBe('Created by-zoe.md.');
    expect((await t.call('GET', '/files/by-zoe.md')).json.commit.author).toBe('Zoë');
    await page.fill('#content', 'hello\n');
    await page.click('#save');
    await expect.poll(() => page.locator('#status').textContent()).toMatch(/^Saved by-zoe\.md/);
    expect((await t.call('GET', '/files/by-zoe.md')).json.commit.author).toBe('Zoë');
    expect(await page.locator('#history-rows tr').first().textContent()).toContain('Zoë');
    await page.close();
  });

  it('refreshes the history when a conflict appears and scrolls a new diff into view', async () => {
    const lines = Array.from({ length: 60 }, (_, i) => `line ${i}`).join('\n');
    const v1 = (await t.call('POST', '/files/shared.txt', { data: `${lines}\n` })).json.commit.commit;
    const page = await open({ width: 1000, height: 600 });
    await openFile(page, 'shared.txt');
    await expect.poll(() => page.locator('#history-rows tr').count()).toBe(1);
    // The events stream would refresh the history on its own: close it, as a dropped connection would.
    await page.evaluate('window.stop()');
    const theirs = await t.call('PUT', '/files/shared.txt', { data: `${lines}\nbob's line\n`, previous: v1, meta: { author: 'bob' } });
    expect(theirs.status).toBe(200);
    await page.fill('#content', `changed first\n${lines}\n`);
    await page.click('#save');
    await expect.poll(() => page.locator('#conflict').isVisible()).toBe(true);
    await expect.poll(() => page.locator('#history-rows tr').count()).toBe(2);
    expect(await page.locator('#history-rows tr').first().textContent()).toContain('bob');

    await page.click('#discard');
    await expect.poll(() => page.locator('#conflict').isVisible()).toBe(false);
    await page.locator('#history-rows tr').nth(1).locator('input[name=from]').check();
    await page.click('#show-diff');
    await expect.poll(() => page.locator('#diff').isVisible()).toBe(true);
    // The whole new diff (it fits) is in the viewport, not only its focused heading.
    await expect.poll(async () => {
      const box = await page.locator('#diff').boundingBox();
      return box !== null && box.y >= 0 && box.y + box.height <= 600;
    }).toBe(true);
    await page.screenshot({ path: `${ARTIFACTS}diff-in-view.png` });
    await page.close();
  });

  it('opens a 40 MB file without freezing: offered as a download, not loaded into the editor', async () => {
    const big = `${'x'.repeat(99)}\n`.repeat(400_000);
    expect((await t.call('POST', '/files/huge.log', { data: big })).status).toBe(201);
    const page = await open();
    const started = Date.now();
    await openFile(page, 'huge.log');
    await expect.poll(() => page.locator('#too-large').isVisible(), { timeout: 20_000 }).toBe(true);
    expect(await page.locator('#too-large').textContent()).toMatch(/38\.1 MB, too large to edit/);
    expect(await page.inputValue('#content')).toBe('');
    // Still responsive: a script runs at once.
    const tick = Date.now();
    await page.evaluate('1 + 1');
    expect(Date.now() - tick).toBeLessThan(2_000);
    console.log(`40 MB file opened in the page in ${Date.now() - started} ms`);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);
});
