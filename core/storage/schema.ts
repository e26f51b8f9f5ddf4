/**
 * The span table layout, defined once: the writer appends columns in this order, the reader selects
 * them by these names, and the migrations build the table from this list: migration 1 creates the
 * columns of version 1, later migrations add theirs (a column added later must go at the end, and is
 * nullable with a default, as ALTER TABLE ADD COLUMN requires).
 */
import { SPAN_KIND_CLIENT, STATUS_CODE_ERROR } from '../model/span.js';
import { DURATION_BUCKET_GROWTH, MINUTE_NS, PEER_ATTRIBUTES } from './serviceCalls.js';

/** Orders a trace's spans for its root: spans without a parent first, then the earliest, then by span id. */
const ROOT_RANK = "(parent_span_id <> '', start_time, span_id)";

/**
 * The trace_summaries layout, one row per trace and write batch, defined once: the migration creates
 * the table from it and the writer fills these columns in this order.
 */
export const TRACE_SUMMARY_COLUMNS = [
  { name: 'trace_id', type: 'VARCHAR' },
  /** Earliest and latest span start. */
  { name: 'start_min', type: 'TIMESTAMP_NS' },
  { name: 'start_max', type: 'TIMESTAMP_NS' },
  /** Latest span end. */
  { name: 'end_max', type: 'TIMESTAMP_NS' },
  { name: 'span_count', type: 'UINTEGER' },
  { name: 'error_count', type: 'UINTEGER' },
  /** The batch's root candidate (ranked as ROOT_RANK ranks spans): whether it is a root span, and its fields. */
  { name: 'has_root', type: 'BOOLEAN' },
  { name: 'root_start', type: 'TIMESTAMP_NS' },
  { name: 'root_span_id', type: 'VARCHAR' },
  { name: 'root_service', type: 'VARCHAR' },
  { name: 'root_operation', type: 'VARCHAR' },
] as const;

export type TraceSummaryColumnName = (typeof TRACE_SUMMARY_COLUMNS)[number]['name'];

/**
 * trace_summaries.trace_key, computed from trace_id when a summary is written: the id's last 16 hex
 * digits as a number, random in 64- and 128-bit trace ids alike. Finding a trace compares this 8-byte
 * column and the id only where it matched: 0.9 ms instead of 3.8 with 400k summaries (10M spans).
 */
export function traceKeySql(traceId: string): string {
  return `coalesce(TRY_CAST('0x' || ${traceId}[17:32] AS UBIGINT), 0)`;
}

/** traceKeySql's value for a trace id, as the reader looks it up. */
export function traceKey(traceId: string): bigint {
  const digits = traceId.slice(16, 32);
  return /^[0-9a-fA-F]{16}$/.test(digits) ? BigInt(`0x${digits}`) : 0n;
}

/** Ranks a trace's summary rows for its root as ROOT_RANK ranks its spans. */
export const SUMMARY_ROOT_RANK = '(NOT has_root, root_start, root_span_id)';

/**
 * The service_calls layout (see serviceCalls.ts), defined once: the migration creates the table from
 * it and the writer fills these columns in this order. One row per minute (of the callee span's start),
 * edge and duration bucket, or several that add up: rows are summed when read.
 */
export const SERVICE_CALL_COLUMNS = [
  { name: 'start_minute', type: 'TIMESTAMP_NS' },
  { name: 'caller', type: 'VARCHAR' },
  { name: 'callee', type: 'VARCHAR' },
  { name: 'callee_is_peer', type: 'BOOLEAN' },
  /** Bucket b holds durations in (1.05^(b-1), 1.05^b] ns; 0 holds zero and negative ones. */
  { name: 'duration_bucket', type: 'SMALLINT' },
  /** Weighted calls, weighted failed calls, and the sum of weight × duration in ns. */
  { name: 'calls', type: 'DOUBLE' },
  { name: 'errors', type: 'DOUBLE' },
  { name: 'duration_sum', type: 'DOUBLE' },
] as const;

export type ServiceCallColumnName = (typeof SERVICE_CALL_COLUMNS)[number]['name'];

/** The attribute values each minute's spans may carry (see attributeValues.ts); a NULL value stands for any. */
export const ATTRIBUTE_VALUE_COLUMNS = [
  { name: 'start_minute', type: 'TIMESTAMP_NS' },
  { name: 'key', type: 'VARCHAR' },
  { name: 'value', type: 'VARCHAR' },
] as const;

export type AttributeValueColumnName = (typeof ATTRIBUTE_VALUE_COLUMNS)[number]['name'];

/** service_calls rows computed from stored spans, by the same rules as CallPairing; the migration fills the table with it. */
export function serviceCallsFromSpansSql(): string {
  const peer = `coalesce(${PEER_ATTRIBUTES.map((name) => `nullif(c.attributes['${name}'], '')`).join(', ')})`;
  return `WITH cross_service AS (
  SELECT p.service_name AS caller, c.service_name AS callee, false AS callee_is_peer, c.start_time, c.duration_ns AS d, c.sample_weight AS w,
    c.status_code = ${STATUS_CODE_ERROR} AS err, p.trace_id, p.span_id AS caller_span_id
  FROM spans c JOIN spans p ON p.trace_id = c.trace_id AND p.span_id = c.parent_span_id
  WHERE p.service_name <> c.service_name
),
peer_calls AS (
  SELECT c.service_name AS caller, ${peer} AS callee, true AS callee_is_peer, c.start_time, c.duration_ns AS d, c.sample_weight AS w,
    c.status_code = ${STATUS_CODE_ERROR} AS err
  FROM spans c
  ANTI JOIN cross_service x ON x.trace_id = c.trace_id AND x.caller_span_id = c.span_id
  WHERE c.kind = ${SPAN_KIND_CLIENT} AND ${peer} IS NOT NULL
),
calls AS (
  SELECT caller, callee, callee_is_peer, start_time, d, w, err FROM cross_service
  UNION ALL SELECT caller, callee, callee_is_peer, start_time, d, w, err FROM peer_calls WHERE callee <> caller
)
SELECT make_timestamp_ns(epoch_ns(start_time) // ${MINUTE_NS} * ${MINUTE_NS}) AS start_minute, caller, callee, callee_is_peer,
  CASE WHEN d <= 0 THEN 0 ELSE ceil(ln(d) / ln(${DURATION_BUCKET_GROWTH})) END AS duration_bucket,
  sum(w) AS calls, coalesce(sum(w) FILTER (WHERE err), 0) AS errors, sum(w * d) AS duration_sum
FROM calls GROUP BY ALL`;
}

const ATTRIBUTE_MAP = 'MAP(VARCHAR, VARCHAR)';

export const SPAN_COLUMNS = [
  { name: 'trace_id', type: 'VARCHAR NOT NULL' },
  { name: 'span_id', type: 'VARCHAR NOT NULL' },
  { name: 'parent_span_id', type: 'VARCHAR NOT NULL' },
  { name: 'trace_state', type: 'VARCHAR NOT NULL' },
  { name: 'flags', type: 'UINTEGER NOT NULL' },
  { name: 'name', type: 'VARCHAR NOT NULL' },
  { name: 'kind', type: 'INTEGER NOT NULL' },
  { name: 'service_name', type: 'VARCHAR NOT NULL' },
  { name: 'start_time', type: 'TIMESTAMP_NS NOT NULL' },
  { name: 'duration_ns', type: 'BIGINT NOT NULL' },
  { name: 'status_code', type: 'INTEGER NOT NULL' },
  { name: 'status_message', type: 'VARCHAR NOT NULL' },
  { name: 'attributes', type: `${ATTRIBUTE_MAP} NOT NULL` },
  { name: 'attribute_types', type: 'VARCHAR NOT NULL' },
  { name: 'dropped_attributes_count', type: 'UINTEGER NOT NULL' },
  {
    name: 'events',
    type: `STRUCT(time TIMESTAMP_NS, name VARCHAR, attributes ${ATTRIBUTE_MAP}, attribute_types VARCHAR, dropped_attributes_count UINTEGER)[] NOT NULL`,
  },
  { name: 'dropped_events_count', type: 'UINTEGER NOT NULL' },
  {
    name: 'links',
    type: `STRUCT(trace_id VARCHAR, span_id VARCHAR, trace_state VARCHAR, flags UINTEGER, attributes ${ATTRIBUTE_MAP}, attribute_types VARCHAR, dropped_attributes_count UINTEGER)[] NOT NULL`,
  },
  { name: 'dropped_links_count', type: 'UINTEGER NOT NULL' },
  { name: 'resource_attributes', type: `${ATTRIBUTE_MAP} NOT NULL` },
  { name: 'resource_attribute_types', type: 'VARCHAR NOT NULL' },
  { name: 'resource_dropped_attributes_count', type: 'UINTEGER NOT NULL' },
  { name: 'resource_schema_url', type: 'VARCHAR NOT NULL' },
  { name: 'scope_name', type: 'VARCHAR NOT NULL' },
  { name: 'scope_version', type: 'VARCHAR NOT NULL' },
  { name: 'scope_attributes', type: `${ATTRIBUTE_MAP} NOT NULL` },
  { name: 'scope_attribute_types', type: 'VARCHAR NOT NULL' },
  { name: 'scope_dropped_attributes_count', type: 'UINTEGER NOT NULL' },
  { name: 'scope_schema_url', type: 'VARCHAR NOT NULL' },
  { name: 'sample_weight', type: 'DOUBLE NOT NULL' },
  { name: 'sampling_policy', type: "VARCHAR DEFAULT ''", since: 4 },
] as const;

/**
 * Well-known attributes (OpenTelemetry semantic conventions, the older HTTP names included) that spans
 * also keep in a VARCHAR column of their own, `attr_` and the key with `_` for `.`: the value an
 * attribute filter compares, the span attribute's, else the resource attribute's. A filter on one of
 * these keys reads that column instead of both attribute maps of every span in range: at 10M spans,
 * 24 ms instead of 1.4 s, for about 0.45 bytes a span per key that spans carry (none for one they lack).
 */
export const SEARCH_ATTRIBUTE_KEYS = [
  'http.request.method',
  'http.response.status_code',
  'http.route',
  'http.method',
  'http.status_code',
  'rpc.method',
  'db.system.name',
  'error.type',
] as const;

export const SEARCH_ATTRIBUTE_COLUMNS: ReadonlyArray<{ key: string; name: string }> = SEARCH_ATTRIBUTE_KEYS.map((key) => ({
  key,
  name: `attr_${key.replaceAll('.', '_')}`,
}));

/** The value a search column holds, over a spans row (its columns unqualified). */
export function searchAttributeValueSql(key: string): string {
  return `coalesce(attributes['${key}'], resource_attributes['${key}'])`;
}

/** The migration that created a column. */
function since(column: (typeof SPAN_COLUMNS)[number]): number {
  return 'since' in column ? column.since : 1;
}

function addedColumns(version: number): string[] {
  return SPAN_COLUMNS.filter((c) => since(c) === version).map((c) => `ALTER TABLE spans ADD COLUMN ${c.name} ${c.type}`);
}

export type SpanColumnName = (typeof SPAN_COLUMNS)[number]['name'];

export const SPAN_COLUMN_NAMES: readonly SpanColumnName[] = SPAN_COLUMNS.map((c) => c.name);

/** Numbered migrations; each runs once, in order, in its own transaction, and bumps schema_version. */
export const MIGRATIONS: ReadonlyArray<{ version: number; description: string; statements: string[] }> = [
  {
    version: 1,
    description: 'spans table',
    statements: [`CREATE TABLE spans (${SPAN_COLUMNS.filter((c) => since(c) === 1).map((c) => `${c.name} ${c.type}`).join(', ')})`],
  },
  {
    version: 2,
    description: 'span_attributes and span_resource_attributes views',
    statements: [attributeView('span_attributes', 'attributes', 'attribute_types'), attributeView('span_resource_attributes', 'resource_attributes', 'resource_attribute_types')],
  },
  {
    version: 3,
    description: 'utc_now() macro',
    // start_time is a UTC TIMESTAMP_NS, which DuckDB will not compare with now()'s TIMESTAMPTZ, and
    // now()::TIMESTAMP gives the server's local wall clock. utc_now() is the current UTC time as a
    // TIMESTAMP, so `start_time > utc_now() - INTERVAL 1 HOUR` reads the last hour wherever the server runs.
    statements: ['CREATE MACRO utc_now() AS make_timestamp(epoch_us(now()))'],
  },
  {
    version: 4,
    description: 'sampling_policy column',
    statements: addedColumns(4),
  },
  {
    version: 5,
    description: 'trace_bounds table',
    // Where in time each trace's spans lie, one row per trace and write batch: reading a trace first
    // finds its bounds here (a table ~25 times smaller than spans), then scans only the row groups of
    // spans whose start_time zone maps overlap them, instead of every trace_id in the table.
    statements: [
      'CREATE TABLE trace_bounds (trace_id VARCHAR NOT NULL, start_min TIMESTAMP_NS NOT NULL, start_max TIMESTAMP_NS NOT NULL)',
      'INSERT INTO trace_bounds SELECT trace_id, min(start_time), max(start_time) FROM spans GROUP BY trace_id',
    ],
  },
  {
    version: 6,
    description: 'trace_summaries table in place of trace_bounds',
    // One row per trace and write batch: its time bounds (for reading a trace, as trace_bounds did),
    // its end, span and error counts and its best root candidate, so that search summarizes traces
    // from this table (about 25 times smaller than spans) instead of aggregating every span in range.
    statements: [
      `CREATE TABLE trace_summaries (${TRACE_SUMMARY_COLUMNS.map((c) => `${c.name} ${c.type} NOT NULL`).join(', ')})`,
      `INSERT INTO trace_summaries SELECT trace_id, min(start_time), max(start_time), max(make_timestamp_ns(epoch_ns(start_time) + duration_ns)),
        count(*), count(*) FILTER (WHERE status_code = ${STATUS_CODE_ERROR}), bool_or(parent_span_id = ''),
        ${['start_time', 'span_id', 'service_name', 'name'].map((column) => `arg_min(${column}, ${ROOT_RANK})`).join(', ')}
      FROM spans GROUP BY trace_id`,
      'DROP TABLE trace_bounds',
    ],
  },
  {
    version: 7,
    description: 'service_calls table',
    // The dependency graph, summed per minute as spans arrive, so that reading it does not join every
    // span of the range with its parent; built here once from the spans already stored.
    statements: [
      `CREATE TABLE service_calls (${SERVICE_CALL_COLUMNS.map((c) => `${c.name} ${c.type} NOT NULL`).join(', ')})`,
      `INSERT INTO service_calls ${serviceCallsFromSpansSql()}`,
    ],
  },
  {
    version: 8,
    description: 'search attribute columns',
    statements: [
      ...SEARCH_ATTRIBUTE_COLUMNS.map((c) => `ALTER TABLE spans ADD COLUMN IF NOT EXISTS ${c.name} VARCHAR`),
      `UPDATE spans SET ${SEARCH_ATTRIBUTE_COLUMNS.map((c) => `${c.name} = ${searchAttributeValueSql(c.key)}`).join(', ')}`,
    ],
  },
  {
    version: 9,
    description: 'trace_summaries.trace_key',
    statements: ['ALTER TABLE trace_summaries ADD COLUMN IF NOT EXISTS trace_key UBIGINT', `UPDATE trace_summaries SET trace_key = ${traceKeySql('trace_id')}`],
  },
  {
    version: 10,
    description: 'attribute_values table',
    // Filled as spans are written from now on, not from the spans already stored (that would read
    // every attribute map at upgrade): it answers only for times after the latest span stored before
    // it, which attribute_values_from records (in ns since the epoch; its largest row counts, should
    // the migration run again over spans written meanwhile).
    statements: [
      'CREATE TABLE IF NOT EXISTS attribute_values (start_minute TIMESTAMP_NS NOT NULL, key VARCHAR NOT NULL, value VARCHAR)',
      'CREATE TABLE IF NOT EXISTS attribute_values_from (from_ns BIGINT NOT NULL)',
      'INSERT INTO attribute_values_from SELECT coalesce(max(epoch_ns(start_time)) + 1, 0) FROM spans',
    ],
  },
];

/**
 * A view with one row per entry of an attribute map: the span's identity, the key, the value's text,
 * its OTLP type by name (the type letter at the entry's position in the types string), and typed
 * columns where the type allows. The unnests in one select list advance together, so key, value and
 * position stay aligned; filters on the span columns (service_name, start_time...) are pushed below
 * the unnest into the scan.
 */
function attributeView(view: string, map: string, types: string): string {
  const letter = 'substr(attribute_types, pos, 1)';
  return `CREATE VIEW ${view} AS
SELECT trace_id, span_id, service_name, name, start_time, key, value,
  CASE ${letter} WHEN 's' THEN 'string' WHEN 'b' THEN 'bool' WHEN 'i' THEN 'int' WHEN 'd' THEN 'double'
    WHEN 'y' THEN 'bytes' WHEN 'a' THEN 'array' WHEN 'k' THEN 'kvlist' WHEN 'n' THEN 'empty' END AS type,
  CASE WHEN ${letter} = 'i' THEN TRY_CAST(value AS BIGINT) END AS int_value,
  CASE WHEN ${letter} IN ('i', 'd') THEN TRY_CAST(value AS DOUBLE) END AS double_value,
  CASE WHEN ${letter} = 'b' THEN value = 'true' END AS bool_value
FROM (
  SELECT trace_id, span_id, service_name, name, start_time, ${types} AS attribute_types,
    unnest(map_keys(${map})) AS key, unnest(map_values(${map})) AS value, generate_subscripts(map_keys(${map}), 1) AS pos
  FROM spans
)`;
}

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
