/** How SQL results read in the console: cells, column alignment and the summary line. Pure. */
import type { SqlResult } from '../api.js';
import { formatCount } from './format.js';

/** Longer cell texts are cut here; the cell's title keeps the whole value. */
export const CELL_MAX_CHARS = 80;

export interface Cell {
  kind: 'null' | 'number' | 'bool' | 'text' | 'json';
  text: string;
  /** The whole value when `text` is cut short. */
  full?: string;
}

/**
 * A value as the API sends it (JSON: integers and decimals past what a double holds exactly, and
 * timestamps, as strings; lists as arrays; structs, maps and intervals as objects) as the text of a cell.
 */
export function formatCell(value: unknown, maxChars = CELL_MAX_CHARS): Cell {
  if (value === null || value === undefined) return { kind: 'null', text: 'NULL' };
  if (typeof value === 'number') return { kind: 'number', text: String(value) };
  if (typeof value === 'boolean') return { kind: 'bool', text: String(value) };
  const kind = typeof value === 'string' ? 'text' : 'json';
  const whole = typeof value === 'string' ? value : JSON.stringify(value);
  // Code points, not UTF-16 units, so that a cut never splits a character.
  const chars = [...whole];
  if (chars.length <= maxChars) return { kind, text: whole };
  return { kind, text: `${chars.slice(0, maxChars - 1).join('')}…`, full: whole };
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL(\(\d+,\s*\d+\))?)$/;

/** Numbers right-aligned, whatever JSON type carries them (a BIGINT past 2^53 comes as a string). */
export const isNumericType = (type: string): boolean => NUMERIC_TYPE.test(type);

const TRACE_ID_COLUMN = /^(.*?)trace_?id$/i;
const SPAN_ID_COLUMN = /^(.*?)span_?id$/i;
const TRACE_ID = /^[0-9a-f]{32}$/i;
const SPAN_ID = /^[0-9a-f]{16}$/i;

/** Where a cell leads: its trace, and the span to select in it. */
export interface CellTarget {
  traceId: string;
  spanId?: string;
}

export type CellLink = (row: readonly unknown[]) => CellTarget | null;

/**
 * For each column, how its cells link into the trace view (null for a column that does not). A trace
 * id column (`trace_id`, `linked_trace_id`, …) links to the trace. A span id column links to that span
 * in the trace of the trace id column with the same prefix (`linked_span_id` in `linked_trace_id`),
 * else in the row's own `trace_id` (`span_id`, `parent_span_id`, `root_span_id`).
 */
export function linkPlan(columns: ReadonlyArray<{ name: string }>): Array<CellLink | null> {
  const traceColumnByPrefix = new Map<string, number>();
  columns.forEach((column, i) => {
    const prefix = TRACE_ID_COLUMN.exec(column.name)?.[1]?.toLowerCase();
    if (prefix !== undefined && (prefix === '' || prefix.endsWith('_')) && !traceColumnByPrefix.has(prefix)) traceColumnByPrefix.set(prefix, i);
  });
  return columns.map((column, i): CellLink | null => {
    if ([...traceColumnByPrefix.values()].includes(i)) return (row) => (isId(row[i], TRACE_ID) ? { traceId: row[i] as string } : null);
    const prefix = SPAN_ID_COLUMN.exec(column.name)?.[1]?.toLowerCase();
    if (prefix === undefined || (prefix !== '' && !prefix.endsWith('_'))) return null;
    const trace = traceColumnByPrefix.get(prefix) ?? traceColumnByPrefix.get('');
    if (trace === undefined) return null;
    return (row) => (isId(row[i], SPAN_ID) && isId(row[trace], TRACE_ID) ? { traceId: row[trace] as string, spanId: row[i] as string } : null);
  });
}

const isId = (value: unknown, shape: RegExp): boolean => typeof value === 'string' && shape.test(value);

/**
 * The result as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold a comma,
 * quote or line break). NULL is an empty field; lists, structs and maps are their JSON. A text that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR, and not a number) gets a
 * leading apostrophe, because span names and attributes come from whoever can send spans.
 */
export function toCsv(result: Pick<SqlResult, 'columns' | 'rows'>): string {
  const lines = [result.columns.map((column) => csvField(column.name)), ...result.rows.map((row) => row.map(csvValue))];
  return lines.map((fields) => `${fields.join(',')}\r\n`).join('');
}

function csvValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return csvField(typeof value === 'string' ? value : JSON.stringify(value));
}

function csvField(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** "3 rows in 14 ms"; a capped result says so. */
export function resultSummary(result: Pick<SqlResult, 'rows' | 'truncated' | 'elapsedMs'>): string {
  const rows = `${formatCount(result.rows.length)} ${result.rows.length === 1 ? 'row' : 'rows'}`;
  return `${result.truncated ? `first ${rows}` : rows} in ${formatCount(result.elapsedMs)} ms`;
}
