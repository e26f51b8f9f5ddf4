/**
 * `node --import tsx docs/screenshots.ts`: the README's screenshots, taken from `npm run demo` data in
 * headless Chromium: the trace view of a failed checkout and the frontend's service overview.
 */
import { join } from 'node:path';
import { findChromium, launchBrowser, runDemo, startUiServer } from '../test/helpers/browser.js';
import { REPO_ROOT, removeTempDirs } from '../test/helpers/server.js';

const executable = findChromium();
if (executable === null) throw new Error('no Chromium found: install Debian chromium or set CHROMIUM_PATH');
const server = await startUiServer();
const browser = await launchBrowser(executable);
try {
  await runDemo(server, 400);
  const search = (await (
    await fetch(`${server.queryUrl}/api/v1/traces?service=frontend&operation=${encodeURIComponent('POST /api/checkout')}&status=error&limit=1`)
  ).json()) as { traces: Array<{ traceId: string }> };
  const traceId = search.traces[0]?.traceId;
  if (!traceId) throw new Error('the demo sent no failed checkout');
  const trace = (await (await fetch(`${server.queryUrl}/api/v1/traces/${traceId}`)).json()) as { spans: Array<{ spanId: string; status: { code: string } }> };
  const failed = trace.spans.filter((span) => span.status.code === 'ERROR').at(-1)!;

  const page = await browser.newPage({ viewport: { width: 1400, height: 820 }, colorScheme: 'light' });
  await page.goto(`${server.queryUrl}/trace/${traceId}?span=${failed.spanId}`);
  await page.getByRole('treeitem').first().waitFor();
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'trace-view.png') });

  await page.goto(`${server.queryUrl}/services/frontend?range=15m`);
  await page.locator('.uplot').first().waitFor();
  await page.waitForTimeout(300); // the charts draw on the next frame
  await page.screenshot({ path: join(REPO_ROOT, 'docs', 'service-overview.png') });
  console.log('wrote docs/trace-view.png and docs/service-overview.png');
} finally {
  await browser.close();
  await server.stop();
  removeTempDirs();
}
