/**
 * THE ACCURACY TEST: sampled data, weighted, must answer like the unsampled data.
 *
 * 100,000 traces with log-normal root durations (median 50 ms, sigma 1: p99 ~ 512 ms) and a 2% error
 * rate go through the TailSampler with policies errors + slow (>= 250 ms) + a 10% probabilistic baseline.
 * From the KEPT spans' weights we estimate the trace count, the error rate and the p50 / p99 of trace
 * durations (weighted nearest rank), and compare with the true values computed before sampling.
 *
 * Expected statistical error (about 93,000 "ordinary" traces, each kept with p = 0.1 and weight 10; errors
 * and slow traces are kept with weight 1, exactly):
 * - count: sd = sqrt(93,000 * 0.1 * 0.9) * 10 ~ 915, i.e. 0.92% of 100,000. Tolerance 3% (~3.3 sd).
 * - error rate: the weighted error count is exact (every error trace is kept with weight 1), so the rate's
 *   relative error is the count's: sd 0.92%. Tolerance 3%.
 * - p50: sd of the estimated CDF at the median ~ sqrt(0.25 * 9 * 93,000) / 100,000 ~ 0.0047, times
 *   d ln(x) / dF = sigma / phi(0) = 2.5 for a log-normal: ~1.2% relative. Tolerance 5% (~4 sd).
 * - p99: everything above 250 ms is kept exactly, so only the 1% tail's share of the noisy total moves
 *   the CDF: sd ~ 0.01 * 0.0092 = 9.2e-5, times sigma / phi(2.33) = 37.5: ~0.35% relative. Tolerance 2%.
 * The data are seeded, so the run is repeatable; the tolerances are set so that another seed would pass too.
 *
 * The same figures are then read back from storage: the kept spans are committed to DuckDB and the
 * query engine's weighted latency service answers the count, error rate, p50 and p99 of the root spans.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SpanRow } from '../../core/model/span.js';
import { Database } from '../../core/storage/duckdb/database.js';
import { DuckDBQueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { DuckDBTraceWriter } from '../../core/storage/duckdb/spanWriter.js';
import { latency } from '../../query/services/latency.js';
import { weightedPercentile } from '../../test/fixtures/generatedTraces.js';
import { random } from '../../test/fixtures/random.js';
import { LatencyPolicy } from './policies/latency.js';
import { ProbabilisticPolicy } from './policies/probabilistic.js';
import { StatusCodePolicy } from './policies/statusCode.js';
import { TailSampler, type Decision } from './tailSampler.js';
import { hex, span } from './testTraces.js';

const TRACES = 100_000;
const ERROR_RATE = 0.02;
const MEDIAN_MS = 50;
const SIGMA = 1;

test('weighted estimates from tail-sampled traces match the true count, error rate, p50 and p99, in memory and read back from storage', async () => {
  const rand = random(20_240_601);
  const gaussian = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
  const sampler = new TailSampler<number>({
    policies: [new StatusCodePolicy('errors'), new LatencyPolicy('slow', 250), new ProbabilisticPolicy('baseline', 0.1)],
    decisionWaitMs: 10_000,
    quietAfterRootMs: 2_000,
  });
  const truth: Array<{ d: bigint; w: number }> = [];
  let trueErrors = 0;
  const decisions: Decision<number>[] = [];
  let now = 0;
  for (let t = 0; t < TRACES; t++) {
    now = t / 2; // 2,000 traces per second
    const traceId = hex(t + 1, 16) + hex(Math.floor(rand() * 2 ** 32), 8) + hex(Math.floor(rand() * 2 ** 32), 8);
    const durationNs = BigInt(Math.max(1, Math.round(MEDIAN_MS * 1e6 * Math.exp(SIGMA * gaussian()))));
    const failed = rand() < ERROR_RATE;
    const children = 1 + Math.floor(rand() * 3);
    const start = 1_700_000_000_000_000_000n + BigInt(t) * 500_000n;
    const rows: SpanRow[] = [];
    for (let c = 0; c < children; c++) {
      rows.push(span(traceId, c + 2, { startTimeUnixNano: start + 1000n, durationNs: durationNs / 2n, statusCode: failed && c === 0 ? 2 : 0, serviceName: 'backend' }));
    }
    // Children first, then the root: the usual arrival order, exercising quiet-after-root.
    decisions.push(...sampler.add(rows, t, now));
    // A failure shows on the root too, as instrumented services propagate it.
    decisions.push(...sampler.add([span(traceId, 1, { startTimeUnixNano: start, durationNs, serviceName: 'frontend', statusCode: failed ? 2 : 0 })], t, now + 1));
    truth.push({ d: durationNs, w: 1 });
    if (failed) trueErrors++;
    if (t % 500 === 0) decisions.push(...sampler.poll(now));
  }
  decisions.push(...sampler.poll(now + 20_000));
  assert.equal(sampler.tracesPending, 0);
  assert.equal(sampler.counters.earlyDecisions, 0);
  assert.equal(decisions.length, TRACES);

  const estimate: Array<{ d: bigint; w: number }> = [];
  let weightedCount = 0;
  let weightedErrors = 0;
  for (const decision of decisions) {
    if (!decision.keep) continue;
    const root = decision.spans.find((s) => s.parentSpanId === '')!;
    assert.ok(decision.spans.every((s) => s.sampleWeight === root.sampleWeight), 'one weight per trace');
    weightedCount += root.sampleWeight;
    if (decision.spans.some((s) => s.statusCode === 2)) weightedErrors += root.sampleWeight;
    estimate.push({ d: root.durationNs, w: root.sampleWeight });
  }
  const kept = estimate.length;
  const trueP50 = Number(weightedPercentile(truth, 0.5));
  const trueP99 = Number(weightedPercentile(truth, 0.99));
  const relative = {
    count: Math.abs(weightedCount - TRACES) / TRACES,
    errorRate: Math.abs(weightedErrors / weightedCount - trueErrors / TRACES) / (trueErrors / TRACES),
    p50: Math.abs(Number(weightedPercentile(estimate, 0.5)) - trueP50) / trueP50,
    p99: Math.abs(Number(weightedPercentile(estimate, 0.99)) - trueP99) / trueP99,
  };
  console.log(
    `accuracy: kept ${kept} of ${TRACES} traces (${sampler.counters.tracesKept.get('errors')} errors, ${sampler.counters.tracesKept.get('slow')} slow, ` +
      `${sampler.counters.tracesKept.get('baseline')} baseline); relative errors: count ${pct(relative.count)} (tolerance 3%), ` +
      `error rate ${pct(relative.errorRate)} (3%), p50 ${pct(relative.p50)} (5%), p99 ${pct(relative.p99)} (2%); ` +
      `true p50 ${(trueP50 / 1e6).toFixed(1)} ms, p99 ${(trueP99 / 1e6).toFixed(1)} ms, error rate ${pct(trueErrors / TRACES)}`,
  );
  assert.ok(kept < TRACES * 0.2, `sampling kept ${kept}`);
  assert.ok(relative.count <= 0.03, `count off by ${pct(relative.count)}`);
  assert.ok(relative.errorRate <= 0.03, `error rate off by ${pct(relative.errorRate)}`);
  assert.ok(relative.p50 <= 0.05, `p50 off by ${pct(relative.p50)}`);
  assert.ok(relative.p99 <= 0.02, `p99 off by ${pct(relative.p99)}`);

  const db = await Database.open(null);
  const writer = await DuckDBTraceWriter.create(db);
  await writer.append(decisions.filter((d) => d.keep).flatMap((d) => d.spans));
  await writer.close();
  const executor = new DuckDBQueryExecutor(db, 60_000);
  const stored = await latency(executor, {
    range: { startNs: 1_700_000_000_000_000_000n, endNs: 1_700_000_000_000_000_000n + 60_000_000_000n },
    service: 'frontend',
    attributes: [],
    percentiles: [0.5, 0.99],
    stepNs: 60_000_000_000n,
  });
  executor.close();
  db.close();
  const fromStorage = {
    count: Math.abs(stored.summary.requests - TRACES) / TRACES,
    errorRate: Math.abs(stored.summary.errorRate! - trueErrors / TRACES) / (trueErrors / TRACES),
    p50: Math.abs(Number(stored.summary.percentiles.p50) - trueP50) / trueP50,
    p99: Math.abs(Number(stored.summary.percentiles.p99) - trueP99) / trueP99,
  };
  console.log(
    `accuracy read back from storage (${stored.summary.spans} root spans stored): count ${pct(fromStorage.count)}, error rate ${pct(fromStorage.errorRate)}, ` +
      `p50 ${pct(fromStorage.p50)}, p99 ${pct(fromStorage.p99)}`,
  );
  assert.equal(stored.summary.spans, kept, 'one stored root span per kept trace');
  assert.ok(fromStorage.count <= 0.03, `stored count off by ${pct(fromStorage.count)}`);
  assert.ok(fromStorage.errorRate <= 0.03, `stored error rate off by ${pct(fromStorage.errorRate)}`);
  assert.ok(fromStorage.p50 <= 0.05, `stored p50 off by ${pct(fromStorage.p50)}`);
  assert.ok(fromStorage.p99 <= 0.02, `stored p99 off by ${pct(fromStorage.p99)}`);
});

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
