/** Query latency per endpoint against a running server: each case is run `rounds` times, sequentially. */

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

/**
 * `query.<case>.p50_ms` and `.p99_ms` per case. A case the server times out (query_timeout) is reported
 * as `query.<case>.error` = 'query_timeout' after its first attempt instead of figures; any other
 * failure stops the benchmark.
 */
export async function measureQueries(port: number, cases: QueryCase[], rounds: number): Promise<Record<string, number | string>> {
  const results: Record<string, number | string> = {};
  cases: for (const c of cases) {
    const times: number[] = [];
    for (let i = 0; i < Math.max(rounds, c.minRounds ?? 0); i++) {
      const path = typeof c.path === 'string' ? c.path : c.path(i);
      const started = performance.now();
      const response = await fetch(
        `http://127.0.0.1:${port}${path}`,
        c.body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) },
      );
      const body = await response.text();
      if (response.status === 400 && body.includes('"query_timeout"')) {
        results[`query.${c.name}.error`] = 'query_timeout';
        continue cases;
      }
      if (response.status !== 200) throw new Error(`${c.name}: ${path} answered ${response.status}: ${body.slice(0, 300)}`);
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.ceil(q * times.length) - 1)]!;
    results[`query.${c.name}.p50_ms`] = Math.round(at(0.5) * 100) / 100;
    results[`query.${c.name}.p99_ms`] = Math.round(at(0.99) * 100) / 100;
  }
  return results;
}
