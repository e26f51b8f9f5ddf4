/**
 * Configuration reload of the real server process: the config file is re-read when it changes (polled
 * every 500 ms) and on SIGHUP. A good file applies at once to head sampling ("configuration reloaded" on
 * the log); a bad one is refused with a warning naming the key, and the previous configuration
 * stays in force. Traces held by the tail sampler survive a reload and are decided by the new policies.
 */
import assert from 'node:assert/strict';
import { renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { grpcExport, makeTrace, postOtlp, PROTOBUF, protobufRequest } from '../helpers/otlp.js';
import { fetchMetrics, labelledMetricValue, logMessages, makeTempDir, metricValue, removeTempDirs, sqlRows, startServer, waitFor, waitForStored, type ServerHandle } from '../helpers/server.js';

const servers: ServerHandle[] = [];
after(async () => {
  for (const server of servers) await server.stop('SIGKILL').catch(() => undefined);
  removeTempDirs();
});

async function storedSpans(server: ServerHandle): Promise<number> {
  return Number((await sqlRows(server, 'SELECT count(*) FROM spans'))[0]![0]);
}

/** Exports `traces` traces of 3 spans (HTTP protobuf, and one over gRPC); every export must be answered 200 / OK. */
async function exportTraces(server: ServerHandle, traces: number, service: string): Promise<ReadableSpan[][]> {
  const batches = Array.from({ length: traces }, () => makeTrace(undefined, 2, service));
  await Promise.all(
    batches.map(async (spans, i) => {
      if (i === 0) {
        const result = await grpcExport(server.otlpGrpcAddress, protobufRequest(spans));
        assert.equal(result.error, null, result.error?.message);
      } else {
        const response = await postOtlp(server.otlpHttpUrl, protobufRequest(spans), { contentType: PROTOBUF });
        assert.equal(response.status, 200, response.body.toString());
      }
    }),
  );
  return batches;
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** Waits for the n-th occurrence of `needle` in what `read` returns. */
async function waitForLine(read: () => string, needle: string, n: number, what: string): Promise<void> {
  await waitFor(async () => (occurrences(read(), needle) >= n ? true : undefined), `${what} (occurrence ${n} of "${needle}")`, 5_000, 20);
}

/** A modification time (whole seconds, so exactly representable) for `replaceWithMtime`. */
const FIXED_MTIME_S = 1_000_000_000;

/**
 * Replaces the file atomically with `text` whose modification time is `mtimeS`. The file watcher compares
 * mtimes, so replacing a file that already has `mtimeS` goes unnoticed: only a SIGHUP makes the server read it.
 */
function replaceWithMtime(file: string, text: string, mtimeS: number): void {
  const next = `${file}.next`;
  writeFileSync(next, text);
  utimesSync(next, mtimeS, mtimeS);
  renameSync(next, file);
}

describe('head sampling ratio changed by editing the file and by SIGHUP', () => {
  test('ratio 0 drops new exports (still answered 200), bad files are refused naming the key, SIGHUP restores ratio 1', async () => {
    const configFile = join(makeTempDir('ducktrace-reload-config-'), 'ducktrace.yaml');
    writeFileSync(configFile, 'sampling:\n  head:\n    ratio: 1\n');
    const server = await startServer({ env: { DUCKTRACE_CONFIG: configFile } });
    servers.push(server);
    const stdout = (): string => server.stdout();
    const warnings = (): string => logMessages(server.stdout(), ['warn']);
    const reloaded = `ducktrace: configuration reloaded (${configFile} changed)`;
    const refused = `ducktrace: configuration reload (${configFile} changed) refused, the previous configuration stays in force: `;

    // Ratio 1: everything is stored.
    await exportTraces(server, 5, 'reload-keep');
    await waitForStored(server.queryUrl);
    assert.equal(await storedSpans(server), 15);

    // Ratio 0 by editing the file: answered 200, counted as dropped by head sampling, not stored.
    writeFileSync(configFile, 'sampling:\n  head:\n    ratio: 0\n');
    await waitForLine(stdout, reloaded, 1, 'the edited file to be reloaded');
    const before = await fetchMetrics(server);
    await exportTraces(server, 4, 'reload-drop');
    const afterDrop = await fetchMetrics(server);
    assert.equal(labelledMetricValue(afterDrop, 'ducktrace_head_sampling_spans_total', { decision: 'dropped' }) - labelledMetricValue(before, 'ducktrace_head_sampling_spans_total', { decision: 'dropped' }), 12);
    assert.equal(metricValue(afterDrop, 'ducktrace_spans_accepted_total'), metricValue(before, 'ducktrace_spans_accepted_total'), 'nothing accepted');
    await new Promise((resolve) => setTimeout(resolve, 300)); // several flush intervals
    assert.equal(await storedSpans(server), 15, 'nothing new stored while the ratio is 0');

    // A ratio out of range: refused, named, and ratio 0 stays in force.
    writeFileSync(configFile, 'sampling:\n  head:\n    ratio: 2\n');
    await waitForLine(warnings, refused, 1, 'the bad ratio to be refused');
    assert.match(warnings(), /refused, the previous configuration stays in force: .*sampling\.head\.ratio=2: expected a number from 0 to 1/);
    // An unknown policy type: refused, named. (Its mtime is fixed for the SIGHUP step below.)
    replaceWithMtime(configFile, 'sampling:\n  head:\n    ratio: 1\n  tail:\n    enabled: true\n    policies:\n      - { name: maybe, type: sometimes }\n', FIXED_MTIME_S);
    await waitForLine(warnings, refused, 2, 'the unknown policy type to be refused');
    assert.match(warnings(), /refused, the previous configuration stays in force: .*sampling\.tail\.policies\[0\]\.type="sometimes": expected one of /);
    assert.equal(occurrences(stdout(), 'configuration reloaded'), 1, `a refused file is not reported as reloaded:\n${stdout()}`);
    const beforeStill = await fetchMetrics(server);
    await exportTraces(server, 2, 'reload-still-dropped');
    assert.equal(labelledMetricValue(await fetchMetrics(server), 'ducktrace_head_sampling_spans_total', { decision: 'dropped' }) - labelledMetricValue(beforeStill, 'ducktrace_head_sampling_spans_total', { decision: 'dropped' }), 6);
    assert.equal(await storedSpans(server), 15, 'the previous configuration (ratio 0) is still in force');

    // A good file the watcher does not notice (same mtime) changes nothing until SIGHUP.
    replaceWithMtime(configFile, 'sampling:\n  head:\n    ratio: 1\n', FIXED_MTIME_S);
    assert.equal(statSync(configFile).mtimeMs, FIXED_MTIME_S * 1000);
    await new Promise((resolve) => setTimeout(resolve, 700)); // more than one poll of the watcher
    assert.equal(occurrences(stdout(), 'configuration reloaded'), 1, `no reload without a change of mtime:\n${stdout()}`);
    const beforeHup = await fetchMetrics(server);
    await exportTraces(server, 1, 'reload-before-hup');
    assert.equal(labelledMetricValue(await fetchMetrics(server), 'ducktrace_head_sampling_spans_total', { decision: 'dropped' }) - labelledMetricValue(beforeHup, 'ducktrace_head_sampling_spans_total', { decision: 'dropped' }), 3);

    process.kill(server.pid, 'SIGHUP');
    await waitForLine(stdout, 'ducktrace: configuration reloaded (SIGHUP)', 1, 'SIGHUP to reload the file');
    await exportTraces(server, 3, 'reload-after-hup');
    await waitForStored(server.queryUrl);
    assert.equal(await storedSpans(server), 24, 'exports are stored again after SIGHUP');
    const services = await sqlRows(server, 'SELECT DISTINCT service_name FROM spans ORDER BY 1');
    assert.deepEqual(services, [['reload-after-hup'], ['reload-keep']]);
    assert.equal(server.stdout().includes('"stack"'), false, `no stack trace:\n${server.stdout()}`);
    assert.equal(server.stderr(), '');

    const exit = await server.stop();
    assert.equal(exit.code, 0, exit.stderr);
  });
});

describe('tail sampling policies changed while traces are pending', () => {
  test('pending traces survive the reload and are decided by the new policies and wait', async () => {
    const configFile = join(makeTempDir('ducktrace-reload-config-'), 'ducktrace.yaml');
    // Before the reload: nothing would be decided within a minute, and then everything dropped.
    writeFileSync(
      configFile,
      'sampling:\n  tail:\n    enabled: true\n    decisionWaitMs: 60000\n    quietAfterRootMs: 60000\n    policies:\n      - { name: drop-all, type: never_sample }\n',
    );
    const server = await startServer({ env: { DUCKTRACE_CONFIG: configFile } });
    servers.push(server);

    const batches = await exportTraces(server, 4, 'reload-tail');
    const pending = await fetchMetrics(server);
    assert.equal(metricValue(pending, 'ducktrace_tail_sampling_traces_pending'), 4);
    assert.equal(metricValue(pending, 'ducktrace_tail_sampling_spans_pending'), 12);

    writeFileSync(
      configFile,
      'sampling:\n  tail:\n    enabled: true\n    decisionWaitMs: 400\n    quietAfterRootMs: 200\n    policies:\n      - { name: keep-all, type: always_sample }\n',
    );
    await waitForLine(() => server.stdout(), `ducktrace: configuration reloaded (${configFile} changed)`, 1, 'the new policies to be loaded');
    // Decided by the new policies (kept by keep-all) and the new wait; nothing dropped by drop-all.
    await waitFor(
      async () => {
        const text = await fetchMetrics(server);
        return metricValue(text, 'ducktrace_tail_sampling_traces_pending') === 0 && metricValue(text, 'ducktrace_spans_stored_total') >= 12 ? text : undefined;
      },
      'the pending traces to be decided and stored',
      5_000,
      50,
    );
    const text = await fetchMetrics(server);
    assert.equal(labelledMetricValue(text, 'ducktrace_tail_sampling_traces_total', { decision: 'kept', policy: 'keep-all' }), 4);
    assert.equal(labelledMetricValue(text, 'ducktrace_tail_sampling_traces_total', { decision: 'dropped', policy: '' }), 0);
    const rows = await sqlRows(server, 'SELECT trace_id, count(*), min(sampling_policy), max(sampling_policy) FROM spans GROUP BY trace_id ORDER BY trace_id');
    const expected = batches.map((spans) => [spans[0]!.spanContext().traceId, '3', 'keep-all', 'keep-all']).sort((a, b) => a[0]!.localeCompare(b[0]!));
    assert.deepEqual(rows, expected);

    const exit = await server.stop();
    assert.equal(exit.code, 0, exit.stderr);
  });
});
