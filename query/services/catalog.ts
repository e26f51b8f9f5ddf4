/** Services and operations seen in a time range. */
import type { QueryExecutor } from '../../core/storage/duckdb/queryExecutor.js';
import { SPAN_KIND_NAMES } from '../../core/model/span.js';
import type { TimeRange } from './queryParams.js';

export interface Operation {
  name: string;
  spanKind: string;
}

export async function listServices(executor: QueryExecutor, range: TimeRange): Promise<string[]> {
  const rows = await executor.all(
    'SELECT DISTINCT service_name FROM spans WHERE start_time >= make_timestamp_ns($start::BIGINT) AND start_time < make_timestamp_ns($end::BIGINT) ORDER BY 1',
    { start: range.startNs, end: range.endNs },
  );
  return rows.map((row) => String(row.service_name));
}

/** `kind` narrows to one OTLP span kind number. */
export async function listOperations(executor: QueryExecutor, service: string, range: TimeRange, kind?: number): Promise<Operation[]> {
  const rows = await executor.all(
    `SELECT DISTINCT name, kind FROM spans
     WHERE service_name = $service AND start_time >= make_timestamp_ns($start::BIGINT) AND start_time < make_timestamp_ns($end::BIGINT)
     ${kind !== undefined ? 'AND kind = $kind' : ''}
     ORDER BY name, kind`,
    { service, start: range.startNs, end: range.endNs, ...(kind !== undefined ? { kind } : {}) },
  );
  return rows.map((row) => ({ name: String(row.name), spanKind: SPAN_KIND_NAMES[Number(row.kind)] ?? String(row.kind) }));
}

/** Span kind names as users write them (server, SPAN_KIND_SERVER, 2) to the OTLP number. */
export function parseSpanKind(text: string): number | undefined {
  const upper = text.trim().toUpperCase().replace(/^SPAN_KIND_/, '');
  const index = SPAN_KIND_NAMES.indexOf(upper as (typeof SPAN_KIND_NAMES)[number]);
  if (index >= 0) return index;
  return /^[0-5]$/.test(upper) ? Number(upper) : undefined;
}
