import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DRIVER_CASES, startTestServer, type StoreSetup, type TestServer } from './helpers.js';

const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// The most capable local driver available (the last case: sqlite once it is in place).
const driverCase = DRIVER_CASES[DRIVER_CASES.length - 1]!;

describe(`web page in headless Chromium (${driverCase.name} driver)`, () => {
  let setup: StoreSetup;
  let t: TestServer;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    setup = await driverCase.open();
    t = await startTestServer({ store: setup.config, writeRateLimit: false });
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.on('console', (m) => {
      // The conflicts this test provokes are logged by the browser as failed loads; anything else is a problem.
      if (m.type() === 'error' && !m.text().includes('status of 409')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await setup?.cleanup();
  });

  const status = () => page.locator('#status');
  const focusedId = () => page.evaluate('document.activeElement?.id');

  async function save(text: string, message: string): Promise<void> {
    await page.fill('#content', text);
    await page.fill('#message', message);
    // Keyboard only: focus the Save button and press Enter.
    await page.focus('#save');
    await page.keyboard.press('Enter');
  }

  it('has landmarks, labelled controls and a live status region', async () => {
    await page.goto(t.url);
    await expect.poll(() => status().textContent()).toBe('Ready.');
    expect(await page.locator('header.banner, nav, main').count()).toBe(3);
    expect(await status().getAttribute('aria-live')).toBe('polite');
    // Evaluated in the page (a string, as this file is type-checked without the DOM library).
    const unlabelled = await page.evaluate(
      "[...document.querySelectorAll('input:not([type=radio]), textarea')].filter((el) => !el.labels?.length).map((el) => el.id)",
    );
    expect(unlabelled).toEqual([]);
  });

  it('creates a file, edits it twice, shows its history and a diff between two versions', async () => {
    await page.fill('#new-name', 'notes.md');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('#file-heading').textContent()).toBe('notes.md');
    await expect.poll(() => status().textContent()).toBe('Created notes.md.');

    await save('# Notes\nfirst line\n', 'first edit');
    await expect.poll(() => status().textContent()).toMatch(/^Saved notes\.md as version/);
    await save('# Notes\nfirst line\nsecond line\n', 'second edit');
    await expect.poll(() => page.locator('#history-rows tr').count()).toBe(3);
    expect(await page.locator('#history-rows tr').first().textContent()).toContain('second edit');

    // From the first version (empty) to the newest.
    await page.locator('#history-rows tr').nth(2).locator('input[name=from]').check();
    await page.locator('#history-rows tr').nth(0).locator('input[name=to]').check();
    await page.click('#show-diff');
    await expect.poll(() => page.locator('#diff').isVisible()).toBe(true);
    const added = await page.locator('#diff-output .line.add').allTextContents();
    expect(added).toEqual(['added: +# Notes', 'added: +first line', 'added: +second line']);
    expect(await focusedId()).toBe('diff-heading');
    await page.screenshot({ path: `${ARTIFACTS}history-diff.png`, fullPage: true });
  });

  it('shows a conflict with both diffs and resolves it by applying the user\'s changes onto the new head', async () => {
    const { json } = await t.call('GET', '/files/notes.md');
    // Someone else saves a newer version meanwhile.
    const theirs = await t.call('PUT', '/files/notes.md', {
      data: '# Notes (shared)\nfirst line\nsecond line\n', previous: json.commit.commit, meta: { author: 'bob' },
    });
    expect(theirs.status).toBe(200);

    await save('# Notes\nfirst line\nsecond line\nthird line\n', 'my third edit');
    await expect.poll(() => page.locator('#conflict').isVisible()).toBe(true);
    expect(await status().textContent()).toMatch(/^Not saved/);
    expect(await page.locator('#conflict-theirs .line.add').allTextContents()).toEqual(['added: +# Notes (shared)']);
    expect(await page.locator('#conflict-yours .line.add').allTextContents()).toEqual(['added: +third line']);
    expect(await focusedId()).toBe('conflict-heading');
    await page.screenshot({ path: `${ARTIFACTS}conflict.png`, fullPage: true });

    await page.click('#apply-mine');
    expect(await page.inputValue('#content')).toBe('# Notes (shared)\nfirst line\nsecond line\nthird line\n');
    await page.focus('#save');
    await page.keyboard.press('Enter');
    await expect.poll(() => status().textContent()).toMatch(/^Saved notes\.md/);
    const final = await t.call('GET', '/files/notes.md');
    expect(final.json.data).toBe('# Notes (shared)\nfirst line\nsecond line\nthird line\n');
    expect(final.json.commit.previous).toBe(theirs.json.commit.commit);
  });

  it('resolves a conflict by overwriting on the new head, and lists and filters files', async () => {
    const { json } = await t.call('GET', '/files/notes.md');
    await t.call('PUT', '/files/notes.md', { data: 'replaced by bob\n', previous: json.commit.commit });
    await save('mine wins\n', 'overwrite');
    await expect.poll(() => page.locator('#conflict').isVisible()).toBe(true);
    await page.click('#overwrite');
    await expect.poll(() => status().textContent()).toMatch(/^Saved notes\.md/);
    expect((await t.call('GET', '/files/notes.md')).json.data).toBe('mine wins\n');

    await t.call('POST', '/files/other.pl', { data: 'x.' });
    await expect.poll(() => page.locator('#file-list li').count()).toBe(2);
    await page.fill('#filter', 'oth');
    await expect.poll(() => page.locator('#file-list .name-text').allTextContents()).toEqual(['other.pl']);
    await page.locator('#file-list button').first().press('Enter');
    await expect.poll(() => page.locator('#file-heading').textContent()).toBe('other.pl');
    await page.fill('#filter', '');
    await page.screenshot({ path: `${ARTIFACTS}page.png`, fullPage: true });
    expect(problems).toEqual([]);
  });
});
