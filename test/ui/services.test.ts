/**
 * The services views in a real headless Chromium against the real server, filled with the demo shop's
 * traffic: the list leads to a service's overview, whose summary and operations table show what
 * /api/v1/latency answers for the same range, and a click on an operation narrows the overview to it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { LatencyResult, RedFigures } from '../../ui/src/api.js';
import { formatCount, formatDuration, formatPercent, formatRate } from '../../ui/src/lib/format.js';
import { openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { getJson, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
  await runDemo(server, 80);
});

after(() => stopUiServer(server));

/** How the page shows a row of figures, for comparing with the API's numbers. */
const shown = (f: RedFigures) => ({
  requests: formatCount(f.requests),
  rate: formatRate(f.requestRate),
  errorRate: formatPercent(f.errorRate),
  p50: formatDuration(f.percentiles.p50),
  p90: formatDuration(f.percentiles.p90),
  p99: formatDuration(f.percentiles.p99),
});

const KEYS = ['requests', 'rate', 'errorRate', 'p50', 'p90', 'p99'] as const;

async function figuresIn(page: Page, selector: string, cell: string): Promise<Record<string, string>> {
  const figures: Record<string, string> = {};
  for (const key of KEYS) figures[key] = (await page.locator(`${selector} [data-figure="${key}"] ${cell}`.trim()).first().textContent())!.trim();
  return figures;
}

/** The API's answer for the bounds and step the page says it used. */
async function apiFor(page: Page, service: string, operation?: string): Promise<LatencyResult> {
  const view = page.locator('.service-overview');
  const [start, end, step] = await Promise.all(['data-range-start', 'data-range-end', 'data-step'].map((a) => view.getAttribute(a)));
  const params = new URLSearchParams({ service, start: start!, end: end!, step: step!, percentiles: 'p50,p90,p99', byOperation: 'true' });
  if (operation) params.set('operation', operation);
  const response = await getJson<LatencyResult>(`${server!.queryUrl}/api/v1/latency?${params}`);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return response.body;
}

test('the service overview shows the API figures, and a click on an operation filters it', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = watchPageErrors(page);

  // The list leads to the overview.
  await page.goto(`${server!.queryUrl}/services`);
  const frontendRow = page.locator('tr[data-service="frontend"]');
  await frontendRow.locator('[data-figure="p99"]').waitFor();
  assert.deepEqual((await page.locator('tr[data-service]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-service')))).sort(), ['cart', 'checkout', 'frontend', 'inventory', 'payment']);
  await frontendRow.click();
  await page.waitForURL(/\/services\/frontend$/);

  await page.locator('.operations-table tbody tr').first().waitFor();
  await page.locator('.summary-figures').waitFor();
  const all = await apiFor(page, 'frontend');
  assert.deepEqual(await figuresIn(page, '.summary-figures', 'dd'), shown(all.summary));
  const operations = [...all.byOperation!].sort((a, b) => b.requests - a.requests || a.operation.localeCompare(b.operation));
  assert.ok(operations.length >= 4, `the demo's frontend has several operations: ${operations.map((o) => o.operation)}`);
  const rows = page.locator('.operations-table tbody tr');
  assert.deepEqual(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-operation'))), operations.map((o) => o.operation));
  for (const op of operations) assert.deepEqual(await figuresIn(page, `tr[data-operation="${op.operation}"]`, ''), shown(op), op.operation);
  await page.locator('.chart canvas').nth(2).waitFor();
  assert.equal(await page.locator('.chart canvas').count(), 3, 'three charts drawn');

  // Narrow to one operation: URL, figures and charts follow; the table keeps every operation.
  const chosen = operations.find((o) => o.operation === 'POST /api/checkout') ?? operations[0]!;
  await page.locator(`tr[data-operation="${chosen.operation}"]`).click();
  await page.waitForURL((url) => url.searchParams.get('operation') === chosen.operation);
  await page.locator('.operation-filter').waitFor();
  assert.equal(await page.locator(`tr[data-operation="${chosen.operation}"]`).getAttribute('aria-selected'), 'true');
  const one = await apiFor(page, 'frontend', chosen.operation);
  await page.waitForFunction((expected) => document.querySelector('.summary-figures [data-figure="requests"] dd')?.textContent === expected, shown(one.summary).requests);
  assert.deepEqual(await figuresIn(page, '.summary-figures', 'dd'), shown(one.summary));
  assert.equal(await rows.count(), operations.length);
  assert.equal(
    await page.getByRole('link', { name: 'Search these traces →' }).getAttribute('href'),
    `/search?${new URLSearchParams({ service: 'frontend', operation: chosen.operation })}`,
  );
  await page.locator('.chart canvas').nth(2).waitFor();
  await screenshot(page, 'service-overview');

  // Clearing the filter goes back to the whole service.
  await page.getByRole('link', { name: 'Clear the operation filter' }).click();
  await page.waitForURL(/\/services\/frontend$/);
  await page.waitForFunction((expected) => document.querySelector('.summary-figures [data-figure="requests"] dd')?.textContent === expected, shown(all.summary).requests);
  assert.deepEqual(errors, []);
  await page.close();
});

/** What the stored spans say a service's requests are, for the page's range: summed sampling weight of the spans `where` picks. */
async function weightOf(page: Page, service: string, where: string): Promise<number> {
  const view = page.locator('.service-overview');
  const [start, end] = await Promise.all(['data-range-start', 'data-range-end'].map((a) => view.getAttribute(a)));
  const sql = `SELECT coalesce(sum(sample_weight), 0) FROM spans WHERE service_name = $1 AND start_time >= make_timestamp_ns($2::BIGINT) AND start_time < make_timestamp_ns($3::BIGINT) AND (${where})`;
  const response = await fetch(`${server!.queryUrl}/api/v1/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql, params: [service, start, end] }) });
  const body = (await response.json()) as { rows: unknown[][] };
  assert.equal(response.status, 200, JSON.stringify(body));
  return Number(body.rows[0]![0]);
}

test('the figures count entry spans by default and say so; another kind is chosen, kept in the URL and its links', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  const errors = watchPageErrors(page);
  const caption = page.locator('.counted-kinds');
  const kindSelect = page.getByLabel('Count', { exact: true });

  await page.goto(`${server!.queryUrl}/services`);
  await page.locator('tr[data-service="frontend"] [data-figure="p99"]').waitFor();
  assert.equal(await caption.innerText(), 'Counting server and consumer spans, and root spans of any kind');
  assert.equal(await kindSelect.inputValue(), 'entry');

  // The overview's requests are the service's SERVER and CONSUMER spans and its roots, not every span it emitted.
  await page.goto(`${server!.queryUrl}/services/checkout`);
  await page.locator('.summary-figures').waitFor();
  const entry = await weightOf(page, 'checkout', "kind IN (2, 5) OR parent_span_id = ''");
  const every = await weightOf(page, 'checkout', 'true');
  assert.ok(entry > 0 && entry < every, `checkout has entry spans (${entry}) and others (${every})`);
  assert.equal(await page.locator('.summary-figures [data-figure="requests"] dd').innerText(), formatCount(entry));
  assert.equal(await caption.innerText(), 'Counting server and consumer spans, and root spans of any kind');

  // Client spans: the URL, the caption and the figures follow.
  await kindSelect.selectOption('client');
  await page.waitForURL((url) => url.searchParams.get('kind') === 'client');
  await caption.filter({ hasText: 'Counting client spans' }).waitFor();
  const clients = await weightOf(page, 'checkout', 'kind = 3');
  assert.ok(clients > 0, 'checkout calls other services');
  await page.locator('.summary-figures [data-figure="requests"] dd', { hasText: formatCount(clients) }).waitFor();
  assert.equal(await page.locator('.summary-figures [data-figure="requests"] dd').innerText(), formatCount(clients));
  await page.locator('.chart canvas').nth(2).waitFor();
  await screenshot(page, 'service-overview-client-spans');

  // A reload keeps the choice; the way back to the list and the operation links keep it too.
  await page.reload();
  await caption.filter({ hasText: 'Counting client spans' }).waitFor();
  assert.equal(await kindSelect.inputValue(), 'client');
  const operationHref = await page.locator('.operations-table tbody tr a').first().getAttribute('href');
  assert.equal(new URLSearchParams(operationHref!.split('?')[1]).get('kind'), 'client');
  await page.getByRole('link', { name: '← All services' }).click();
  await page.waitForURL((url) => url.pathname === '/services' && url.searchParams.get('kind') === 'client');
  await caption.filter({ hasText: 'Counting client spans' }).waitFor();

  // Every kind at once.
  await kindSelect.selectOption('all');
  await caption.filter({ hasText: 'Counting spans of every kind' }).waitFor();
  await page.locator('tr[data-service="checkout"] [data-figure="p99"]').waitFor();
  await screenshot(page, 'services-all-spans');
  assert.deepEqual(errors, []);
  await page.close();
});
