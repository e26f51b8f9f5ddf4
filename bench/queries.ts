/**
 * Query latency per endpoint against a running server: each case is run `rounds` times, sequentially,
 * from a process of its own (bench/queryClient.ts) over node:http with one kept-alive connection. In the
 * benchmark's own process, which holds the load's requests, and through fetch, the client's pauses showed
 * as server latency: on one server, 100 trace reads had a p99 of 17-20 ms through fetch and 10-12 ms
 * through node:http or curl.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface QueryCase {
  name: string;
  /** A function gives each round its own path. */
  path: string | ((round: number) => string);
  /** A JSON body makes the case a POST. */
  body?: unknown;
  /** At least this many rounds, whatever the run's rounds are. */
  minRounds?: number;
}

/**
 * Rounds of the cases that read one trace. Trace by id reads another trace each round, so that few come
 * from DuckDB's cache; the Jaeger trace then reads the same traces again, in reverse order: the same
 * reads from the cache, beside them.
 */
const TRACE_ROUNDS = 100;

/** `traceIds` should come from all over the stored time range: the trace cases read a different one each round. */
export function queryCases(traceIds: string[], service: string): QueryCase[] {
  const traceId = (round: number) => traceIds[Math.floor(((round % TRACE_ROUNDS) * traceIds.length) / TRACE_ROUNDS)]!;
  return [
    { name: 'trace_by_id', path: (round) => `/api/v1/traces/${traceId(round)}`, minRounds: TRACE_ROUNDS },
    { name: 'search', path: `/api/v1/traces?service=${service}&limit=20` },
    // A well-known key, read from its own column, and a key of the application's, read from the maps.
    { name: 'search_attribute', path: `/api/v1/traces?service=${service}&attr=${encodeURIComponent('http.response.status_code>=500')}&limit=20` },
    { name: 'search_attribute_map', path: `/api/v1/traces?service=${service}&attr=${encodeURIComponent('app.attribute_0>=990')}&limit=20` },
    // Nothing matches: the search cannot stop at the newest part of the range and reads all of it.
    { name: 'search_attribute_map_no_match', path: `/api/v1/traces?service=${service}&attr=${encodeURIComponent('app.attribute_0=no-such-value')}&limit=20` },
    { name: 'search_trace_duration', path: `/api/v1/traces?minDuration=500ms&limit=20` },
    { name: 'services', path: '/api/v1/services' },
    { name: 'operations', path: `/api/v1/services/${service}/operations` },
    // As the service page asks: summary, series and the operations table.
    { name: 'latency', path: `/api/v1/latency?service=${service}&byOperation=true` },
    { name: 'latency_by_depth', path: `/api/v1/latency?service=${service}&byDepth=true` },
    { name: 'dependencies', path: '/api/v1/dependencies' },
    {
      name: 'sql_aggregate',
      path: '/api/v1/sql',
      body: { sql: "SELECT service_name, count(*) AS spans, quantile_cont(duration_ns, 0.99) AS p99 FROM spans WHERE start_time > utc_now() - INTERVAL 1 HOUR GROUP BY ALL" },
    },
    { name: 'jaeger_search', path: `/api/traces?service=${service}&lookback=1h&limit=20` },
    { name: 'jaeger_trace', path: (round) => `/api/traces/${traceId(TRACE_ROUNDS - 1 - round)}`, minRounds: TRACE_ROUNDS },
  ];
}

/** One case's requests, in order: what the query client process is given. */
export interface QueryPlan {
  name: string;
  paths: string[];
  body?: unknown;
}

export function planQueries(cases: QueryCase[], rounds: number): QueryPlan[] {
  return cases.map((c) => ({
    name: c.name,
    paths: Array.from({ length: Math.max(rounds, c.minRounds ?? 0) }, (_, i) => (typeof c.path === 'string' ? c.path : c.path(i))),
    ...(c.body === undefined ? {} : { body: c.body }),
  }));
}

/**
 * `query.<case>.p50_ms` and `.p99_ms` per case, measured by a query client process. A case the server
 * times out (query_timeout) is reported as `query.<case>.error` = 'query_timeout' after its first
 * attempt instead of figures; any other failure stops the benchmark.
 */
export async function measureQueries(port: number, cases: QueryCase[], rounds: number): Promise<Record<string, number | string>> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/queryClient.ts', '--port', String(port)], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(JSON.stringify(planQueries(cases, rounds)));
  const [code] = await once(child, 'close');
  if (code !== 0) throw new Error(`query client exited with ${code}: ${stderr.trim()}`);
  return JSON.parse(stdout) as Record<string, number | string>;
}

/** Runs the plans one request at a time; see measureQueries. */
export async function timeQueries(port: number, plans: QueryPlan[]): Promise<Record<string, number | string>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const results: Record<string, number | string> = {};
  try {
    plans: for (const plan of plans) {
      const times: number[] = [];
      for (const path of plan.paths) {
        const started = performance.now();
        const response = await request(agent, port, path, plan.body);
        if (response.status === 400 && response.body.includes('"query_timeout"')) {
          results[`query.${plan.name}.error`] = 'query_timeout';
          continue plans;
        }
        if (response.status !== 200) throw new Error(`${plan.name}: ${path} answered ${response.status}: ${response.body.slice(0, 300)}`);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
      results[`query.${plan.name}.p50_ms`] = Math.round(at(0.5) * 100) / 100;
      results[`query.${plan.name}.p99_ms`] = Math.round(at(0.99) * 100) / 100;
    }
  } finally {
    agent.destroy();
  }
  return results;
}

/** GET `path`, or POST `body` as JSON when there is one; the whole answer read. */
function request(agent: http.Agent, port: number, path: string, body: unknown): Promise<{ status: number; body: string }> {
  const json = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, agent, method: json === undefined ? 'GET' : 'POST', headers: json === undefined ? {} : { 'content-type': 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(json);
  });
}
