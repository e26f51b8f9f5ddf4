/**
 * The UI shell in a real headless Chromium against the real server: it is served at / and at every
 * deep link, the navigation moves between views without reloading, the theme follows the system's
 * light or dark setting, an unknown page says so, and the primary button stays readable when
 * hovered, focused or pressed. The built bundle stays within its size budget.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Locator } from 'playwright-core';
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

/** The WCAG contrast ratio of two computed CSS colours (rgb or rgba on an opaque ground). */
function contrast(foreground: string, background: string): number {
  const luminance = (color: string): number => {
    const [r, g, b] = color.match(/[\d.]+/g)!.slice(0, 3).map((c) => {
      const v = Number(c) / 255;
      return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const [a, b] = [luminance(foreground), luminance(background)].sort((x, y) => y - x);
  return (a! + 0.05) / (b! + 0.05);
}

async function colors(button: Locator): Promise<{ color: string; background: string }> {
  return button.evaluate((element) => {
    const style = getComputedStyle(element);
    return { color: style.color, background: style.backgroundColor };
  });
}

test("the primary button's text stays readable (contrast 4.5:1) at rest, hovered, focused and pressed, in both themes", async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  for (const colorScheme of ['light', 'dark'] as const) {
    const page = await browser.newPage({ colorScheme, viewport: { width: 1280, height: 800 } });
    await page.goto(`${server!.queryUrl}/search`);
    const button = page.getByRole('button', { name: 'Find traces' });
    await button.waitFor();
    const states: Record<string, { color: string; background: string }> = {};
    states.rest = await colors(button);
    await button.hover();
    states.hover = await colors(button);
    if (colorScheme === 'light') await screenshot(page, 'shell-primary-hover');
    const box = (await button.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    states.pressed = await colors(button);
    // Released outside, so the press does not run a search.
    await page.mouse.move(5, 400);
    await page.mouse.up();
    // Keyboard focus (which shows :focus-visible): Tab from the control before it.
    await page.getByRole('button', { name: '+ Add attribute filter' }).focus();
    await page.keyboard.press('Tab');
    assert.equal(await button.evaluate((element) => element === document.activeElement && element.matches(':focus-visible')), true);
    states.focus = await colors(button);
    for (const [state, { color, background }] of Object.entries(states)) {
      const ratio = contrast(color, background);
      assert.ok(ratio >= 4.5, `${colorScheme} theme, ${state}: text ${color} on ${background} has contrast ${ratio.toFixed(2)}`);
    }
    assert.notEqual(states.hover.background, states.rest.background, `${colorScheme}: hovering shows`);
    await page.close();
  }
});

test('the built UI (index.html, scripts, styles) is at most 250 kB gzip', async (t) => {
  const dir = await buildUi();
  const files = [join(dir, 'index.html'), ...readdirSync(join(dir, 'assets')).map((name) => join(dir, 'assets', name))];
  const gzipBytes = files.reduce((sum, file) => sum + gzipSync(readFileSync(file), { level: 9 }).length, 0);
  t.diagnostic(`UI bundle: ${files.length} files, ${(gzipBytes / 1000).toFixed(1)} kB gzip`);
  assert.ok(gzipBytes <= 250_000, `${gzipBytes} bytes gzip`);
});
