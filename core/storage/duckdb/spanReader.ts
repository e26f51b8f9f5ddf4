/** Reads span rows back from the spans table. */
import {
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimestampNanosecondsValue,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
  type DuckDBResultReader,
  type DuckDBValue,
} from '@duckdb/node-api';
import { DucktraceError } from '../../errors.js';
import type { Attributes, SpanEvent, SpanLink, SpanRow } from '../../model/span.js';
import { SPAN_COLUMN_NAMES, traceKey, type SpanColumnName } from '../schema.js';
import { spanKey, type TraceReader } from '../types.js';
import type { Database } from './database.js';
import { queryFailure } from './duckdbErrors.js';

/** Prepared statements kept at most, one per query text: a text per kind of read and number of trace ids. */
const MAX_STATEMENTS = 32;

/**
 * Reads run as statements prepared once and kept: preparing the read of every column took about 1 ms
 * of a trace read (p50 of 199 first reads at 10 M spans: bounds 1.39 -> 0.95 ms, spans 4.77 -> 3.41).
 */
export class DuckDBTraceReader implements TraceReader {
  private readonly statements = new Map<string, DuckDBPreparedStatement>();
  /** Settles when the last read queued has run: one at a time, since DuckDB reads a statement's bound values while it runs. */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly db: Database,
    private readonly connection: DuckDBConnection,
    /** Each read's time limit; a reload may change it, for the reads that start after. */
    public timeoutMs: number,
  ) {}

  static async create(db: Database, timeoutMs = 10_000): Promise<DuckDBTraceReader> {
    return new DuckDBTraceReader(db, await db.connect(), timeoutMs);
  }

  async getTraceSpans(traceId: string): Promise<SpanRow[]> {
    return (await this.getTracesSpans([traceId])).get(traceId) ?? [];
  }

  async getTracesSpans(traceIds: string[]): Promise<Map<string, SpanRow[]>> {
    const byTrace = new Map<string, SpanRow[]>();
    const ids = [...new Set(traceIds)];
    if (ids.length === 0) return byTrace;
    const reader = await this.withTimeout(`reading ${ids.length} trace(s)`, async () => {
      const bounds = await this.bounds(ids);
      if (bounds === null) return null;
      return this.run(`SELECT ${SPAN_COLUMN_NAMES.join(', ')} FROM spans WHERE ${this.traceFilter(ids.length)}`, [...ids, bounds.lo, bounds.hi]);
    });
    for (const object of reader?.getRowObjects() ?? []) {
      const row = toSpanRow(object as Record<SpanColumnName, DuckDBValue>);
      let spans = byTrace.get(row.traceId);
      if (!spans) byTrace.set(row.traceId, (spans = []));
      spans.push(row);
    }
    // Sorted here rather than by ORDER BY, which made DuckDB copy every column of the rows into its sort
    // (a quarter of a trace read at 10M spans).
    for (const spans of byTrace.values()) spans.sort(byStartThenSpanId);
    return byTrace;
  }

  /**
   * The time range holding every span of these traces, from trace_summaries (null when none is stored):
   * with it, the scan of spans skips the row groups whose start_time lies outside.
   */
  private async bounds(ids: string[]): Promise<{ lo: string; hi: string } | null> {
    const keys = ids.map((_, i) => `$${ids.length + i + 1}::UBIGINT`).join(', ');
    const reader = await this.run(
      `SELECT epoch_ns(min(start_min))::VARCHAR AS lo, epoch_ns(max(start_max))::VARCHAR AS hi FROM trace_summaries
      WHERE trace_key IN (${keys}) AND trace_id IN (${placeholders(ids.length)})`,
      [...ids, ...ids.map((id) => traceKey(id).toString())],
    );
    const row = reader.getRowObjects()[0];
    return row?.lo === null || row?.lo === undefined ? null : { lo: String(row.lo), hi: String(row.hi) };
  }

  /** `trace_id IN ($1..$n) AND start_time within ($n+1, $n+2)`, the bounds as unix nanoseconds. */
  private traceFilter(n: number): string {
    return `trace_id IN (${placeholders(n)}) AND start_time BETWEEN make_timestamp_ns($${n + 1}::BIGINT) AND make_timestamp_ns($${n + 2}::BIGINT)`;
  }

  async storedSpanKeys(traceIds: string[]): Promise<Set<string>> {
    const ids = [...new Set(traceIds)];
    if (ids.length === 0) return new Set();
    const reader = await this.withTimeout(`looking up ${ids.length} trace(s)`, async () => {
      const bounds = await this.bounds(ids);
      if (bounds === null) return null;
      return this.run(`SELECT trace_id, span_id FROM spans WHERE ${this.traceFilter(ids.length)}`, [...ids, bounds.lo, bounds.hi]);
    });
    return new Set((reader?.getRowObjects() ?? []).map((row) => spanKey(String(row.trace_id), String(row.span_id))));
  }

  /** Runs `sql` with `params` as a statement prepared once, after the reads queued before it. */
  private run(sql: string, params: string[]): Promise<DuckDBResultReader> {
    const result = this.queue.then(async () => {
      let statement = this.statements.get(sql);
      if (!statement) {
        if (this.statements.size >= MAX_STATEMENTS) {
          const [oldest, evicted] = this.statements.entries().next().value!;
          this.statements.delete(oldest);
          evicted.destroySync();
        }
        statement = await this.connection.prepare(sql);
        this.statements.set(sql, statement);
      }
      statement.bind(params);
      return statement.runAndReadAll();
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Interrupts the reader's connection when `run` takes longer than the query time limit. */
  private async withTimeout<T>(what: string, run: () => Promise<T>): Promise<T> {
    await this.db.available();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.connection.interrupt();
    }, this.timeoutMs);
    try {
      return await run();
    } catch (error) {
      if (timedOut) throw new DucktraceError('query_timeout', `${what} took longer than the limit of ${this.timeoutMs} ms (queryTimeoutMs)`);
      throw queryFailure(error, this.db.health, what);
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    for (const statement of this.statements.values()) statement.destroySync();
    this.statements.clear();
    this.connection.closeSync();
  }
}

/** `$1, $2, ..., $n`. */
function placeholders(n: number): string {
  return Array.from({ length: n }, (_, i) => `$${i + 1}`).join(', ');
}

function byStartThenSpanId(a: SpanRow, b: SpanRow): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function nanos(value: DuckDBValue): bigint {
  if (value instanceof DuckDBTimestampNanosecondsValue) return value.nanos;
  throw new TypeError(`expected TIMESTAMP_NS, got ${String(value)}`);
}

function struct(value: DuckDBValue): Readonly<Record<string, DuckDBValue>> {
  if (value instanceof DuckDBStructValue) return value.entries;
  throw new TypeError(`expected STRUCT, got ${String(value)}`);
}

function list(value: DuckDBValue): readonly DuckDBValue[] {
  if (value instanceof DuckDBListValue) return value.items;
  throw new TypeError(`expected LIST, got ${String(value)}`);
}

function attributes(map: DuckDBValue, types: DuckDBValue): Attributes {
  if (!(map instanceof DuckDBMapValue)) throw new TypeError(`expected MAP, got ${String(map)}`);
  return {
    keys: map.entries.map((e) => String(e.key)),
    values: map.entries.map((e) => String(e.value)),
    types: String(types),
  };
}

function toEvent(value: DuckDBValue): SpanEvent {
  const e = struct(value);
  return {
    timeUnixNano: nanos(e.time!),
    name: String(e.name),
    attributes: attributes(e.attributes!, e.attribute_types!),
    droppedAttributesCount: Number(e.dropped_attributes_count),
  };
}

function toLink(value: DuckDBValue): SpanLink {
  const l = struct(value);
  return {
    traceId: String(l.trace_id),
    spanId: String(l.span_id),
    traceState: String(l.trace_state),
    flags: Number(l.flags),
    attributes: attributes(l.attributes!, l.attribute_types!),
    droppedAttributesCount: Number(l.dropped_attributes_count),
  };
}

function toSpanRow(row: Record<SpanColumnName, DuckDBValue>): SpanRow {
  return {
    traceId: String(row.trace_id),
    spanId: String(row.span_id),
    parentSpanId: String(row.parent_span_id),
    traceState: String(row.trace_state),
    flags: Number(row.flags),
    name: String(row.name),
    kind: Number(row.kind),
    serviceName: String(row.service_name),
    startTimeUnixNano: nanos(row.start_time),
    durationNs: BigInt(row.duration_ns as bigint),
    statusCode: Number(row.status_code),
    statusMessage: String(row.status_message),
    attributes: attributes(row.attributes, row.attribute_types),
    droppedAttributesCount: Number(row.dropped_attributes_count),
    events: list(row.events).map(toEvent),
    droppedEventsCount: Number(row.dropped_events_count),
    links: list(row.links).map(toLink),
    droppedLinksCount: Number(row.dropped_links_count),
    resourceAttributes: attributes(row.resource_attributes, row.resource_attribute_types),
    resourceDroppedAttributesCount: Number(row.resource_dropped_attributes_count),
    resourceSchemaUrl: String(row.resource_schema_url),
    scopeName: String(row.scope_name),
    scopeVersion: String(row.scope_version),
    scopeAttributes: attributes(row.scope_attributes, row.scope_attribute_types),
    scopeDroppedAttributesCount: Number(row.scope_dropped_attributes_count),
    scopeSchemaUrl: String(row.scope_schema_url),
    sampleWeight: Number(row.sample_weight),
    samplingPolicy: String(row.sampling_policy ?? ''),
  };
}
