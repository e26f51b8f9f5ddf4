/**
 * The search view in a real headless Chromium against the real server, filled with the demo shop's
 * traffic and one trace of our own sent through the OpenTelemetry SDK: the form finds it by service
 * and attribute, the URL restores the form, a bad duration shows the API's message, a row opens the trace.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { Page } from 'playwright-core';
import { openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { hrAdd, makeProvider, waitForStored, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle | undefined;
let knownTraceId = '';

before(async () => {
  server = await startUiServer();
  await runDemo(server, 60);
  // checkout-audit: POST /audit (SERVER, order.id=A-42) → validate → store: three spans.
  const provider = makeProvider({ 'service.name': 'checkout-audit' }, new OTLPTraceExporter({ url: `${server.otlpHttpUrl}/v1/traces` }));
  const tracer = provider.provider.getTracer('ui-test');
  const base = hrAdd([Math.floor(Date.now() / 1000) - 30, 0], 0);
  const root = tracer.startSpan('POST /audit', { kind: SpanKind.SERVER, startTime: base, attributes: { 'order.id': 'A-42' } }, ROOT_CONTEXT);
  const context = trace.setSpan(ROOT_CONTEXT, root);
  tracer.startSpan('validate', { startTime: hrAdd(base, 1_000_000) }, context).end(hrAdd(base, 4_000_000));
  tracer.startSpan('store', { kind: SpanKind.CLIENT, startTime: hrAdd(base, 5_000_000) }, context).end(hrAdd(base, 9_000_000));
  root.end(hrAdd(base, 12_000_000));
  knownTraceId = root.spanContext().traceId;
  await provider.flush();
  provider.exporter.assertAllSucceeded();
  await provider.shutdown();
  await waitForStored(server.queryUrl);
});

after(() => stopUiServer(server));

const row = (page: Page, traceId: string) => page.locator(`tr[data-trace-id="${traceId}"]`);

test('the form finds a known trace by service and attribute; the URL restores the form; a row opens the trace', async (t) => {
  const b = await openBrowser(t);
  if (!b) return;
  const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/search`);

  const service = page.getByLabel('Service', { exact: true });
  await page.locator('option', { hasText: 'checkout-audit' }).waitFor({ state: 'attached' });
  await service.selectOption('checkout-audit');
  await page.getByRole('button', { name: '+ Add attribute filter' }).click();
  await page.getByLabel('Attribute 1 key').fill('order.id');
  await page.getByLabel('Attribute 1 value').fill('A-42');
  await page.getByRole('button', { name: 'Find traces' }).click();

  await page.waitForURL((url) => url.searchParams.get('service') === 'checkout-audit' && url.searchParams.get('attr') === 'order.id=A-42');
  await row(page, knownTraceId).waitFor();
  assert.equal(await page.locator('tr.trace-row').count(), 1, 'only the known trace has that attribute');
  assert.equal(await row(page, knownTraceId).locator('.root-operation').textContent(), 'POST /audit');
  assert.equal(await row(page, knownTraceId).locator('.span-count').textContent(), '3');
  assert.equal(await row(page, knownTraceId).locator('td').nth(2).textContent(), '12.0ms');
  // The trace is a dot on the scatter plot, drawn once the plot knows its width.
  await page.locator(`circle[data-trace-id="${knownTraceId}"]`).waitFor();

  // A reload rebuilds the form from the URL, and the same search.
  await page.reload();
  await row(page, knownTraceId).waitFor();
  assert.equal(await service.inputValue(), 'checkout-audit');
  assert.equal(await page.getByLabel('Attribute 1 key').inputValue(), 'order.id');
  assert.equal(await page.getByLabel('Attribute 1 operator').inputValue(), '=');
  assert.equal(await page.getByLabel('Attribute 1 value').inputValue(), 'A-42');

  // Keyboard: focus the row, Enter opens the trace.
  await row(page, knownTraceId).focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(`**/trace/${knownTraceId}`);
  await page.goBack();
  await row(page, knownTraceId).click();
  await page.waitForURL(`**/trace/${knownTraceId}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a bad duration shows the API message inline; an empty answer says so; load more appends the next page', async (t) => {
  const b = await openBrowser(t);
  if (!b) return;
  const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchPageErrors(page);

  await page.goto(`${server!.queryUrl}/search`);
  await page.getByLabel('Trace duration at least').fill('fast');
  await page.getByRole('button', { name: 'Find traces' }).click();
  await page.waitForURL(/minDuration=fast/);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match((await alert.textContent())!, /"minDuration"/);
  assert.match((await alert.textContent())!, /400/);

  await page.goto(`${server!.queryUrl}/search?service=checkout-audit&attr=order.id%3DB-7`);
  await page.getByText('No traces match.').waitFor();

  await page.goto(`${server!.queryUrl}/search?limit=25`);
  await page.locator('tr.trace-row').first().waitFor();
  assert.equal(await page.locator('tr.trace-row').count(), 25);
  await page.getByRole('button', { name: 'Load more' }).click();
  await page.locator('tr.trace-row').nth(49).waitFor();
  await page.locator('circle.point').nth(49).waitFor();
  const ids = await page.locator('tr.trace-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-trace-id')));
  assert.equal(new Set(ids).size, ids.length, 'the second page continues the first without repeats');
  assert.equal(await page.locator('circle.point').count(), 50, 'every trace of both pages is a dot');
  assert.equal(await page.locator('circle.point.error').count(), await page.locator('tr.trace-row.has-errors').count(), 'traces with errors are the red dots');
  await page.evaluate(() => window.scrollTo(0, 0));
  await screenshot(page, 'search');
  assert.deepEqual(errors, []);
  await page.close();
});

test('trace duration and span duration are labelled apart and filter differently', async (t) => {
  const b = await openBrowser(t);
  if (!b) return;
  const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/search?service=checkout-audit&maxDuration=1ms`);
  await page.getByText('No traces match.').waitFor();
  // Each search below flips the answer (found / not found), so waiting for the new answer never sees the last one.
  const expectSearch = async (fields: Record<string, string>, operation: string, found: boolean, why: string): Promise<void> => {
    await page.getByLabel('Operation', { exact: true }).selectOption(operation);
    for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value);
    await page.getByRole('button', { name: 'Find traces' }).click();
    await page.waitForURL((url) => url.searchParams.get('operation') === operation);
    const answer = found ? row(page, knownTraceId) : page.getByText('No traces match.');
    await answer.waitFor({ timeout: 10_000 }).catch(() => assert.fail(`${found ? 'expected' : 'did not expect'} the known trace: ${why}`));
  };
  await page.locator('#search-operation option', { hasText: 'validate' }).waitFor({ state: 'attached' });

  // The known trace lasts 12 ms; its "validate" span 3 ms, its root "POST /audit" 12 ms.
  await expectSearch({ 'Trace duration at most': '', 'Trace duration at least': '10ms' }, 'validate', true, 'the trace lasts over 10 ms');
  assert.equal(new URL(page.url()).searchParams.get('minDuration'), '10ms');
  await expectSearch({ 'Trace duration at least': '', 'Span duration at least': '10ms' }, 'validate', false, 'validate itself lasts 3 ms');
  assert.deepEqual([new URL(page.url()).searchParams.get('spanMinDuration'), new URL(page.url()).searchParams.get('minDuration')], ['10ms', null]);
  await expectSearch({ 'Span duration at least': '2ms', 'Span duration at most': '3ms' }, 'validate', true, 'validate lasts 3 ms');
  await expectSearch({ 'Span duration at least': '' }, 'POST /audit', false, 'the root span lasts 12 ms, over the 3 ms at most');

  // A reload keeps both ranges in their own fields.
  await page.goto(`${server!.queryUrl}/search?service=checkout-audit&minDuration=1ms&spanMaxDuration=3ms`);
  await row(page, knownTraceId).waitFor();
  assert.equal(await page.getByLabel('Trace duration at least').inputValue(), '1ms');
  assert.equal(await page.getByLabel('Span duration at most').inputValue(), '3ms');
  assert.equal(await page.getByLabel('Span duration at least').inputValue(), '');
  await screenshot(page, 'search-durations');
  assert.deepEqual(errors, []);
  await page.close();
});
