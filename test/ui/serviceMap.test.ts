/**
 * The service map in a real headless Chromium against the real server filled by `npm run demo`: it
 * draws the web shop's calls (as the demo's structure implies and /api/v1/dependencies reports them)
 * with the API's counts, peers drawn apart, and a service opens its overview by click or by Enter.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { DependencyEdge } from '../../query/services/dependencies.js';
import { formatCount } from '../../ui/src/lib/format.js';
import { openBrowser, runDemo, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { getJson, type ServerHandle } from '../helpers/server.js';

// demo/shop.ts: frontend → cart → inventory, frontend → checkout → cart / inventory / payment, payment →
// the card gateway, and the datastores each service talks to.
const SHOP_EDGES = [
  'cart→inventory',
  'cart→postgresql',
  'cart→redis',
  'checkout→cart',
  'checkout→inventory',
  'checkout→payment',
  'checkout→postgresql',
  'frontend→cart',
  'frontend→checkout',
  'frontend→redis',
  'inventory→postgresql',
  'payment→card-gateway',
  'payment→postgresql',
];
const PEERS = ['card-gateway', 'postgresql', 'redis'];
const SERVICES = ['cart', 'checkout', 'frontend', 'inventory', 'payment'];

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
  await runDemo(server, 200);
});

after(() => stopUiServer(server));

interface DrawnEdge {
  key: string;
  calls: number;
  health: string;
}

async function drawnEdges(page: Page): Promise<DrawnEdge[]> {
  const edges = await page.$$eval('svg.service-map path.map-edge', (paths) =>
    paths.map((p) => ({ key: `${p.getAttribute('data-caller')}→${p.getAttribute('data-callee')}`, calls: Number(p.getAttribute('data-calls')), health: p.getAttribute('data-health') ?? '' })),
  );
  return edges.sort((a, b) => (a.key < b.key ? -1 : 1));
}

test('the map draws the shop’s calls with the API’s figures, and a service opens its overview', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const api = await getJson<{ edges: DependencyEdge[] }>(`${server!.queryUrl}/api/v1/dependencies`);
  assert.equal(api.status, 200);
  const apiEdges = new Map(api.body.edges.map((e) => [`${e.caller}→${e.callee}`, e]));
  assert.deepEqual([...apiEdges.keys()].sort(), SHOP_EDGES);

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/map`);
  await page.locator('svg.service-map').waitFor();

  // The arrows: one per call relation, with the API's counts.
  const drawn = await drawnEdges(page);
  assert.deepEqual(
    drawn.map((e) => e.key),
    SHOP_EDGES,
  );
  for (const edge of drawn) assert.equal(edge.calls, apiEdges.get(edge.key)!.callCount, edge.key);

  // The labels on them read the same counts.
  const labels = await page.$$eval('svg.service-map g.map-edge-label', (groups) =>
    groups.map((g) => ({ key: `${g.getAttribute('data-caller')}→${g.getAttribute('data-callee')}`, text: g.querySelector('text')!.textContent ?? '' })),
  );
  assert.equal(labels.length, SHOP_EDGES.length);
  for (const label of labels) {
    const edge = apiEdges.get(label.key)!;
    assert.ok(label.text.startsWith(`${formatCount(edge.callCount)} call`), `${label.key}: ${label.text}`);
    assert.match(label.text, /p50 .+ · p99 /);
  }

  // Services and peers: the peers are drawn apart and are not links.
  const nodes = await page.$$eval('svg.service-map g.map-node', (groups) => groups.map((g) => [g.getAttribute('data-service'), g.getAttribute('data-peer'), g.getAttribute('role')]));
  assert.deepEqual(
    nodes.filter(([, peer]) => peer === 'true').map(([name, , role]) => [name, role]),
    PEERS.map((name) => [name, 'img']),
  );
  assert.deepEqual(
    nodes.filter(([, peer]) => peer === 'false').map(([name, , role]) => [name, role]),
    SERVICES.map((name) => [name, 'link']),
  );

  // The edge table says the same.
  const rows = await page.$$eval('table.dependency-table tbody tr', (trs) =>
    trs.map((tr) => [`${tr.getAttribute('data-caller')}→${tr.getAttribute('data-callee')}`, tr.querySelector('[data-column="calls"]')!.textContent]),
  );
  assert.deepEqual(
    rows,
    api.body.edges.map((e) => [`${e.caller}→${e.callee}`, formatCount(e.callCount)]),
  );

  // The SVG fits its container: no horizontal scrolling of the page.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0);
  await screenshot(page, 'service-map');

  await page.locator('svg.service-map g.map-node[data-service="cart"]').click();
  await page.waitForURL(/\/services\/cart$/);
  await page.goBack();
  await page.locator('svg.service-map g.map-node[data-service="checkout"]').focus();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/services\/checkout$/);
  assert.deepEqual(errors, []);
  await page.close();

  const dark = await browser.newPage({ colorScheme: 'dark', viewport: { width: 1400, height: 900 } });
  await dark.goto(`${server!.queryUrl}/map?range=6h`);
  await dark.locator('svg.service-map').waitFor();
  assert.equal(await dark.getByRole('combobox', { name: 'Time range' }).inputValue(), '6h');
  assert.equal((await drawnEdges(dark)).length, SHOP_EDGES.length);
  await screenshot(dark, 'service-map-dark');
  await dark.close();
});

test('a range without calls says so, and a range the server refuses shows its message', async (t) => {
  const browser = await openBrowser(t);
  if (browser === null) return;
  const page = await browser.newPage();
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/map?range=custom&start=2001-01-01T00:00:00.000Z&end=2001-01-01T01:00:00.000Z`);
  await page.getByText('No calls between services in this range').waitFor();
  assert.equal(await page.locator('svg.service-map').count(), 0);

  // Wider than the server's maxQueryRangeHours (a week by default).
  await page.goto(`${server!.queryUrl}/map?range=custom&start=2001-01-01T00:00:00.000Z&end=2002-01-01T00:00:00.000Z`);
  const alert = page.getByRole('alert');
  await alert.waitFor();
  assert.match(await alert.innerText(), /Could not load the service dependencies \(400 /);
  assert.deepEqual(errors, []);
  await page.close();
});
