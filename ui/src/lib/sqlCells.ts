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
 * A value as the API sends it (JSON: big integers, timestamps and decimals as strings; lists as
 * arrays; structs, maps and intervals as objects) as the text of a cell.
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

/** Numbers right-aligned, whatever JSON type carries them (a BIGINT comes as a string). */
export const isNumericType = (type: string): boolean => NUMERIC_TYPE.test(type);

/** "3 rows in 14 ms"; a capped result says so. */
export function resultSummary(result: Pick<SqlResult, 'rows' | 'truncated' | 'elapsedMs'>): string {
  const rows = `${formatCount(result.rows.length)} ${result.rows.length === 1 ? 'row' : 'rows'}`;
  return `${result.truncated ? `first ${rows}` : rows} in ${formatCount(result.elapsedMs)} ms`;
}
