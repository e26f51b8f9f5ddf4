/** Appends span rows to the spans table in whole data chunks through one long-lived appender. */
import {
  DuckDBDataChunk,
  listValue,
  mapValue,
  structValue,
  timestampNanosValue,
  type DuckDBAppender,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { Attributes, SpanRow } from '../../model/span.js';
import { SPAN_COLUMNS } from '../schema.js';
import type { TraceWriter } from '../types.js';
import type { Database } from './database.js';

/** DuckDB's vector size: the most rows one data chunk holds. */
const CHUNK_ROWS = 2048;

export class DuckDBTraceWriter implements TraceWriter {
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly connection: DuckDBConnection,
    private readonly appender: DuckDBAppender,
    private readonly types: DuckDBType[],
  ) {}

  static async create(db: Database): Promise<DuckDBTraceWriter> {
    const connection = await db.connect();
    const appender = await connection.createAppender('spans');
    const types = SPAN_COLUMNS.map((_, i) => appender.columnType(i));
    return new DuckDBTraceWriter(connection, appender, types);
  }

  /** Appends are serialized: the appender is not safe for concurrent use. */
  append(spans: readonly SpanRow[]): Promise<void> {
    const result = this.chain.then(() => this.appendNow(spans));
    this.chain = result.catch(() => undefined);
    return result;
  }

  private appendNow(spans: readonly SpanRow[]): void {
    try {
      for (let start = 0; start < spans.length; start += CHUNK_ROWS) {
        const rows = spans.slice(start, start + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(this.types, rows.length);
        chunk.setColumns(toColumns(rows));
        this.appender.appendDataChunk(chunk);
      }
      this.appender.flushSync();
    } catch (error) {
      // A failed flush leaves the appender's buffer in an unknown state; drop it so a retry starts clean.
      this.appender.clear();
      throw error;
    }
  }

  close(): void {
    this.appender.closeSync();
    this.connection.closeSync();
  }
}

function attributeMap(attributes: Attributes): DuckDBValue {
  return mapValue(attributes.keys.map((key, i) => ({ key, value: attributes.values[i]! })));
}

/** Column-major values in SPAN_COLUMNS order. */
function toColumns(rows: readonly SpanRow[]): DuckDBValue[][] {
  const column = (value: (row: SpanRow) => DuckDBValue): DuckDBValue[] => rows.map(value);
  const columns: Record<(typeof SPAN_COLUMNS)[number]['name'], DuckDBValue[]> = {
    trace_id: column((r) => r.traceId),
    span_id: column((r) => r.spanId),
    parent_span_id: column((r) => r.parentSpanId),
    trace_state: column((r) => r.traceState),
    flags: column((r) => r.flags),
    name: column((r) => r.name),
    kind: column((r) => r.kind),
    service_name: column((r) => r.serviceName),
    start_time: column((r) => timestampNanosValue(r.startTimeUnixNano)),
    duration_ns: column((r) => r.durationNs),
    status_code: column((r) => r.statusCode),
    status_message: column((r) => r.statusMessage),
    attributes: column((r) => attributeMap(r.attributes)),
    attribute_types: column((r) => r.attributes.types),
    dropped_attributes_count: column((r) => r.droppedAttributesCount),
    events: column((r) =>
      listValue(
        r.events.map((e) =>
          structValue({
            time: timestampNanosValue(e.timeUnixNano),
            name: e.name,
            attributes: attributeMap(e.attributes),
            attribute_types: e.attributes.types,
            dropped_attributes_count: e.droppedAttributesCount,
          }),
        ),
      ),
    ),
    dropped_events_count: column((r) => r.droppedEventsCount),
    links: column((r) =>
      listValue(
        r.links.map((l) =>
          structValue({
            trace_id: l.traceId,
            span_id: l.spanId,
            trace_state: l.traceState,
            flags: l.flags,
            attributes: attributeMap(l.attributes),
            attribute_types: l.attributes.types,
            dropped_attributes_count: l.droppedAttributesCount,
          }),
        ),
      ),
    ),
    dropped_links_count: column((r) => r.droppedLinksCount),
    resource_attributes: column((r) => attributeMap(r.resourceAttributes)),
    resource_attribute_types: column((r) => r.resourceAttributes.types),
    resource_dropped_attributes_count: column((r) => r.resourceDroppedAttributesCount),
    resource_schema_url: column((r) => r.resourceSchemaUrl),
    scope_name: column((r) => r.scopeName),
    scope_version: column((r) => r.scopeVersion),
    scope_attributes: column((r) => attributeMap(r.scopeAttributes)),
    scope_attribute_types: column((r) => r.scopeAttributes.types),
    scope_dropped_attributes_count: column((r) => r.scopeDroppedAttributesCount),
    scope_schema_url: column((r) => r.scopeSchemaUrl),
    sample_weight: column((r) => r.sampleWeight),
    sampling_policy: column((r) => r.samplingPolicy),
  };
  return SPAN_COLUMNS.map((c) => columns[c.name]);
}
