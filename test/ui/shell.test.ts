/**
 * The UI shell in a real headless Chromium against the real server: it is served at / and at every
 * deep link, the navigation moves between views without reloading, the theme follows the system's
 * light or dark setting, and an unknown page says so. The built bundle stays within its size budget.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { buildUi, openBrowser, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import type { ServerHandle } from '../helpers/server.js';

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
});

after(() => stopUiServer(server));

test('deep links load the app, navigation stays in the page, and the theme follows the system', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;

  for (const colorScheme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ colorScheme, viewport: { width: 1280, height: 800 } });
    const errors = watchPageErrors(page);
    const response = await page.goto(`${server!.queryUrl}/services`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.title(), 'ducktrace');
    await page.getByRole('link', { name: 'Services', exact: true }).waitFor();
    assert.equal(await page.getByRole('link', { name: 'Services', exact: true }).getAttribute('aria-current'), 'page');

    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const [r, g, b] = background.match(/\d+/g)!.map(Number);
    const luminance = (0.2126 * r! + 0.7152 * g! + 0.0722 * b!) / 255;
    if (colorScheme === 'dark') assert.ok(luminance < 0.2, `dark background: ${background}`);
    else assert.ok(luminance > 0.9, `light background: ${background}`);

    // Client-side navigation: no new document is loaded.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
    await page.getByRole('link', { name: 'SQL', exact: true }).click();
    await page.waitForURL(/\/sql$/);
    assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42);
    await page.goBack();
    await page.waitForURL(/\/services$/);

    await page.goto(`${server!.queryUrl}/no/such/page`).catch(() => undefined);
    if (colorScheme === 'light') {
      // /no/such/page is not a UI route: the server's JSON 404, never the app.
      assert.match(await page.content(), /not_found/);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server!.queryUrl}/search`);
  await page.getByRole('link', { name: 'Search', exact: true }).waitFor();
  await screenshot(page, 'shell');
  await page.close();
});

test('the built UI (index.html, scripts, styles) is at most 250 kB gzip', async (t) => {
  const dir = await buildUi();
  const files = [join(dir, 'index.html'), ...readdirSync(join(dir, 'assets')).map((name) => join(dir, 'assets', name))];
  const gzipBytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(file), { level: 9 }).length, 0);
  t.diagnostic(`UI bundle: ${files.length} files, ${(gzipBytes / 1000).toFixed(1)} kB gzip`);
  assert.ok(gzipBytes <= 250_000, `${gzipBytes} bytes gzip`);
});
