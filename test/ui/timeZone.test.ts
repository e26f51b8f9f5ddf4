/**
 * Times and the time-zone switch in a real headless Chromium set to India's zone (UTC+05:30, so
 * local and UTC differ by hours and minutes), against the real server filled with the demo shop's
 * traffic: the list, the scatter plot, the trace header, the span panel, the service charts and the
 * range picker all write and read times in the zone the header's switch chooses, name that zone, and
 * the choice outlives a reload.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import type { SearchResult } from '../../ui/src/api.js';
import { openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { getJson, type ServerHandle } from '../helpers/server.js';

const ZONE = 'Asia/Kolkata';
const OFFSET_MINUTES = 330;

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
  await runDemo(server, 30);
});

after(() => stopUiServer(server));

/** "2026-11-24 14:03:07.123" for the instant on a clock `offsetMinutes` east of UTC. */
const wallClock = (ms: number, offsetMinutes: number): string => new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, 23).replace('T', ' ');

async function newContext(t: Parameters<typeof openBrowser>[0]): Promise<BrowserContext | null> {
  const browser = await openBrowser(t);
  return browser === null ? null : browser.newContext({ timezoneId: ZONE, viewport: { width: 1280, height: 900 } });
}

async function chooseZone(page: Page, label: 'Local' | 'UTC'): Promise<void> {
  const button = page.getByRole('group', { name: 'Time zone' }).getByRole('button', { name: label, exact: true });
  await button.click();
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
}

/** How the browser names its zone (its ICU may say Asia/Calcutta for Asia/Kolkata). */
async function zoneNameIn(page: Page): Promise<string> {
  const name = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  assert.match(name, /^Asia\/(Kolkata|Calcutta)$/);
  return name;
}

/** Minutes since midnight of an axis label ("14:03" or "14:03:05"). */
const minutesOf = (label: string): number => {
  const [h, m] = label.split(':').map(Number);
  return h! * 60 + m!;
};

test('search results, their scatter plot and a trace show local time or UTC as switched, naming the zone', async (t) => {
  const context = await newContext(t);
  if (context === null) return;
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  const search = await getJson<SearchResult>(`${server!.queryUrl}/api/v1/traces?limit=20`);
  assert.equal(search.status, 200);
  const startMs = new Map(search.body.traces.map((trace) => [trace.traceId, Number(BigInt(trace.startTimeUnixNano) / 1_000_000n)]));

  await page.goto(`${server!.queryUrl}/search`);
  const firstRow = page.locator('.trace-list tbody tr').first();
  await firstRow.waitFor();
  const traceId = (await firstRow.getAttribute('data-trace-id'))!;
  const ms = startMs.get(traceId)!;
  const startHeader = page.locator('.trace-list th').nth(1);
  const zoneName = await zoneNameIn(page);
  const tickLabels = (): Promise<string[]> => page.locator('.scatter g.tick text').filter({ hasText: /^\d\d:\d\d/ }).allTextContents();

  // Local time is the default: India's clock.
  assert.equal((await firstRow.locator('td.trace-start').innerText()).trim(), wallClock(ms, OFFSET_MINUTES));
  assert.equal(await startHeader.innerText(), `Start ${zoneName}`);
  assert.equal(await page.locator('.scatter .zone-note').textContent(), `start time, ${zoneName}`);
  const localTicks = await tickLabels();
  assert.ok(localTicks.length >= 2, `time ticks: ${localTicks}`);
  await screenshot(page, 'time-zone-search-local');

  await chooseZone(page, 'UTC');
  assert.equal((await firstRow.locator('td.trace-start').innerText()).trim(), wallClock(ms, 0));
  assert.equal(await startHeader.innerText(), 'Start UTC');
  assert.equal(await page.locator('.scatter .zone-note').textContent(), 'start time, UTC');
  const utcTicks = await tickLabels();
  assert.equal(utcTicks.length, localTicks.length);
  utcTicks.forEach((label, i) => assert.equal((minutesOf(localTicks[i]!) - minutesOf(label) + 1440) % 1440, OFFSET_MINUTES, `${localTicks[i]} local is ${label} UTC`));
  const dot = page.locator(`.scatter circle[data-trace-id="${traceId}"]`);
  assert.match((await dot.getAttribute('aria-label'))!, new RegExp(`at ${wallClock(ms, 0)} UTC,`));
  await screenshot(page, 'time-zone-search-utc');

  // The choice outlives a reload.
  await page.reload();
  await firstRow.waitFor();
  assert.equal(await page.getByRole('button', { name: 'UTC', exact: true }).getAttribute('aria-pressed'), 'true');
  assert.equal((await firstRow.locator('td.trace-start').innerText()).trim(), wallClock(ms, 0));

  // The trace's start, and a span's, carry their zone.
  await page.goto(`${server!.queryUrl}/trace/${traceId}`);
  const started = page.locator('[data-fact=started]');
  await started.waitFor();
  assert.equal(await started.innerText(), `${wallClock(ms, 0)} UTC`);
  await chooseZone(page, 'Local');
  assert.equal(await started.innerText(), `${wallClock(ms, OFFSET_MINUTES)} UTC+05:30`);
  await page.locator('.waterfall [data-index]').first().click();
  await page.locator('.span-panel').waitFor();
  assert.match(await page.locator('.span-panel').innerText(), new RegExp(`\\(${wallClock(ms, OFFSET_MINUTES)} UTC\\+05:30\\)`));
  await screenshot(page, 'time-zone-trace-local');

  assert.deepEqual(errors, []);
  await context.close();
});

test('the service charts follow the switch in their legend, and custom ranges are typed in the chosen zone', async (t) => {
  const context = await newContext(t);
  if (context === null) return;
  const page = await context.newPage();
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/services/frontend`);
  const chart = page.locator('.uplot').first();
  await chart.waitFor();
  const legendTime = chart.locator('.u-legend .u-series').first();
  const zoneName = await zoneNameIn(page);
  const hoverTime = async (): Promise<string> => {
    const over = (await chart.locator('.u-over').boundingBox())!;
    await page.mouse.move(over.x + over.width * 0.9, over.y + over.height / 2);
    return (await legendTime.locator('.u-value').innerText()).trim();
  };
  assert.equal((await legendTime.locator('.u-label').innerText()).trim(), `Time (${zoneName})`);
  const local = await hoverTime();
  assert.match(local, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
  await screenshot(page, 'time-zone-chart-local');
  await chooseZone(page, 'UTC');
  await chart.locator('.u-legend').getByText('Time (UTC)').waitFor();
  const utc = await hoverTime();
  assert.equal(Date.parse(`${local.replace(' ', 'T')}Z`) - Date.parse(`${utc.replace(' ', 'T')}Z`), OFFSET_MINUTES * 60_000, `${local} local is ${utc} UTC`);
  await screenshot(page, 'time-zone-chart-utc');

  // A custom range typed in UTC goes into the link as that UTC instant; the picker names the zone.
  await page.goto(`${server!.queryUrl}/services`);
  await page.getByRole('combobox', { name: 'Time range' }).selectOption('custom');
  const from = page.locator('input[aria-label=From]');
  const to = page.locator('input[aria-label=To]');
  await from.fill('2026-01-02 03:04');
  await to.fill('2026-01-02 05:06:00');
  assert.equal(await page.locator('.range-picker .zone-note').innerText(), 'UTC');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/start=/);
  let params = new URL(page.url()).searchParams;
  assert.equal(params.get('start'), '2026-01-02T03:04:00.000Z');
  assert.equal(params.get('end'), '2026-01-02T05:06:00.000Z');
  await screenshot(page, 'time-zone-picker-utc');

  // What is not a time, or an empty range, says so and cannot be applied.
  const apply = page.getByRole('button', { name: 'Apply' });
  await to.fill('2026-01-02 05:61');
  assert.equal(await page.locator('.range-picker [role=alert]').innerText(), 'Write times as YYYY-MM-DD HH:MM:SS.');
  assert.equal(await apply.isDisabled(), true);
  await to.fill('2026-01-02 03:00');
  assert.equal(await page.locator('.range-picker [role=alert]').innerText(), 'From must be before To.');
  assert.equal(await apply.isDisabled(), true);
  await to.fill('2026-01-02 05:06');

  // Switched to local, the same bounds show on India's clock, and what is typed is read on it.
  await chooseZone(page, 'Local');
  assert.equal(await page.locator('.range-picker .zone-note').innerText(), zoneName);
  assert.equal(await from.inputValue(), '2026-01-02 08:34:00');
  assert.equal(await to.inputValue(), '2026-01-02 10:36:00');
  await from.fill('2026-01-02 09:00');
  await from.press('Enter');
  await page.waitForURL(/start=2026-01-02T03%3A30/);
  params = new URL(page.url()).searchParams;
  assert.equal(params.get('start'), '2026-01-02T03:30:00.000Z');
  assert.equal(params.get('end'), '2026-01-02T05:06:00.000Z');

  assert.deepEqual(errors, []);
  await context.close();
});
