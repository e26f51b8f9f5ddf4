/**
 * The read-token prompt in a real headless Chromium against a server with a read token: the UI's page
 * loads without one and asks for it, a wrong token is refused and asked for again, the right one shows
 * the data and goes with every API call, a reload keeps it (sessionStorage), and a fresh browser
 * session asks again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Page } from 'playwright-core';
import { openBrowser, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { makeProvider, waitForStored, type ServerHandle } from '../helpers/server.js';

const READ_TOKEN = 'ui-read-token-0123456789';
const SERVICE = 'token-prompt-shop';

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer({ DUCKTRACE_READ_TOKENS: READ_TOKEN });
  const provider = makeProvider({ 'service.name': SERVICE }, new OTLPTraceExporter({ url: `${server.otlpHttpUrl}/v1/traces` }));
  provider.provider.getTracer('ui-test').startSpan('GET /basket', {}, ROOT_CONTEXT).end();
  await provider.flush();
  provider.exporter.assertAllSucceeded();
  await provider.shutdown();
  await waitForStored(server.queryUrl, 2_000, { authorization: `Bearer ${READ_TOKEN}` });
});

after(() => stopUiServer(server));

const dialog = (page: Page) => page.getByRole('dialog', { name: 'Read token required' });
const serviceOption = (page: Page) => page.locator('option', { hasText: SERVICE });

async function giveToken(page: Page, token: string): Promise<void> {
  await dialog(page).getByLabel('Read token').fill(token);
  await dialog(page).getByRole('button', { name: 'Use token' }).click();
}

test('the page loads without a token and asks for one; a wrong one is refused; the right one shows the data', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  const apiCalls: Array<{ url: string; authorization: string | undefined }> = [];
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/api/')) apiCalls.push({ url: request.url(), authorization: request.headers().authorization });
  });

  const response = await page.goto(`${server!.queryUrl}/search`);
  assert.equal(response?.status(), 200, 'the UI itself needs no token');
  await dialog(page).waitFor();
  assert.equal(await dialog(page).getByRole('alert').count(), 0, 'no token was sent yet, so none was refused');
  assert.ok(apiCalls.length > 0 && apiCalls.every((call) => call.authorization === undefined));
  await screenshot(page, 'token-prompt');

  await giveToken(page, 'not-the-token-0123456789');
  await dialog(page).getByRole('alert').filter({ hasText: 'The token was not accepted.' }).waitFor();

  const before = apiCalls.length;
  await giveToken(page, READ_TOKEN);
  await serviceOption(page).waitFor({ state: 'attached' });
  assert.equal(await dialog(page).count(), 0, 'the prompt is gone');
  const withToken = apiCalls.slice(before);
  assert.ok(withToken.length > 0);
  assert.deepEqual(withToken.filter((call) => call.authorization !== `Bearer ${READ_TOKEN}`), [], 'every call after the token carries it');

  await page.reload();
  await serviceOption(page).waitFor({ state: 'attached' });
  assert.equal(await dialog(page).count(), 0, 'a reload keeps the token');
  assert.deepEqual(errors, []);
  await context.close();

  const fresh = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await fresh.goto(`${server!.queryUrl}/services`);
  await dialog(fresh).waitFor();
  await fresh.close();
});
