/**
 * The UI shell in a real headless Chromium against the real server (filled with the demo shop's
 * traffic): it is served at / and at every deep link, the navigation moves between views without
 * reloading, the theme follows the system's light or dark setting, an unknown page gets the UI's own
 * not-found page (while the APIs keep their JSON errors), the header's trace-id box opens a trace,
 * and the primary button stays readable when hovered, focused or pressed. The built bundle stays
 * within its size budget.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Locator } from 'playwright-core';
import type { SearchResult } from '../../ui/src/api.js';
import { buildUi, openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { getJson, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
  await runDemo(server, 20);
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

    assert.deepEqual(errors, []);
    await page.close();
  }
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server!.queryUrl}/search`);
  await page.getByRole('link', { name: 'Search', exact: true }).waitFor();
  await screenshot(page, 'shell');
  await page.close();
});

test("an unknown page shows the UI's own not-found page with a way back; the APIs keep answering JSON", async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchPageErrors(page);
  const response = await page.goto(`${server!.queryUrl}/no/such/page?x=1`);
  assert.equal(response?.status(), 404);
  assert.match(response!.headers()['content-type']!, /^text\/html/);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  assert.match(await page.locator('main').innerText(), /There is no page at \/no\/such\/page/);
  assert.doesNotMatch(await page.locator('body').innerText(), /not_found|"error"/);
  await screenshot(page, 'shell-not-found');
  await page.getByRole('link', { name: 'Search traces' }).click();
  await page.waitForURL(/\/search$/);
  await page.getByRole('heading', { name: 'Search traces' }).waitFor();

  // A page under a view's path that the view does not have is unknown too.
  assert.equal((await page.goto(`${server!.queryUrl}/services/frontend/more`))?.status(), 404);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();

  // The APIs' paths answer JSON errors even to a browser, and so does a client that does not ask for HTML.
  const asBrowser = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
  for (const path of ['/api/v1/nothing', '/api/nothing', '/v1/traces', '/metrics/nothing', '/assets/missing.js']) {
    const answer = await fetch(`${server!.queryUrl}${path}`, { headers: asBrowser });
    assert.equal(answer.status, 404, path);
    assert.match(answer.headers.get('content-type')!, /application\/json/, path);
    assert.equal(((await answer.json()) as { error: { code: string } }).error.code, 'not_found', path);
  }
  const curl = await fetch(`${server!.queryUrl}/no/such/page`);
  assert.equal(curl.status, 404);
  assert.match(curl.headers.get('content-type')!, /application\/json/);
  assert.equal((await fetch(`${server!.queryUrl}/no/such/page`, { method: 'POST', headers: asBrowser })).headers.get('content-type')?.includes('json'), true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a trace that is not stored says so, without speaking of a retention ducktrace does not have', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const missing = 'ab'.repeat(16);
  await page.goto(`${server!.queryUrl}/trace/${missing}`);
  await page.getByRole('heading', { name: 'Trace not found' }).waitFor();
  const text = await page.locator('main').innerText();
  assert.match(text, new RegExp(`Trace not found: ${missing}\\s+No spans of this trace are stored`));
  assert.match(text, /may not have arrived yet/);
  assert.doesNotMatch(text, /retention|older than/i);
  await screenshot(page, 'shell-trace-not-found');
  await page.getByRole('link', { name: 'Search traces' }).click();
  await page.waitForURL(/\/search$/);
  await page.close();
});

test("the header's trace-id box opens a pasted id, pads a short one, and explains what it cannot read", async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const search = await getJson<SearchResult>(`${server!.queryUrl}/api/v1/traces?limit=1`);
  assert.equal(search.status, 200);
  const traceId = search.body.traces[0]!.traceId;
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/services`);
  const box = page.getByRole('searchbox', { name: 'Trace id' });

  // As pasted from a log line: upper case, with spaces around. The app does not reload.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 7));
  await box.fill(`  ${traceId.toUpperCase()} `);
  await box.press('Enter');
  await page.waitForURL(new RegExp(`/trace/${traceId}$`));
  await page.locator('.trace-header').getByText(traceId).waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 7);
  assert.equal(await box.inputValue(), '', 'the box is emptied for the next id');

  // Invalid text stays put with a message and changes nothing.
  await box.fill('checkout failed');
  await box.press('Enter');
  const alert = page.locator('.trace-lookup [role=alert]');
  assert.match(await alert.innerText(), /not a trace id: use hex digits only/);
  assert.equal(await box.getAttribute('aria-invalid'), 'true');
  assert.match(page.url(), new RegExp(`/trace/${traceId}$`));
  await screenshot(page, 'shell-lookup-invalid');
  await box.fill(`${traceId}ff`);
  assert.equal(await alert.count(), 0, 'typing clears the message');
  await box.press('Enter');
  assert.match(await alert.innerText(), /at most 32 hex digits; this has 34/);

  // A 64-bit id (16 hex digits) is left-padded to 32, as Jaeger does.
  await box.fill('A3CE929D0E0E4736');
  await box.press('Enter');
  await page.waitForURL(/\/trace\/0000000000000000a3ce929d0e0e4736$/);
  await page.getByRole('heading', { name: 'Trace not found' }).waitFor();
  assert.deepEqual(errors, []);
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
