/** The benchmark harness runs end to end on a small load and writes every figure the README reports. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const REQUIRED = [
  'ingest.http_protobuf.spans_per_sec',
  'ingest.http_json.spans_per_sec',
  'ingest.grpc.spans_per_sec',
  'ingest.http_protobuf.p99_ms',
  'ingest.http_protobuf_no_wal.spans_per_sec',
  'ingest.http_protobuf.ratio_to_ceiling',
  'wal.compression_ratio',
  'ceilings.duckdb_append.spans_per_sec',
  'ceilings.duckdb_append.cpu_sec_per_million_spans',
  'ceilings.http_noop.spans_per_sec',
  'ceilings.decode.spans_per_sec',
  'storage.bytes_per_span',
  'storage.otlp_protobuf_bytes_per_span',
  'storage.gzip_bytes_per_span',
  'storage.lz4_bytes_per_span',
  'server.peak_rss_mb',
  'server.cpu_sec_per_million_spans',
  'server.memory_limit_mb',
  'server.http_protobuf.memory_in_use_peak_mb',
  'server.overload_x8.memory_in_use_peak_mb',
  'ingest.overload_x8.spans_per_sec',
  'server.overload_x8_limit_256.memory_in_use_peak_mb',
  'ingest.overload_x8_limit_256.spans_per_sec',
  ...['trace_by_id', 'search', 'search_attribute', 'search_attribute_map', 'search_attribute_map_no_match', 'latency', 'latency_by_depth', 'dependencies', 'sql_aggregate'].flatMap((c) => [`query.${c}.p50_ms`, `query.${c}.p99_ms`]),
];

test('npm run bench on 1,500 spans per transport stores them all and writes every figure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ducktrace-bench-smoke-'));
  try {
    const out = join(dir, 'latest.json');
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/ingest.ts', '--spans', '1500', '--rounds', '2', '--scale', '0', '--out', out], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    const { results } = JSON.parse(readFileSync(out, 'utf8')) as { results: Record<string, number> };
    assert.equal(results.spans_stored, 6000, 'the three transports and the overload case, 1,500 spans each');
    for (const key of REQUIRED) assert.ok(Number.isFinite(results[key]) && results[key]! > 0, `${key} = ${results[key]}`);
    assert.ok(results['storage.lz4_bytes_per_span']! < results['storage.otlp_protobuf_bytes_per_span']!, 'lz4 shrinks the requests');
    assert.match(run.stdout, /ceiling min\(DuckDB append \d+, HTTP no-op \d+\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm run bench:writer writes the spans through the writer alone and prints its rate and CPU; a bad option is refused by name', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/writerAlone.ts', '--spans', '3000', '--batch', '1000', '--connections', '2', '--empty-resources'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /^3000 spans in batches of 1000 on 2 connections, resources emptied: \d+ spans\/s, \d+\.\d CPU-s a million spans$/m);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'bench/writerAlone.ts', '--batch', '0'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--batch takes a whole number above 0, not 0/);
});
