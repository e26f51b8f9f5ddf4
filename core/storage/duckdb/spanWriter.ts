/**
 * Writes span rows to the spans table with one prepared INSERT per batch whose parameters are the
 * batch's columns as JSON text: DuckDB parses them natively (from_json) and builds the rows itself;
 * a summary of each of the batch's traces goes to trace_summaries in the same transaction.
 * Measured against an appender fed value by value, this is faster (a few calls across the native
 * boundary per batch instead of one per string) and runs off the event loop, where the appender's
 * flush blocked it; see `npm run bench` (ceilings.duckdb_append).
 */
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { STATUS_CODE_ERROR, type Attributes, type SpanRow } from '../../model/span.js';
import { SPAN_COLUMNS, TRACE_SUMMARY_COLUMNS, type TraceSummaryColumnName } from '../schema.js';
import type { TraceWriter } from '../types.js';
import type { Database } from './database.js';

type ColumnName = (typeof SPAN_COLUMNS)[number]['name'];

/**
 * How one column travels: its parameters' JSON types (as from_json takes them), how a batch becomes
 * those JSON texts, and the expression that turns the parsed parameters (named p0, p1, ...) into the
 * column's value.
 */
interface ColumnEncoding {
  jsonTypes: string[];
  encode(rows: readonly SpanRow[]): string[];
  /** `$` stands for the first parameter's name, `$1` for the second. */
  expression?: string;
}

/**
 * JSON.stringify writes a lone UTF-16 surrogate (possible in strings from OTLP/JSON) as an escape that
 * DuckDB's JSON parser refuses; it becomes U+FFFD, as any UTF-8 encoder would make it. A preceding
 * backslash counts only when it is not itself escaped.
 */
const LONE_SURROGATE_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\ud[89a-f][0-9a-f]{2}/gi;

function json(value: unknown): string {
  const text = JSON.stringify(value);
  return text.includes('\\ud') || text.includes('\\uD') ? text.replace(LONE_SURROGATE_ESCAPE, '\\ufffd') : text;
}

const strings = (value: (row: SpanRow) => string): ColumnEncoding => ({ jsonTypes: ['"VARCHAR"'], encode: (rows) => [json(rows.map(value))] });
/** Integers (bigint included) and finite doubles: their decimal text is valid JSON. */
const numbers = (type: string, value: (row: SpanRow) => number | bigint): ColumnEncoding => ({ jsonTypes: [`"${type}"`], encode: (rows) => [`[${rows.map(value).join(',')}]`] });
/** A MAP(VARCHAR, VARCHAR) from two parallel lists, keys and values. */
const attributeMap = (attributes: (row: SpanRow) => Attributes): ColumnEncoding => ({
  jsonTypes: ['["VARCHAR"]', '["VARCHAR"]'],
  encode: (rows) => [json(rows.map((r) => attributes(r).keys)), json(rows.map((r) => attributes(r).values))],
  expression: 'map($, $1)',
});
/** A list of structs as JSON objects with short keys; `fields` maps each struct field to its expression over `e`. */
const structList = (jsonType: string, encodeOne: (row: SpanRow) => string, fields: string): ColumnEncoding => ({
  jsonTypes: [`[${jsonType}]`],
  encode: (rows) => [`[${rows.map(encodeOne).join(',')}]`],
  expression: `list_transform($, e -> {${fields}})`,
});
const attributeJson = (a: Attributes): string => `"k":${json(a.keys)},"v":${json(a.values)},"y":${json(a.types)}`;

const ENCODINGS: Record<ColumnName, ColumnEncoding> = {
  trace_id: strings((r) => r.traceId),
  span_id: strings((r) => r.spanId),
  parent_span_id: strings((r) => r.parentSpanId),
  trace_state: strings((r) => r.traceState),
  flags: numbers('UINTEGER', (r) => r.flags),
  name: strings((r) => r.name),
  kind: numbers('INTEGER', (r) => r.kind),
  service_name: strings((r) => r.serviceName),
  start_time: { ...numbers('BIGINT', (r) => r.startTimeUnixNano), expression: 'make_timestamp_ns($)' },
  duration_ns: numbers('BIGINT', (r) => r.durationNs),
  status_code: numbers('INTEGER', (r) => r.statusCode),
  status_message: strings((r) => r.statusMessage),
  attributes: attributeMap((r) => r.attributes),
  attribute_types: strings((r) => r.attributes.types),
  dropped_attributes_count: numbers('UINTEGER', (r) => r.droppedAttributesCount),
  events: structList(
    '{"t":"BIGINT","n":"VARCHAR","k":["VARCHAR"],"v":["VARCHAR"],"y":"VARCHAR","d":"UINTEGER"}',
    (r) => `[${r.events.map((e) => `{"t":${e.timeUnixNano},"n":${json(e.name)},${attributeJson(e.attributes)},"d":${e.droppedAttributesCount}}`).join(',')}]`,
    `'time': make_timestamp_ns(e.t), 'name': e.n, 'attributes': map(e.k, e.v), 'attribute_types': e.y, 'dropped_attributes_count': e.d`,
  ),
  dropped_events_count: numbers('UINTEGER', (r) => r.droppedEventsCount),
  links: structList(
    '{"t":"VARCHAR","s":"VARCHAR","ts":"VARCHAR","f":"UINTEGER","k":["VARCHAR"],"v":["VARCHAR"],"y":"VARCHAR","d":"UINTEGER"}',
    (r) =>
      `[${r.links.map((l) => `{"t":${json(l.traceId)},"s":${json(l.spanId)},"ts":${json(l.traceState)},"f":${l.flags},${attributeJson(l.attributes)},"d":${l.droppedAttributesCount}}`).join(',')}]`,
    `'trace_id': e.t, 'span_id': e.s, 'trace_state': e.ts, 'flags': e.f, 'attributes': map(e.k, e.v), 'attribute_types': e.y, 'dropped_attributes_count': e.d`,
  ),
  dropped_links_count: numbers('UINTEGER', (r) => r.droppedLinksCount),
  resource_attributes: attributeMap((r) => r.resourceAttributes),
  resource_attribute_types: strings((r) => r.resourceAttributes.types),
  resource_dropped_attributes_count: numbers('UINTEGER', (r) => r.resourceDroppedAttributesCount),
  resource_schema_url: strings((r) => r.resourceSchemaUrl),
  scope_name: strings((r) => r.scopeName),
  scope_version: strings((r) => r.scopeVersion),
  scope_attributes: attributeMap((r) => r.scopeAttributes),
  scope_attribute_types: strings((r) => r.scopeAttributes.types),
  scope_dropped_attributes_count: numbers('UINTEGER', (r) => r.scopeDroppedAttributesCount),
  scope_schema_url: strings((r) => r.scopeSchemaUrl),
  sample_weight: numbers('DOUBLE', (r) => r.sampleWeight),
  sampling_policy: strings((r) => r.samplingPolicy),
};

/** The INSERT for SPAN_COLUMNS: every parameter unnested in step (one row per span), then each column built. */
export function insertSql(): string {
  const unnested: string[] = [];
  const values: string[] = [];
  for (const column of SPAN_COLUMNS) {
    const encoding = ENCODINGS[column.name];
    const names = encoding.jsonTypes.map((jsonType) => {
      const name = `p${unnested.length}`;
      unnested.push(`unnest(from_json($${unnested.length + 1}::VARCHAR, '[${jsonType}]')) AS ${name}`);
      return name;
    });
    values.push((encoding.expression ?? '$').replace(/\$(\d?)/g, (_, i: string) => names[i === '' ? 0 : Number(i)]!));
  }
  const columns = SPAN_COLUMNS.map((c) => `"${c.name}"`).join(', ');
  return `INSERT INTO spans (${columns}) SELECT ${values.join(', ')} FROM (SELECT ${unnested.join(', ')})`;
}

interface Slot {
  connection: DuckDBConnection;
  insert: DuckDBPreparedStatement;
  insertSummaries: DuckDBPreparedStatement;
}

// Timestamps travel as unix nanoseconds (BIGINT), as span start times do.
const INSERT_SUMMARIES_SQL = `INSERT INTO trace_summaries (${TRACE_SUMMARY_COLUMNS.map((c) => c.name).join(', ')})
SELECT ${TRACE_SUMMARY_COLUMNS.map((c) => (c.type === 'TIMESTAMP_NS' ? `make_timestamp_ns(${c.name})` : c.name)).join(', ')}
FROM (SELECT ${TRACE_SUMMARY_COLUMNS.map((c, i) => `unnest(from_json($${i + 1}::VARCHAR, '["${c.type === 'TIMESTAMP_NS' ? 'BIGINT' : c.type}"]')) AS ${c.name}`).join(', ')})`;

interface TraceSummary {
  startMin: bigint;
  startMax: bigint;
  endMax: bigint;
  spanCount: number;
  errorCount: number;
  /** The span that stands for the trace's root in this batch: a root span if there is one, else the earliest. */
  root: SpanRow;
}

/** Ranks root candidates as the query side does: spans without a parent first, then the earliest, then by span id. */
function isBetterRoot(span: SpanRow, than: SpanRow): boolean {
  const isRoot = span.parentSpanId === '';
  if (isRoot !== (than.parentSpanId === '')) return isRoot;
  if (span.startTimeUnixNano !== than.startTimeUnixNano) return span.startTimeUnixNano < than.startTimeUnixNano;
  return span.spanId < than.spanId;
}

/** One summary per trace of the batch, as a JSON list per trace_summaries column (the parameters of INSERT_SUMMARIES_SQL). */
export function traceSummaries(spans: readonly SpanRow[]): Record<TraceSummaryColumnName, string> {
  const summaries = new Map<string, TraceSummary>();
  for (const span of spans) {
    const end = span.startTimeUnixNano + span.durationNs;
    const error = span.statusCode === STATUS_CODE_ERROR ? 1 : 0;
    const known = summaries.get(span.traceId);
    if (!known) {
      summaries.set(span.traceId, { startMin: span.startTimeUnixNano, startMax: span.startTimeUnixNano, endMax: end, spanCount: 1, errorCount: error, root: span });
      continue;
    }
    if (span.startTimeUnixNano < known.startMin) known.startMin = span.startTimeUnixNano;
    if (span.startTimeUnixNano > known.startMax) known.startMax = span.startTimeUnixNano;
    if (end > known.endMax) known.endMax = end;
    known.spanCount++;
    known.errorCount += error;
    if (isBetterRoot(span, known.root)) known.root = span;
  }
  const all = [...summaries.values()];
  const numbers = (value: (s: TraceSummary) => bigint | number | boolean) => `[${all.map(value).join(',')}]`;
  return {
    trace_id: JSON.stringify([...summaries.keys()]),
    start_min: numbers((s) => s.startMin),
    start_max: numbers((s) => s.startMax),
    end_max: numbers((s) => s.endMax),
    span_count: numbers((s) => s.spanCount),
    error_count: numbers((s) => s.errorCount),
    has_root: numbers((s) => s.root.parentSpanId === ''),
    root_start: numbers((s) => s.root.startTimeUnixNano),
    root_span_id: JSON.stringify(all.map((s) => s.root.spanId)),
    root_service: json(all.map((s) => s.root.serviceName)),
    root_operation: json(all.map((s) => s.root.name)),
  };}

/**
 * Writes through a pool of connections, one batch per connection at a time: batches on different
 * connections run at once (DuckDB appends to one table from several transactions without conflict),
 * so one batch's commit and fsync overlap another's parsing.
 */
export class DuckDBTraceWriter implements TraceWriter {
  private readonly idle: Slot[];
  private readonly waiting: Array<(slot: Slot) => void> = [];

  private constructor(private readonly slots: Slot[]) {
    this.idle = [...slots];
  }

  static async create(db: Database, connections = 1): Promise<DuckDBTraceWriter> {
    const sql = insertSql();
    const slots: Slot[] = [];
    for (let i = 0; i < connections; i++) {
      const connection = await db.connect();
      slots.push({ connection, insert: await connection.prepare(sql), insertSummaries: await connection.prepare(INSERT_SUMMARIES_SQL) });
    }
    return new DuckDBTraceWriter(slots);
  }

  /** Batches that can be written at once. */
  get parallelism(): number {
    return this.slots.length;
  }

  async append(spans: readonly SpanRow[]): Promise<void> {
    if (spans.length === 0) return;
    const slot = this.idle.pop() ?? (await new Promise<Slot>((resolve) => this.waiting.push(resolve)));
    try {
      let parameter = 1;
      for (const column of SPAN_COLUMNS) {
        for (const text of ENCODINGS[column.name].encode(spans)) slot.insert.bindVarchar(parameter++, text);
      }
      const summaries = traceSummaries(spans);
      TRACE_SUMMARY_COLUMNS.forEach((column, i) => slot.insertSummaries.bindVarchar(i + 1, summaries[column.name]));
      // One transaction: the batch's spans and their traces' summaries are stored together or not at all.
      await slot.connection.run('BEGIN TRANSACTION');
      try {
        await slot.insert.run();
        await slot.insertSummaries.run();
        await slot.connection.run('COMMIT');
      } catch (error) {
        await slot.connection.run('ROLLBACK').catch(() => undefined);
        throw error;
      }
    } finally {
      const next = this.waiting.shift();
      if (next) next(slot);
      else this.idle.push(slot);
    }
  }

  close(): void {
    for (const slot of this.slots) {
      slot.insert.destroySync();
      slot.insertSummaries.destroySync();
      slot.connection.closeSync();
    }
  }
}
