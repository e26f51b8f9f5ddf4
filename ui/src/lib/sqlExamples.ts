/** Queries to start from, after the README's SQL section; each runs as it is. */
export interface SqlExample {
  title: string;
  sql: string;
}

export const SQL_EXAMPLES: SqlExample[] = [
  {
    title: 'Spans and p99 latency per service, last hour',
    sql: `SELECT service_name, count(*) AS spans, quantile_cont(duration_ns, 0.99) / 1e6 AS p99_ms
FROM spans
WHERE start_time > utc_now() - INTERVAL 1 HOUR
GROUP BY ALL
ORDER BY spans DESC`,
  },
  {
    title: 'The slowest routes',
    sql: `SELECT value AS route, count(*) AS n, quantile_cont(s.duration_ns, 0.99) / 1e6 AS p99_ms
FROM span_attributes a JOIN spans s USING (trace_id, span_id)
WHERE a.key = 'http.route'
GROUP BY ALL
ORDER BY p99_ms DESC
LIMIT 20`,
  },
  {
    title: 'Server errors by service',
    sql: `SELECT service_name, count(*) AS errors
FROM span_attributes
WHERE key = 'http.response.status_code' AND int_value >= 500
GROUP BY ALL
ORDER BY errors DESC`,
  },
  {
    title: 'Attribute keys and their types',
    sql: `SELECT key, type, count(*) AS n
FROM span_attributes
GROUP BY ALL
ORDER BY n DESC`,
  },
  {
    title: 'Which hosts each service runs on',
    sql: `SELECT DISTINCT s.service_name, r.value AS host
FROM span_resource_attributes r JOIN spans s USING (trace_id, span_id)
WHERE r.key = 'host.name'
ORDER BY ALL`,
  },
  {
    title: 'The 20 slowest spans with errors',
    sql: `SELECT trace_id, service_name, name, duration_ns / 1e6 AS ms, status_message
FROM spans
WHERE status_code = 2
ORDER BY duration_ns DESC
LIMIT 20`,
  },
];
