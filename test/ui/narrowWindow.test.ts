/**
 * A 900 px wide window in a real headless Chromium, against the real server filled with the demo
 * shop's traffic: no page is wider than the window, no table runs out of its box (a table wider than
 * its box must sit in a box that scrolls it), the header stays on one line, and the waterfall takes
 * the window's whole width and height (sharing the height with the span panel when one is open).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { SearchResult } from '../../ui/src/api.js';
import { openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { getJson, type ServerHandle } from '../helpers/server.js';

const WIDTH = 900;
const HEIGHT = 800;

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
  await runDemo(server, 60);
});

after(() => stopUiServer(server));

/** What sticks out: the page wider than the window, a table past its box, the header past one line. */
function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > window.innerWidth) problems.push(`the page is ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
    for (const table of document.querySelectorAll('table')) {
      const name = `table.${[...table.classList].join('.')}`;
      const box = table.parentElement!;
      let scroller: Element | null = table.parentElement;
      // (No named helpers in here: the test runner's transform would wrap them in a function the page lacks.)
      while (scroller && scroller !== document.body && !['auto', 'scroll'].includes(getComputedStyle(scroller).overflowX)) scroller = scroller.parentElement;
      if (scroller && scroller !== document.body) {
        const right = scroller.getBoundingClientRect().right;
        if (right > window.innerWidth + 0.5) problems.push(`${name} scrolls in a box that ends at ${right} px`);
        continue;
      }
      const style = getComputedStyle(box);
      const inner = box.getBoundingClientRect().right - parseFloat(style.paddingRight) - parseFloat(style.borderRightWidth);
      const right = table.getBoundingClientRect().right;
      if (right > inner + 0.5) problems.push(`${name} ends at ${right} px, past its box (${inner} px)`);
    }
    const bar = document.querySelector('.topbar')!;
    if (bar.scrollWidth > bar.clientWidth) problems.push(`the header needs ${bar.scrollWidth} px of ${bar.clientWidth}`);
    for (const child of bar.querySelectorAll('a, input, button')) {
      const rect = child.getBoundingClientRect();
      if (rect.right > window.innerWidth || rect.bottom > bar.getBoundingClientRect().bottom) problems.push(`header item "${child.textContent || child.getAttribute('aria-label')}" is outside the header`);
    }
    return problems;
  });
}

async function expectFits(page: Page, what: string): Promise<void> {
  assert.deepEqual(await overflows(page), [], what);
}

test('at 900 px no page is wider than the window and no table runs out of its box', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
  const errors = watchPageErrors(page);

  await page.goto(`${server!.queryUrl}/search`);
  await page.locator('.trace-list tbody tr').first().waitFor();
  await expectFits(page, 'search results');
  await screenshot(page, 'narrow-search');

  // A custom range puts two time inputs into the toolbars.
  const custom = `range=custom&start=${new Date(Date.now() - 3_600_000).toISOString()}&end=${new Date(Date.now() + 60_000).toISOString()}`;
  await page.goto(`${server!.queryUrl}/services?${custom}`);
  await page.locator('tr[data-service="frontend"]').waitFor();
  await expectFits(page, 'services');

  await page.goto(`${server!.queryUrl}/services/frontend`);
  await page.locator('.operations-table tbody tr').first().waitFor();
  await page.locator('.uplot').first().waitFor();
  await expectFits(page, 'a service overview');
  await screenshot(page, 'narrow-service');

  await page.goto(`${server!.queryUrl}/map?${custom}`);
  await page.locator('.dependency-table tbody tr').first().waitFor();
  await expectFits(page, 'service map');

  // Every column of the spans table: far wider than the window, so it must scroll in its own box.
  await page.goto(`${server!.queryUrl}/sql?q=${encodeURIComponent('SELECT * FROM spans LIMIT 20')}`);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await page.locator('table.sql-result tbody tr').first().waitFor();
  await expectFits(page, 'a wide SQL result');
  await screenshot(page, 'narrow-sql');

  assert.deepEqual(errors, []);
  await page.close();
});

test('at 900 px the waterfall fills the window, and shares it with an open span panel', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const search = await getJson<SearchResult>(`${server!.queryUrl}/api/v1/traces?service=frontend&operation=${encodeURIComponent('POST /api/checkout')}&limit=1`);
  assert.equal(search.status, 200);
  const trace = search.body.traces[0]!;
  const page = await browser.newPage({ viewport: { width: WIDTH, height: HEIGHT } });
  const errors = watchPageErrors(page);

  await page.goto(`${server!.queryUrl}/trace/${trace.traceId}`);
  await page.locator('.waterfall [data-index]').first().waitFor();
  await expectFits(page, 'a trace');
  const geometry = (): Promise<{ waterfall: DOMRect; main: { left: number; right: number }; panel: DOMRect | null; scrollHeight: number }> =>
    page.evaluate(() => {
      const main = document.querySelector('main')!;
      const style = getComputedStyle(main);
      const rect = main.getBoundingClientRect();
      return {
        waterfall: document.querySelector('.waterfall')!.getBoundingClientRect().toJSON(),
        main: { left: rect.left + parseFloat(style.paddingLeft), right: rect.right - parseFloat(style.paddingRight) },
        panel: document.querySelector('.span-panel')?.getBoundingClientRect().toJSON() ?? null,
        scrollHeight: document.documentElement.scrollHeight,
      };
    });
  const alone = await geometry();
  assert.ok(Math.abs(alone.waterfall.left - alone.main.left) <= 1 && Math.abs(alone.waterfall.right - alone.main.right) <= 1, `the waterfall spans the main area: ${JSON.stringify(alone)}`);
  // Down to the main area's bottom padding (16 px), give or take a pixel.
  assert.ok(alone.waterfall.bottom >= HEIGHT - 16 - 2, `the waterfall reaches the window's bottom: ${alone.waterfall.bottom} of ${HEIGHT}`);
  assert.ok(alone.scrollHeight <= HEIGHT, `the page itself does not scroll: ${alone.scrollHeight}`);
  await screenshot(page, 'narrow-trace');

  await page.locator('.waterfall [data-index]').nth(2).click();
  await page.locator('.span-panel').waitFor();
  await expectFits(page, 'a trace with the span panel');
  const shared = await geometry();
  assert.ok(shared.panel !== null);
  assert.ok(Math.abs(shared.waterfall.right - shared.main.right) <= 1, 'the waterfall keeps the full width');
  assert.ok(shared.waterfall.height >= 250, `the waterfall keeps room for rows: ${shared.waterfall.height} px`);
  assert.ok(shared.panel.top >= shared.waterfall.bottom && shared.panel.bottom <= HEIGHT, `the panel is under the waterfall, in the window: ${JSON.stringify(shared)}`);
  assert.ok(shared.scrollHeight <= HEIGHT, `the page itself does not scroll: ${shared.scrollHeight}`);
  await screenshot(page, 'narrow-trace-panel');

  assert.deepEqual(errors, []);
  await page.close();
});
