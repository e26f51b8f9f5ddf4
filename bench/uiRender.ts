/**
 * `npm run bench:ui`: how long the trace view takes to show a 1,000-span trace. Starts the server with
 * a fresh build of the UI, ingests one trace over OTLP/HTTP protobuf, opens /trace/<id> in headless
 * Chromium several times (a new page each time, so nothing is cached in the page) and prints the
 * median time from navigation start to the first waterfall row in the DOM. A measurement, not a test.
 * `--runs N` (default 9), `--spans N` (default 1000).
 */
import { SpanKind, type HrTime } from '@opentelemetry/api';
import { findChromium, launchBrowser, startUiServer } from '../test/helpers/browser.js';
import { makeSpan, postOtlp, protobufRequest, PROTOBUF, randomTraceId } from '../test/helpers/otlp.js';
import { hrAdd, removeTempDirs, waitForStored } from '../test/helpers/server.js';

const args = process.argv.slice(2);
const valueOf = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const RUNS = Number(valueOf('--runs') ?? 9);
const SPANS = Number(valueOf('--spans') ?? 1_000);

const executable = findChromium();
if (executable === null) throw new Error('no Chromium found: install Debian chromium or set CHROMIUM_PATH');

const server = await startUiServer();
const browser = await launchBrowser(executable);
try {
  const traceId = randomTraceId();
  const base: HrTime = [Math.floor(Date.now() / 1000) - 60, 0];
  const spanId = (i: number): string => (i + 1).toString(16).padStart(16, '0');
  // A root with 20 children, each with its own subtree of a few levels: the shape of a busy request.
  const spans = Array.from({ length: SPANS }, (_, i) =>
    makeSpan({
      traceId,
      spanId: spanId(i),
      parentSpanId: i === 0 ? undefined : spanId(i <= 20 ? 0 : Math.floor((i - 1) / 4)),
      name: `operation ${i % 37}`,
      service: `service-${i % 6}`,
      kind: i === 0 ? SpanKind.SERVER : SpanKind.INTERNAL,
      startTime: hrAdd(base, i * 10_000),
      durationNs: i === 0 ? SPANS * 10_000 + 1 : 50_000,
      attributes: { 'bench.index': i, 'bench.tag': `t${i % 11}` },
    }),
  );
  const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
  if (response.status !== 200) throw new Error(`ingest answered ${response.status}: ${response.body.toString()}`);
  await waitForStored(server.queryUrl, 10_000);

  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Records, in the page's own clock (0 = navigation start), when the first row enters the DOM.
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        if (document.querySelector('[role=treeitem]')) {
          (window as unknown as { firstRowMs: number }).firstRowMs = performance.now();
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await page.goto(`${server.queryUrl}/trace/${traceId}`);
    await page.locator('[role=treeitem]').first().waitFor();
    times.push(await page.evaluate(() => (window as unknown as { firstRowMs: number }).firstRowMs));
    await page.close();
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(`trace view, ${SPANS} spans, ${RUNS} runs: time to first waterfall row (navigation start → first row in the DOM)`);
  console.log(`  median ${median.toFixed(1)} ms   min ${sorted[0]!.toFixed(1)} ms   max ${sorted.at(-1)!.toFixed(1)} ms`);
} finally {
  await browser.close();
  await server.stop();
  removeTempDirs();
}
