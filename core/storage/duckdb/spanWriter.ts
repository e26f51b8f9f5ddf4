/**
 * Writes span rows to the spans table with a prepared INSERT per part of a batch (PART_SPANS spans)
 * whose parameters are the part's columns as JSON text: DuckDB parses them natively (from_json) and
 * builds the rows itself. A batch's parts and a summary of each of its traces (in trace_summaries)
 * go in one transaction. Measured against an appender fed value by value, this is faster (a few
 * calls across the native boundary per part instead of one per string) and runs off the event loop,
 * where the appender's flush blocked it; see `npm run bench` (ceilings.duckdb_append) and
 * `npm run bench:writer`.
 */
import type { DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { STATUS_CODE_ERROR, type Attributes, type SpanRow } from '../../model/span.js';
import {
  ATTRIBUTE_VALUE_COLUMNS,
  SEARCH_ATTRIBUTE_COLUMNS,
  SERVICE_CALL_COLUMNS,
  SPAN_COLUMNS,
  TRACE_SUMMARY_COLUMNS,
  searchAttributeValueSql,
  traceKeySql,
  type AttributeValueColumnName,
  type ServiceCallColumnName,
  type TraceSummaryColumnName,
} from '../schema.js';
import { attributeValueRows } from '../attributeValues.js';
import { CallHistogram, CallPairing, DEFAULT_CALL_PAIRING, type CallBucket, type CallPairingOptions } from '../serviceCalls.js';
import type { StorageHealth } from '../storageHealth.js';
import type { TraceWriter, UnflushedCalls } from '../types.js';
import type { Database } from './database.js';
import { committedDespiteError, storageFailureOf } from './duckdbErrors.js';
import { DucktraceError } from '../../errors.js';

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

/** A JSON list of integers (bigint included), finite doubles or booleans: their text is valid JSON. */
function jsonList<T>(rows: readonly T[], value: (row: T) => number | bigint | boolean): string {
  return `[${rows.map(value).join(',')}]`;
}

const strings = (value: (row: SpanRow) => string): ColumnEncoding => ({ jsonTypes: ['"VARCHAR"'], encode: (rows) => [json(rows.map(value))] });
const numbers = (type: string, value: (row: SpanRow) => number | bigint): ColumnEncoding => ({ jsonTypes: [`"${type}"`], encode: (rows) => [jsonList(rows, value)] });
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

/**
 * The INSERT for SPAN_COLUMNS: every parameter unnested in step (one row per span), then each column
 * built; the search columns are computed from the built maps.
 */
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
    values.push(`${(encoding.expression ?? '$').replace(/\$(\d?)/g, (_, i: string) => names[i === '' ? 0 : Number(i)]!)} AS "${column.name}"`);
  }
  const searchColumns = SEARCH_ATTRIBUTE_COLUMNS.map((c) => ({ name: c.name, sql: searchAttributeValueSql(c.key) }));
  return insertSelectSql('spans', SPAN_COLUMNS, `SELECT ${values.join(', ')} FROM (SELECT ${unnested.join(', ')})`, searchColumns);
}

/** An INSERT of the rows of `select`, whose columns are `columns`, with `derived` columns computed from them in SQL after. */
function insertSelectSql(
  table: string,
  columns: ReadonlyArray<{ name: string }>,
  select: string,
  derived: ReadonlyArray<{ name: string; sql: string }> = [],
): string {
  const names = [...columns, ...derived].map((c) => `"${c.name}"`).join(', ');
  return `INSERT INTO ${table} (${names}) SELECT *${derived.map((d) => `, ${d.sql}`).join('')} FROM (${select})`;
}

interface Slot {
  connection: DuckDBConnection;
  insert: DuckDBPreparedStatement;
  insertSummaries: DuckDBPreparedStatement;
  insertCalls: DuckDBPreparedStatement;
  insertAttributeValues: DuckDBPreparedStatement;
}

/**
 * Rows whose columns arrive as one JSON list each, in parameters named by `parameter(i)` for the i-th
 * column; timestamps travel as unix nanoseconds (BIGINT), as span start times do.
 */
export function rowsFromJsonSql(columns: ReadonlyArray<{ name: string; type: string }>, parameter: (i: number) => string): string {
  return `SELECT ${columns.map((c) => (c.type === 'TIMESTAMP_NS' ? `make_timestamp_ns(${c.name}) AS ${c.name}` : c.name)).join(', ')}
FROM (SELECT ${columns.map((c, i) => `unnest(from_json(${parameter(i)}::VARCHAR, '["${c.type === 'TIMESTAMP_NS' ? 'BIGINT' : c.type}"]')) AS ${c.name}`).join(', ')})`;
}

function insertColumnsSql(table: string, columns: ReadonlyArray<{ name: string; type: string }>, derived: ReadonlyArray<{ name: string; sql: string }> = []): string {
  return insertSelectSql(table, columns, rowsFromJsonSql(columns, (i) => `$${i + 1}`), derived);
}

const INSERT_SUMMARIES_SQL = insertColumnsSql('trace_summaries', TRACE_SUMMARY_COLUMNS, [{ name: 'trace_key', sql: traceKeySql('trace_id') }]);
const INSERT_CALLS_SQL = insertColumnsSql('service_calls', SERVICE_CALL_COLUMNS);
const INSERT_ATTRIBUTE_VALUES_SQL = insertColumnsSql('attribute_values', ATTRIBUTE_VALUE_COLUMNS);
/** So that a server with few edges does not compact on every flush. */
const MIN_COMPACTION_CALLS = 20_000;
/**
 * Spans an INSERT parses at once: DuckDB parses a statement's JSON whole, and four batches of 20,000
 * spans on four connections held up to 480 MB of its memory, against 210-290 MB in parts of 4,096,
 * at the same rate (50-62k spans/s either way, the writer alone).
 */
const PART_SPANS = 4096;
/** The smallest part appendAlone splits a batch into (an SDK exports 512 spans at a time). */
const MIN_PART_SPANS = 512;

/** One part's parameters for the spans INSERT, in order. */
function encodePart(spans: readonly SpanRow[]): string[] {
  return SPAN_COLUMNS.flatMap((column) => ENCODINGS[column.name].encode(spans));
}

function inParts(spans: readonly SpanRow[], size: number): Array<readonly SpanRow[]> {
  return Array.from({ length: Math.ceil(spans.length / size) }, (_, i) => spans.slice(i * size, (i + 1) * size));
}

/**
 * DuckDB's errors when a query, or its commit, would pass the memory limit. A transaction can also be
 * left aborted with only its next statement saying so, without the memory error: seen once in CI, four
 * batches on four connections under a 64 MB limit. Nothing of an aborted transaction is stored, so it
 * is retried as one that ran out of memory. A failure of storage itself (a checkpoint that invalidated
 * the database says "failed to pin block" too) is not.
 */
function isOutOfMemory(error: unknown): boolean {
  return error instanceof Error && storageFailureOf(error) === null && /Out of Memory Error|failed to pin block|Current transaction is aborted/.test(error.message);
}

/**
 * COMMIT itself failed, after DuckDB may have made the transaction durable (an error while answering
 * the statement, or an automatic checkpoint after it): writing the batch again could store it twice, so
 * it is not retried here; the sampling stage retries it without the spans storage turns out to hold.
 */
class CommitOutcomeUnknown extends Error {}

/** The attribute values of a batch's spans by minute (attributeValues.ts), as a JSON list per column (the parameters of INSERT_ATTRIBUTE_VALUES_SQL). */
export function attributeValueColumns(spans: readonly SpanRow[]): Record<AttributeValueColumnName, string> {
  const rows = attributeValueRows(spans);
  return {
    start_minute: jsonList(rows, (r) => r.startMinuteNs),
    key: json(rows.map((r) => r.key)),
    value: json(rows.map((r) => r.value)),
  };
}

/** service_calls rows as a JSON list per column (the parameters of INSERT_CALLS_SQL). */
export function serviceCallColumns(rows: readonly CallBucket[]): Record<ServiceCallColumnName, string> {
  const list = (value: (row: CallBucket) => bigint | number | boolean) => jsonList(rows, value);
  return {
    start_minute: list((r) => r.minuteNs),
    caller: json(rows.map((r) => r.caller)),
    callee: json(rows.map((r) => r.callee)),
    callee_is_peer: list((r) => r.calleeIsPeer),
    duration_bucket: list((r) => r.durationBucket),
    calls: list((r) => r.calls),
    errors: list((r) => r.errors),
    duration_sum: list((r) => r.durationSum),
  };
}

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
  const numbers = (value: (s: TraceSummary) => bigint | number | boolean) => jsonList(all, value);
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
  };
}

export type MaintenanceOperation = 'checkpoint' | 'compaction' | 'write_alone';

export interface TraceWriterOptions {
  connections?: number;
  /** How often the dependency graph's sums are written to service_calls; until then queries read them from memory. */
  callFlushMs?: number;
  /** Sums (service_calls rows) held in memory at most before they are written early. */
  maxUnflushedCalls?: number;
  /** Rows appended to service_calls before a compaction is due at the least (see the class comment). */
  minCompactionCalls?: number;
  callPairing?: CallPairingOptions;
  /** Spans appended between the checkpoints the writer makes (see the class comment). */
  checkpointSpans?: number;
  /**
   * Told how long each checkpoint, each service_calls compaction and each batch written alone (see
   * appendAlone) took: writes wait for all three.
   */
  onMaintenance?: (operation: MaintenanceOperation, seconds: number) => void;
  /**
   * Asked before each checkpoint, whose failure for want of memory invalidates the database, to make
   * room for it (SQL statements yield); the function it resolves with ends that.
   */
  beforeCheckpoint?: () => Promise<() => void>;
}

/**
 * About 120 MB of rows in DuckDB's memory before they are written to the file (the bench's spans take
 * about 1.2 KB each there): far below storageMemoryMb, and a checkpoint every few seconds at full load.
 */
const CHECKPOINT_SPANS = 100_000;

/**
 * Writes through a pool of connections, one batch per connection at a time: batches on different
 * connections run at once (DuckDB appends to one table from several transactions without conflict),
 * so one batch's commit and fsync overlap another's parsing.
 *
 * Committed batches also feed the dependency graph (serviceCalls.ts), summed in memory and appended
 * to service_calls every `callFlushMs`. Queries add the unwritten sums (`read`) and sum rows of the
 * same key. The minutes appended to are summed again into one row per minute, edge and duration
 * bucket once the rows appended since the last compaction outnumber the rows it left: re-summing on
 * every flush rewrote every minute a flush touched, which for spans spread over an hour (a backlog,
 * a replay) was the whole table every few seconds: 14 of 77 CPU-seconds a million spans in the bench.
 *
 * Appended rows stay in DuckDB's memory until a checkpoint writes them to the file, and DuckDB's own
 * checkpoint (at a commit, once its WAL passes 16 MB) is skipped while another transaction runs, which
 * under steady load on several connections is always: the rows piled up to the memory limit and the
 * checkpoint that finally ran failed for want of memory, which DuckDB treats as fatal. So DuckDB's own
 * is off (database.ts), and every `checkpointSpans` spans the writer forces one (FORCE CHECKPOINT waits
 * for the running writes and holds new ones back until it is done), after `beforeCheckpoint` made room.
 *
 * A storage failure (the disk full, the database invalidated) marks `db.health` failing; until storage
 * recovery marks it healthy again, appends are refused at once.
 */
export class DuckDBTraceWriter implements TraceWriter, UnflushedCalls {
  private readonly idle: Slot[];
  private readonly waiting: Array<(slot: Slot) => void> = [];
  private readonly pairing: CallPairing;
  private readonly histogram = new CallHistogram();
  /** A flush waits for reads of the sums to end, and reads wait for a flush to end, so none counts a sum twice or not at all. */
  private flush: Promise<void> | null = null;
  private readers = 0;
  private readersDone: (() => void) | null = null;
  private readonly flushTimer: NodeJS.Timeout;
  private readonly maxUnflushedCalls: number;
  /** Minutes appended to since the last compaction, the rows appended, and the rows the last compaction left. */
  private readonly uncompactedMinutes = new Set<bigint>();
  private appendedCalls = 0;
  private compactedCalls = 0;
  private readonly minCompactionCalls: number;
  private readonly checkpointSpans: number;
  private spansSinceCheckpoint = 0;
  private checkpointing: Promise<void> | null = null;
  /** Settles when the last caller of withEverySlot has let go of the connections. */
  private gathering: Promise<void> = Promise.resolve();
  private readonly onMaintenance: NonNullable<TraceWriterOptions['onMaintenance']>;
  private readonly beforeCheckpoint: NonNullable<TraceWriterOptions['beforeCheckpoint']>;

  private constructor(
    private readonly slots: Slot[],
    private readonly health: StorageHealth,
    options: TraceWriterOptions,
  ) {
    this.idle = [...slots];
    this.pairing = new CallPairing(options.callPairing ?? DEFAULT_CALL_PAIRING);
    this.maxUnflushedCalls = options.maxUnflushedCalls ?? 20_000;
    this.minCompactionCalls = options.minCompactionCalls ?? MIN_COMPACTION_CALLS;
    this.checkpointSpans = options.checkpointSpans ?? CHECKPOINT_SPANS;
    this.onMaintenance = options.onMaintenance ?? (() => undefined);
    this.beforeCheckpoint = options.beforeCheckpoint ?? (async () => () => undefined);
    this.flushTimer = setInterval(() => void this.flushCalls().catch(() => undefined), options.callFlushMs ?? 5_000).unref();
  }

  static async create(db: Database, options: TraceWriterOptions = {}): Promise<DuckDBTraceWriter> {
    const sql = insertSql();
    const slots: Slot[] = [];
    for (let i = 0; i < (options.connections ?? 1); i++) {
      const connection = await db.connect();
      slots.push({
        connection,
        insert: await connection.prepare(sql),
        insertSummaries: await connection.prepare(INSERT_SUMMARIES_SQL),
        insertCalls: await connection.prepare(INSERT_CALLS_SQL),
        insertAttributeValues: await connection.prepare(INSERT_ATTRIBUTE_VALUES_SQL),
      });
    }
    return new DuckDBTraceWriter(slots, db.health, options);
  }

  /** Batches that can be written at once. */
  get parallelism(): number {
    return this.slots.length;
  }

  /** Spans held for pairing with their parents or children. */
  get pairingSpans(): number {
    return this.pairing.heldSpans;
  }

  /**
   * Commits the spans. While storage is failing it refuses at once (storage recovery repairs it, and the
   * caller retries); a failure of storage itself marks it failing. A commit DuckDB calls durable although
   * it failed counts as committed: retried, its spans would be stored twice.
   */
  async append(spans: readonly SpanRow[]): Promise<void> {
    if (spans.length === 0) return;
    const state = this.health.state;
    if (!state.healthy) throw new DucktraceError('storage_unavailable', `storage cannot write: ${state.reason}`, 1);
    try {
      try {
        await this.withSlot((slot) => this.insertBatch(slot, spans, PART_SPANS));
      } catch (error) {
        if (!isOutOfMemory(error) || error instanceof CommitOutcomeUnknown) throw error;
        await this.appendAlone(spans);
      }
    } catch (error) {
      const failure = storageFailureOf(error);
      if (failure) this.health.fail(failure.reason);
      if (!committedDespiteError(error)) throw failure ? new DucktraceError('storage_unavailable', `storage cannot write: ${failure.reason}`, 1) : error;
    }
    // Only committed spans count, so a batch that fails and is retried counts once.
    this.histogram.add(this.pairing.add(spans));
    // Sums held in memory stay bounded whatever the spans' services and times.
    if (this.histogram.size >= this.maxUnflushedCalls) void this.flushCalls().catch(() => undefined);
    this.spansSinceCheckpoint += spans.length;
    // The batch that crosses the mark waits for the checkpoint, so that a writer far ahead is held back.
    // The batch is committed either way: a checkpoint that fails is tried again after the next batch.
    if (this.spansSinceCheckpoint >= this.checkpointSpans) await this.checkpoint().catch(() => undefined);
  }

  /**
   * The spans, in INSERTs of `partSpans` each within one transaction with their traces' summaries and
   * their attribute values by minute: stored together or not at all. DuckDB parses a part's JSON at
   * once, so fewer spans a part take less of its memory.
   */
  private async insertBatch(slot: Slot, spans: readonly SpanRow[], partSpans: number): Promise<void> {
    const parts = inParts(spans, partSpans);
    const summaries = traceSummaries(spans);
    const attributeValues = attributeValueColumns(spans);
    let texts = encodePart(parts[0]!);
    await this.transaction(slot, async () => {
      for (let i = 0; i < parts.length; i++) {
        texts.forEach((text, j) => slot.insert.bindVarchar(j + 1, text));
        const inserting = slot.insert.run();
        // The next part is encoded while DuckDB inserts this one, and the event loop gets a turn
        // between parts: a batch encoded whole held the main thread about 100 ms for 20,000 spans.
        if (i + 1 < parts.length) texts = encodePart(parts[i + 1]!);
        await inserting;
      }
      TRACE_SUMMARY_COLUMNS.forEach((column, i) => slot.insertSummaries.bindVarchar(i + 1, summaries[column.name]));
      await slot.insertSummaries.run();
      ATTRIBUTE_VALUE_COLUMNS.forEach((column, i) => slot.insertAttributeValues.bindVarchar(i + 1, attributeValues[column.name]));
      await slot.insertAttributeValues.run();
    });
  }

  /**
   * A batch that ran DuckDB out of memory, written with no other batch running: batches on every
   * connection at once can pass the memory limit together, and retried together they failed together
   * (at a 200 MB limit the server never stored again). Alone, then in ever smaller parts while it still
   * does not fit; still one transaction, so that a failure leaves nothing half stored. No checkpoint is
   * forced to make room: one that runs out of memory invalidates the database, and writes stop until
   * storage recovery has attached it again.
   */
  private async appendAlone(spans: readonly SpanRow[]): Promise<void> {
    await this.withEverySlot((slot) =>
      this.timed('write_alone', async () => {
        for (let size = Math.min(PART_SPANS, spans.length); ; size = Math.ceil(size / 2)) {
          try {
            return await this.insertBatch(slot, spans, size);
          } catch (error) {
            if (!isOutOfMemory(error) || error instanceof CommitOutcomeUnknown || size <= MIN_PART_SPANS) throw error;
          }
        }
      }),
    );
  }

  /** Writes the rows appended so far from DuckDB's memory to the file; one checkpoint at a time. */
  private checkpoint(): Promise<void> {
    this.checkpointing ??= this.withSlot(async (slot) => {
      const madeRoom = await this.beforeCheckpoint();
      try {
        await this.timed('checkpoint', async () => {
          await slot.connection.run('FORCE CHECKPOINT');
        });
      } catch (error) {
        const failure = storageFailureOf(error);
        if (failure) this.health.fail(failure.reason);
        throw error;
      } finally {
        madeRoom();
      }
      this.spansSinceCheckpoint = 0;
    }).finally(() => (this.checkpointing = null));
    return this.checkpointing;
  }

  /** Runs a checkpoint, a compaction or a batch written alone, and reports how long it took. */
  private async timed(operation: MaintenanceOperation, run: () => Promise<void>): Promise<void> {
    const started = performance.now();
    await run();
    this.onMaintenance(operation, (performance.now() - started) / 1000);
  }

  /** Runs `read` with the sums not yet in service_calls; service_calls holds the rest until `read` ends. */
  async read<T>(read: (unflushed: readonly CallBucket[]) => Promise<T>): Promise<T> {
    // No await between the last check and counting the reader, so that no flush starts in between.
    while (this.flush) await this.flush.catch(() => undefined);
    this.readers++;
    try {
      return await read(this.histogram.rows());
    } finally {
      if (--this.readers === 0) this.readersDone?.();
    }
  }

  /** Appends the sums gathered so far to service_calls; `compactAll` then sums every minute appended to into one row per key. */
  async flushCalls(compactAll = false): Promise<void> {
    while (this.flush) await this.flush.catch(() => undefined);
    // The sums stay in memory, and in what queries read, until storage can write again.
    if (!this.health.healthy) return;
    if (this.histogram.size === 0 && !(compactAll && this.uncompactedMinutes.size > 0)) return;
    this.flush = this.writeCalls(compactAll);
    try {
      await this.flush;
    } finally {
      this.flush = null;
    }
  }

  private async writeCalls(compactAll = false): Promise<void> {
    if (this.readers > 0) await new Promise<void>((resolve) => (this.readersDone = resolve));
    this.readersDone = null;
    const rows = this.histogram.take();
    try {
      if (rows.length > 0) {
        const columns = serviceCallColumns(rows);
        await this.withSlot(async (slot) => {
          SERVICE_CALL_COLUMNS.forEach((column, i) => slot.insertCalls.bindVarchar(i + 1, columns[column.name]));
          await slot.insertCalls.run();
        });
      }
    } catch (error) {
      this.histogram.merge(rows);
      throw error;
    }
    for (const row of rows) this.uncompactedMinutes.add(row.minuteNs);
    this.appendedCalls += rows.length;
    const due = this.appendedCalls >= Math.max(this.compactedCalls, this.minCompactionCalls);
    if (this.uncompactedMinutes.size > 0 && (due || compactAll)) await this.compactCalls();
  }

  /** Sums the rows of the minutes appended to into one row per minute, edge and bucket, in one transaction. */
  private async compactCalls(): Promise<void> {
    const minutes = [...this.uncompactedMinutes].map((ns) => `make_timestamp_ns(${ns})`).join(', ');
    const names = SERVICE_CALL_COLUMNS.map((c) => c.name).join(', ');
    let compacted = 0;
    await this.withSlot(async (slot) => {
      await this.timed('compaction', () => this.transaction(slot, async () => {
        await slot.connection.run(`CREATE OR REPLACE TEMP TABLE merged_calls AS SELECT start_minute, caller, callee, callee_is_peer, duration_bucket,
          sum(calls) AS calls, sum(errors) AS errors, sum(duration_sum) AS duration_sum FROM service_calls WHERE start_minute IN (${minutes}) GROUP BY ALL`);
        await slot.connection.run(`DELETE FROM service_calls WHERE start_minute IN (${minutes})`);
        const inserted = await slot.connection.run(`INSERT INTO service_calls (${names}) SELECT ${names} FROM merged_calls`);
        compacted = Number(inserted.rowsChanged);
        await slot.connection.run('DROP TABLE merged_calls');
      }));
    });
    this.uncompactedMinutes.clear();
    this.appendedCalls = 0;
    this.compactedCalls = compacted;
  }

  private async withSlot(use: (slot: Slot) => Promise<void>): Promise<void> {
    const slot = await this.takeSlot();
    try {
      await use(slot);
    } finally {
      this.releaseSlot(slot);
    }
  }

  /** Runs `use` on one connection while no other of the writer's is in use. */
  private async withEverySlot(use: (slot: Slot) => Promise<void>): Promise<void> {
    // One gatherer at a time: two, each holding some connections and waiting for the rest, would wait forever.
    const previous = this.gathering;
    let gathered!: () => void;
    this.gathering = new Promise((resolve) => (gathered = resolve));
    await previous;
    const held: Slot[] = [];
    try {
      while (held.length < this.slots.length) held.push(await this.takeSlot());
      await use(held[0]!);
    } finally {
      held.forEach((slot) => this.releaseSlot(slot));
      gathered();
    }
  }

  private async takeSlot(): Promise<Slot> {
    return this.idle.pop() ?? (await new Promise<Slot>((resolve) => this.waiting.push(resolve)));
  }

  private releaseSlot(slot: Slot): void {
    const next = this.waiting.shift();
    if (next) next(slot);
    else this.idle.push(slot);
  }

  /** Runs `body` in one transaction; throws CommitOutcomeUnknown when COMMIT itself failed. */
  private async transaction(slot: Slot, body: () => Promise<unknown>): Promise<void> {
    // A BEGIN that failed while answering may still have begun the transaction: the ROLLBACK ends it either way.
    const rollBack = (): Promise<unknown> => slot.connection.run('ROLLBACK').catch(() => undefined);
    try {
      await slot.connection.run('BEGIN TRANSACTION');
      await body();
    } catch (error) {
      await rollBack();
      throw error;
    }
    try {
      await slot.connection.run('COMMIT');
    } catch (error) {
      await rollBack();
      throw new CommitOutcomeUnknown((error as Error).message);
    }
  }

  /** Writes the dependency graph's sums, one row per minute, edge and bucket, then closes the connections. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await this.flushCalls(true);
    for (const slot of this.slots) {
      slot.insert.destroySync();
      slot.insertSummaries.destroySync();
      slot.insertCalls.destroySync();
      slot.connection.closeSync();
    }
  }
}
