/**
 * The trace view in a real headless Chromium against the real server. A known two-service trace goes
 * through real OpenTelemetry SDK providers and the OTLP/HTTP protobuf exporter; the waterfall must show
 * every span at its place, the panel the clicked span's details, and collapse, find, links and the
 * critical path must behave as a user expects. A 100,000-span trace must open and scroll with only the
 * rows on screen in the DOM.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, type HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Page } from 'playwright-core';
import type { CallTree } from '../../query/services/callTree.js';
import { openBrowser, screenshot, startUiServer, stopUiServer, watchPageErrors } from '../helpers/browser.js';
import { makeSpan, postOtlp, protobufRequest, PROTOBUF, randomTraceId } from '../helpers/otlp.js';
import { getTrace, hrAdd, makeProvider, waitForStored, type ServerHandle } from '../helpers/server.js';

let server: ServerHandle | undefined;

before(async () => {
  server = await startUiServer();
});

after(() => stopUiServer(server));

interface KnownTraces {
  traceId: string;
  linkedTraceId: string;
  linkedSpanId: string;
  spans: ReadableSpan[];
}

/**
 * tv-frontend: GET /checkout → render cart (2 events), cache lookup (in parallel), POST /charge →
 * tv-backend: charge (ERROR, exception) → publish (link to the nightly trace) → consume.
 * tv-batch: a separate "nightly reconcile" trace that publish links to.
 */
async function exportKnownTraces(target: ServerHandle): Promise<KnownTraces> {
  const exporter = (): OTLPTraceExporter => new OTLPTraceExporter({ url: `${target.otlpHttpUrl}/v1/traces` });
  const frontend = makeProvider({ 'service.name': 'tv-frontend', 'service.version': '2.0.1' }, exporter());
  const backend = makeProvider({ 'service.name': 'tv-backend' }, exporter());
  const batch = makeProvider({ 'service.name': 'tv-batch' }, exporter());
  const base: HrTime = [Math.floor(Date.now() / 1000) - 60, 0];
  const at = (ms: number): HrTime => hrAdd(base, ms * 1_000_000);

  const nightly = batch.provider.getTracer('tv-batch-jobs', '1.0.0').startSpan('nightly reconcile', { kind: SpanKind.INTERNAL, startTime: at(-5000) }, ROOT_CONTEXT);
  const batchChild = batch.provider.getTracer('tv-batch-jobs').startSpan('load ledger', { startTime: at(-4900) }, trace.setSpan(ROOT_CONTEXT, nightly));
  batchChild.end(at(-4500));
  nightly.end(at(-4000));

  const web = frontend.provider.getTracer('tv-http', '0.57.0');
  const root = web.startSpan('GET /checkout', { kind: SpanKind.SERVER, startTime: at(0), attributes: { 'http.request.method': 'GET', 'http.route': '/checkout' } }, ROOT_CONTEXT);
  const rootContext = trace.setSpan(ROOT_CONTEXT, root);
  const render = web.startSpan('render cart', { startTime: at(4) }, rootContext);
  // In parallel with render cart and done before it: off the critical path.
  web.startSpan('cache lookup', { kind: SpanKind.CLIENT, startTime: at(5), attributes: { 'db.system.name': 'redis' } }, rootContext).end(at(8));
  render.addEvent('template.compiled', { 'template.name': 'cart' }, at(5));
  render.addEvent('template.rendered', at(9));
  render.end(at(10));
  const client = web.startSpan('POST /charge', { kind: SpanKind.CLIENT, startTime: at(12), attributes: { 'url.full': 'https://payments/charge' } }, rootContext);
  const remote = { traceId: client.spanContext().traceId, spanId: client.spanContext().spanId, traceFlags: TraceFlags.SAMPLED, isRemote: true };
  const payments = backend.provider.getTracer('tv-payments', '4.5.6');
  const charge = payments.startSpan(
    'charge',
    { kind: SpanKind.SERVER, startTime: at(14), attributes: { 'payment.currency': 'EUR', 'payment.amount': 19.98, 'payment.3ds': false } },
    trace.setSpanContext(ROOT_CONTEXT, remote),
  );
  charge.recordException(new Error('card declined'), at(30));
  charge.setStatus({ code: SpanStatusCode.ERROR, message: 'card declined by issuer' });
  const publish = payments.startSpan(
    'publish payment.captured',
    { kind: SpanKind.PRODUCER, startTime: at(20), links: [{ context: nightly.spanContext(), attributes: { 'link.reason': 'reconciles' } }] },
    trace.setSpan(ROOT_CONTEXT, charge),
  );
  const consume = payments.startSpan('consume payment.captured', { kind: SpanKind.CONSUMER, startTime: at(22) }, trace.setSpan(ROOT_CONTEXT, publish));
  consume.end(at(26));
  publish.end(at(28));
  charge.end(at(40));
  client.end(at(42));
  root.end(at(50));

  const spans: ReadableSpan[] = [];
  for (const provider of [frontend, backend, batch]) {
    spans.push(...(await provider.flush()));
    provider.exporter.assertAllSucceeded();
    await provider.shutdown();
  }
  return { traceId: root.spanContext().traceId, linkedTraceId: nightly.spanContext().traceId, linkedSpanId: nightly.spanContext().spanId, spans };
}

/** The waterfall's rows as the SDK spans alone say they must be: depth-first, children by start time. */
function expectedRows(spans: ReadableSpan[], traceId: string): Array<{ spanId: string; name: string; depth: number }> {
  const own = spans.filter((s) => s.spanContext().traceId === traceId);
  const startNs = (s: ReadableSpan): bigint => BigInt(s.startTime[0]) * 1_000_000_000n + BigInt(s.startTime[1]);
  const childrenOf = (parent: string | undefined) =>
    own.filter((s) => s.parentSpanContext?.spanId === parent).sort((a, b) => (startNs(a) < startNs(b) ? -1 : 1));
  const rows: Array<{ spanId: string; name: string; depth: number }> = [];
  const visit = (span: ReadableSpan, depth: number): void => {
    rows.push({ spanId: span.spanContext().spanId, name: span.name, depth });
    for (const child of childrenOf(span.spanContext().spanId)) visit(child, depth + 1);
  };
  for (const top of childrenOf(undefined)) visit(top, 0);
  return rows;
}

/** What the waterfall shows, row by row, top to bottom. */
async function shownRows(page: Page): Promise<Array<{ spanId: string; name: string; level: number; indent: number; critical: boolean; match: boolean }>> {
  return page.$$eval('[role=treeitem]', (elements) =>
    elements
      .map((row) => ({
        top: parseFloat((row as HTMLElement).style.top),
        spanId: row.getAttribute('data-span-id')!,
        name: row.querySelector('.wf-name')!.textContent!.replace(/^!/, ''),
        level: Number(row.getAttribute('aria-level')),
        indent: parseFloat(getComputedStyle(row.querySelector('.wf-label')!).paddingLeft),
        critical: row.getAttribute('data-critical') === 'true',
        match: row.getAttribute('data-match') === 'true',
      }))
      .sort((a, b) => a.top - b.top)
      .map(({ top: _top, ...rest }) => rest),
  );
}

function row(page: Page, spanId: string) {
  return page.locator(`[role=treeitem][data-span-id="${spanId}"]`);
}

test('a known trace: nesting, span details, collapse, find, critical path, keyboard and links', async (t) => {
  const chromium = await openBrowser(t);
  if (chromium === null) return;
  const known = await exportKnownTraces(server!);
  const tree = await getTrace<CallTree>(server!.queryUrl, known.traceId);
  const expected = expectedRows(known.spans, known.traceId);
  assert.equal(expected.length, 7);
  const idOf = (name: string): string => expected.find((r) => r.name === name)!.spanId;

  const page = await chromium.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/trace/${known.traceId}`);
  await row(page, expected[0]!.spanId).waitFor();

  // Every span, in depth-first order, each indented one step per level.
  const rows = await shownRows(page);
  assert.deepEqual(
    rows.map((r) => ({ spanId: r.spanId, name: r.name, depth: r.level - 1 })),
    expected,
  );
  const step = rows[1]!.indent - rows[0]!.indent;
  assert.ok(step > 0, 'children are indented');
  for (const r of rows) assert.equal(r.indent - rows[0]!.indent, (r.level - 1) * step, `indent of ${r.name}`);

  // Header: root service and operation, span count, depth, services.
  const header = page.locator('.trace-header');
  assert.match(await header.locator('h1').innerText(), /tv-frontend\s*GET \/checkout/);
  assert.equal(await header.locator('[data-fact=spans]').innerText(), '7');
  assert.equal(await header.locator('[data-fact=depth]').innerText(), '5');
  assert.equal(await header.locator('[data-fact=duration]').innerText(), '50.0ms');
  const services = await header.getByRole('list', { name: 'Services' }).locator('li').allInnerTexts();
  assert.deepEqual(services.map((text) => text.replace(/\s+/g, ' ')), ['tv-backend 3', 'tv-frontend 4']);

  // The critical path is marked on exactly the spans the API puts on it.
  const onPath = new Set(tree.spans.filter((s) => s.onCriticalPath).map((s) => s.spanId));
  assert.ok(onPath.size > 1 && onPath.size < tree.spans.length, 'the critical path is neither empty nor everything');
  assert.deepEqual(new Set(rows.filter((r) => r.critical).map((r) => r.spanId)), onPath);

  // A legend says what the outline means, and the outline covers only the stretches of a span that the
  // end of the trace waited on (ms of the 50 ms trace, from how the spans above were timed).
  assert.match(await page.locator('.wf-legend').innerText(), /Critical path/);
  const pathStretches: Record<string, Array<[number, number]>> = {
    'GET /checkout': [
      [0, 4],
      [10, 12],
      [42, 50],
    ],
    'render cart': [[4, 10]],
    'cache lookup': [],
    'POST /charge': [
      [12, 14],
      [40, 42],
    ],
    charge: [
      [14, 20],
      [28, 40],
    ],
    'publish payment.captured': [
      [20, 22],
      [26, 28],
    ],
    'consume payment.captured': [[22, 26]],
  };
  for (const [name, stretches] of Object.entries(pathStretches)) {
    const outlined = await row(page, idOf(name))
      .locator('.wf-critical')
      .evaluateAll((elements) =>
        elements.map((element) => {
          const axis = element.parentElement!.getBoundingClientRect();
          const box = element.getBoundingClientRect();
          return [((box.left - axis.left) / axis.width) * 50, ((box.right - axis.left) / axis.width) * 50];
        }),
      );
    assert.equal(outlined.length, stretches.length, `stretches outlined on ${name}`);
    outlined.forEach(([from, to], i) => {
      assert.ok(Math.abs(from! - stretches[i]![0]) < 0.3 && Math.abs(to! - stretches[i]![1]) < 0.3, `${name}: outline ${from}-${to} ms, on the path ${stretches[i]}`);
    });
  }

  // Events are marks on their span's bar.
  assert.equal(await row(page, idOf('render cart')).locator('.wf-event').count(), 2);

  // A click shows the span's details; the URL names the span.
  await row(page, idOf('charge')).click();
  const panel = page.getByRole('complementary', { name: 'Span details' });
  await panel.waitFor();
  await page.waitForURL(new RegExp(`[?&]span=${idOf('charge')}`));
  const attributes = panel.getByRole('table', { name: 'attributes', exact: true });
  assert.equal(await attributes.locator('tr', { hasText: 'payment.currency' }).locator('td').innerText(), 'EUR');
  assert.equal(await attributes.locator('tr', { hasText: 'payment.amount' }).locator('td').innerText(), '19.98');
  assert.equal(await attributes.locator('tr', { hasText: 'payment.3ds' }).locator('td').innerText(), 'false');
  const panelText = await panel.innerText();
  for (const fact of ['ERROR', 'card declined by issuer', 'SERVER', idOf('charge'), idOf('POST /charge'), 'exception', 'tv-payments', '4.5.6']) {
    assert.ok(panelText.includes(fact), `the panel shows ${fact}`);
  }
  assert.equal(await panel.getByRole('table', { name: 'resource attributes' }).locator('tr', { hasText: 'service.name' }).locator('td').innerText(), 'tv-backend');
  await screenshot(page, 'trace-view');

  // The exception's stack trace keeps its lines, in a box that scrolls.
  const exception = tree.spans.find((s) => s.name === 'charge')!.events.find((e) => e.name === 'exception')!;
  const stack = exception.attributes.find((a) => a.key === 'exception.stacktrace')!;
  assert.equal(stack.type, 'string');
  assert.ok(String(stack.value).split('\n').length > 3, 'the SDK recorded a multi-line stack');
  const stackCell = panel.getByRole('table', { name: 'attributes of event exception' }).locator('tr', { hasText: 'exception.stacktrace' }).locator('td');
  assert.equal(await stackCell.innerText(), stack.value, 'every line break kept');
  const stackBox = await stackCell.locator('pre').evaluate((element) => ({ overflowX: getComputedStyle(element).overflowX, fits: element.scrollWidth <= element.clientWidth, width: element.clientWidth }));
  assert.equal(stackBox.overflowX, 'auto', 'long lines scroll');
  const panelWidth = (await panel.boundingBox())!.width;
  assert.ok(stackBox.width < panelWidth, 'the stack stays inside the panel');
  await stackCell.locator('pre').scrollIntoViewIfNeeded();
  await screenshot(page, 'trace-view-stacktrace');

  // Collapsing POST /charge hides its subtree and only it; expanding brings it back.
  await row(page, idOf('POST /charge')).getByRole('button', { name: 'Collapse POST /charge' }).click();
  await row(page, idOf('charge')).waitFor({ state: 'detached' });
  assert.deepEqual(
    (await shownRows(page)).map((r) => r.name),
    ['GET /checkout', 'render cart', 'cache lookup', 'POST /charge'],
  );
  // It says how many spans it hides in all (charge, publish, consume), not its one child.
  const hidden = row(page, idOf('POST /charge')).locator('.wf-hidden-count');
  assert.equal(await hidden.innerText(), '+3');
  assert.equal(await hidden.getAttribute('title'), '3 spans hidden');
  await screenshot(page, 'trace-view-collapsed');
  assert.match(page.url(), new RegExp(`collapsed=${idOf('POST /charge')}`));
  await row(page, idOf('POST /charge')).getByRole('button', { name: 'Expand POST /charge' }).click();
  await row(page, idOf('consume payment.captured')).waitFor();
  assert.equal((await shownRows(page)).length, 7);

  // Find highlights the matching spans (here: a service) and jumps between them.
  await page.keyboard.press('Escape');
  await page.locator('body').press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Find spans', '"/" focuses the find box');
  await page.keyboard.type('tv-backend');
  await page.locator('.find-count').filter({ hasText: '3 matches' }).or(page.locator('.find-count').filter({ hasText: 'of 3' })).waitFor();
  assert.deepEqual(
    (await shownRows(page)).filter((r) => r.match).map((r) => r.name),
    ['charge', 'publish payment.captured', 'consume payment.captured'],
  );
  await page.keyboard.press('Enter');
  await page.waitForURL(/find=tv-backend/);
  const selectedAfterJump = await page.locator('[role=treeitem][aria-selected=true]').getAttribute('data-span-id');
  assert.equal(selectedAfterJump, idOf('publish payment.captured'), 'the next match after the selected charge');
  await page.locator('.find-count', { hasText: '2 of 3' }).waitFor();
  // key=value finds by attribute.
  await page.getByRole('searchbox', { name: 'Find spans' }).fill('http.route=/checkout');
  await page.locator('.find-count', { hasText: /^1 match$/ }).waitFor();
  assert.deepEqual((await shownRows(page)).filter((r) => r.match).map((r) => r.name), ['GET /checkout']);

  // Keyboard: rows take focus, arrows move, Enter selects, Left collapses.
  await row(page, idOf('GET /checkout')).click();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`span=${idOf('cache lookup')}`));
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowLeft');
  await row(page, idOf('charge')).waitFor({ state: 'detached' });
  await page.keyboard.press('ArrowRight');
  await row(page, idOf('charge')).waitFor();

  // A link to another trace opens it with the linked span selected.
  await row(page, idOf('publish payment.captured')).click();
  await panel.getByRole('link', { name: `trace ${known.linkedTraceId}, span ${known.linkedSpanId}` }).click();
  await page.waitForURL(new RegExp(`/trace/${known.linkedTraceId}\\?span=${known.linkedSpanId}$`));
  await page.locator('.trace-header h1', { hasText: 'nightly reconcile' }).waitFor();
  assert.equal(await page.locator('[role=treeitem][aria-selected=true]').getAttribute('data-span-id'), known.linkedSpanId);
  assert.match(await panel.locator('h2').innerText(), /nightly reconcile/);

  // Back returns to the first trace as it was left.
  await page.goBack();
  await page.locator('.trace-header h1', { hasText: 'GET /checkout' }).waitFor();

  // The service · operation column is as wide as the user drags it: names cut off at a narrow width
  // show in full at a wide one; the width survives a reload; arrow keys and a double-click work too.
  await page.goto(`${server!.queryUrl}/trace/${known.traceId}`);
  const deepest = row(page, idOf('consume payment.captured'));
  await deepest.waitFor();
  const handle = page.getByRole('separator', { name: 'Width of the service and operation column' });
  const waterfallLeft = (await page.locator('.waterfall').boundingBox())!.x;
  const columnWidth = async (): Promise<number> => (await deepest.locator('.wf-label').boundingBox())!.width;
  const nameCut = (): Promise<boolean> => deepest.locator('.wf-name').evaluate((element) => element.scrollWidth > element.clientWidth);
  const dragTo = async (x: number): Promise<void> => {
    const box = (await handle.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(waterfallLeft + x, box.y + 40, { steps: 5 });
    await page.mouse.up();
  };
  const defaultWidth = await columnWidth();
  await dragTo(200);
  assert.ok(Math.abs((await columnWidth()) - 200) <= 2, `column dragged to 200 px: ${await columnWidth()}`);
  assert.equal(await nameCut(), true, 'at 200 px the deepest name is cut off');
  await dragTo(640);
  assert.ok(Math.abs((await columnWidth()) - 640) <= 2, `column dragged to 640 px: ${await columnWidth()}`);
  assert.equal(await nameCut(), false, 'at 640 px it shows in full');
  assert.ok(Math.abs((await page.locator('.wf-axis-label').boundingBox())!.width - 640) <= 2, 'the time axis moves with the column');
  await screenshot(page, 'trace-view-wide-names');
  await page.reload();
  await deepest.waitFor();
  assert.ok(Math.abs((await columnWidth()) - 640) <= 2, 'the width survives a reload');
  await handle.focus();
  await page.keyboard.press('ArrowLeft');
  assert.ok((await columnWidth()) < 630, 'ArrowLeft narrows the column');
  await handle.dblclick();
  assert.ok(Math.abs((await columnWidth()) - defaultWidth) <= 2, 'a double-click restores the default width');

  // A narrow window stacks the panel under the waterfall.
  await page.setViewportSize({ width: 760, height: 900 });
  await page.goto(`${server!.queryUrl}/trace/${known.traceId}?span=${idOf('render cart')}`);
  await panel.waitFor();
  const waterfallBox = (await page.locator('.waterfall').boundingBox())!;
  const panelBox = (await panel.boundingBox())!;
  assert.ok(panelBox.y >= waterfallBox.y + waterfallBox.height - 1, 'the panel sits below the waterfall');
  await screenshot(page, 'trace-view-narrow');

  // Unknown trace: the view says so and names the id.
  const missing = randomTraceId();
  await page.goto(`${server!.queryUrl}/trace/${missing}`);
  const empty = page.locator('.state-empty');
  await empty.waitFor();
  assert.match(await empty.innerText(), new RegExp(`Trace not found.*${missing}`));

  assert.deepEqual(errors, []);
  await page.close();
});

test('a 100,000-span trace opens, keeps few rows in the DOM, and scrolls to its last span', async (t) => {
  const chromium = await openBrowser(t);
  if (chromium === null) return;
  const traceId = randomTraceId();
  const count = 100_000;
  const base: HrTime = [Math.floor(Date.now() / 1000) - 120, 0];
  const spanId = (i: number): string => (i + 1).toString(16).padStart(16, '0');
  // A root with 99 children, and every later span under span floor(i / 10): five levels in all.
  const parentOf = (i: number): number => (i === 0 ? -1 : i < 100 ? 0 : Math.floor(i / 10));
  const services = ['tv-gateway', 'tv-orders', 'tv-stock', 'tv-db'];
  const spans = Array.from({ length: count }, (_, i) =>
    makeSpan({
      traceId,
      spanId: spanId(i),
      parentSpanId: i === 0 ? undefined : spanId(parentOf(i)),
      name: `op ${i}`,
      service: services[i % services.length],
      kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
      startTime: hrAdd(base, i * 1_000),
      durationNs: i === 0 ? count * 1_000 : 900,
    }),
  );
  for (let i = 0; i < count; i += 5_000) {
    const response = await postOtlp(server!.otlpHttpUrl, protobufRequest(spans.slice(i, i + 5_000)), { contentType: PROTOBUF });
    assert.equal(response.status, 200, response.body.toString());
  }
  await waitForStored(server!.queryUrl, 30_000);

  // The last row in depth-first order (children by start time).
  const children: number[][] = Array.from({ length: count }, () => []);
  for (let i = 1; i < count; i++) children[parentOf(i)]!.push(i);
  let last = 0;
  let lastDepth = 0;
  while (children[last]!.length > 0) {
    last = children[last]!.at(-1)!;
    lastDepth++;
  }

  const page = await chromium.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = watchPageErrors(page);
  await page.goto(`${server!.queryUrl}/trace/${traceId}`);
  await page.locator('[data-fact=spans]').waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-fact=spans]').innerText(), '100,000');
  await row(page, spanId(0)).waitFor();
  const rendered = await page.locator('[role=treeitem]').count();
  assert.ok(rendered > 10 && rendered < 300, `${rendered} row elements in the DOM`);

  await page.locator('.wf-scroll').evaluate((element) => (element.scrollTop = element.scrollHeight));
  const lastRow = row(page, spanId(last));
  await lastRow.waitFor();
  assert.equal(await lastRow.locator('.wf-name').innerText(), `op ${last}`);
  assert.equal(await lastRow.getAttribute('aria-level'), String(lastDepth + 1));
  assert.ok((await page.locator('[role=treeitem]').count()) < 300);
  assert.ok(await lastRow.isVisible());

  // Find across all 100,000 spans, and a jump that scrolls back to the top.
  await page.getByRole('searchbox', { name: 'Find spans' }).fill('op 99999');
  await page.locator('.find-count', { hasText: /^1 match$/ }).waitFor();
  await page.getByRole('searchbox', { name: 'Find spans' }).fill('op 1');
  await page.getByRole('searchbox', { name: 'Find spans' }).press('Enter');
  await row(page, spanId(1)).waitFor();
  assert.equal(await row(page, spanId(1)).getAttribute('aria-selected'), 'true');
  await screenshot(page, 'trace-view-100k');
  assert.deepEqual(errors, []);
  await page.close();
});
