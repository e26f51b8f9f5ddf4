/**
 * Attribute filters for search and metrics: `key=value`, `key!=value`, numeric `key<n` `key<=n`
 * `key>n` `key>=n`, regex `key=~re`, `key!~re`, existence `key` and absence `!key`. A filter matches
 * span attributes first and falls back to resource attributes, as Jaeger's tag search does.
 */
import { SEARCH_ATTRIBUTE_COLUMNS } from '../../core/storage/schema.js';
import { invalid } from './queryParams.js';

export type FilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~' | 'exists' | 'missing';

export interface AttributeFilter {
  key: string;
  op: FilterOperator;
  value: string;
}

const OPERATORS = ['!=', '<=', '>=', '=~', '!~', '=', '<', '>'] as const;
const MAX_FILTERS = 32;

export function parseAttributeFilters(values: string[], parameter = 'attr'): AttributeFilter[] {
  if (values.length > MAX_FILTERS) throw invalid(parameter, `at most ${MAX_FILTERS} filters`);
  return values.map((text) => parseAttributeFilter(text, parameter));
}

export function parseAttributeFilter(text: string, parameter = 'attr'): AttributeFilter {
  if (text.length > 4096) throw invalid(parameter, 'a filter is limited to 4096 characters');
  // The first operator character ends the key, so keys may hold dots and slashes but not operators.
  const at = text.search(/[!=<>]/);
  if (at < 0) return { key: checkedKey(text, parameter), op: 'exists', value: '' };
  if (at === 0 && text[0] === '!' && !/[=<>~]/.test(text.slice(1))) return { key: checkedKey(text.slice(1), parameter), op: 'missing', value: '' };
  const key = checkedKey(text.slice(0, at), parameter);
  const rest = text.slice(at);
  const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
  if (!op) throw invalid(parameter, `"${text.slice(0, 100)}" has no operator: use =, !=, <, <=, >, >=, =~ or !~`);
  const value = rest.slice(op.length);
  if (['<', '<=', '>', '>='].includes(op) && !Number.isFinite(Number(value))) {
    throw invalid(parameter, `"${text.slice(0, 100)}": ${op} compares numbers, and "${value.slice(0, 64)}" is not one`);
  }
  return { key, op, value };
}

function checkedKey(key: string, parameter: string): string {
  const trimmed = key.trim();
  if (trimmed === '') throw invalid(parameter, 'a filter needs an attribute key');
  return trimmed;
}

/** The column of its own that a well-known key's value is kept in; undefined for any other key. */
function ownColumn(filter: AttributeFilter): (typeof SEARCH_ATTRIBUTE_COLUMNS)[number] | undefined {
  return SEARCH_ATTRIBUTE_COLUMNS.find((c) => c.key === filter.key);
}

/** Whether the filter reads a column of its own (a well-known key) rather than both attribute maps. */
export function readsOwnColumn(filter: AttributeFilter): boolean {
  return ownColumn(filter) !== undefined;
}

/**
 * SQL for a filter over a spans-table alias, with its parameters named `${prefix}k`/`${prefix}v`.
 * Regexes are RE2 (linear time), so a user's pattern cannot make a query run away.
 */
export function filterSql(filter: AttributeFilter, alias: string, prefix: string): { sql: string; params: Record<string, string | number> } {
  const column = ownColumn(filter);
  // A well-known key has the same value in a column of its own, far cheaper to read than both maps.
  const value = column ? `${alias}.${column.name}` : `coalesce(${alias}.attributes[$${prefix}k], ${alias}.resource_attributes[$${prefix}k])`;
  const params: Record<string, string | number> = column ? {} : { [`${prefix}k`]: filter.key };
  switch (filter.op) {
    case 'exists':
      return { sql: `${value} IS NOT NULL`, params };
    case 'missing':
      return { sql: `${value} IS NULL`, params };
    case '=':
      return { sql: `${value} = $${prefix}v`, params: { ...params, [`${prefix}v`]: filter.value } };
    case '!=':
      return { sql: `${value} IS DISTINCT FROM $${prefix}v`, params: { ...params, [`${prefix}v`]: filter.value } };
    case '=~':
      return { sql: `regexp_full_match(${value}, $${prefix}v)`, params: { ...params, [`${prefix}v`]: filter.value } };
    case '!~':
      return { sql: `NOT coalesce(regexp_full_match(${value}, $${prefix}v), false)`, params: { ...params, [`${prefix}v`]: filter.value } };
    default:
      return { sql: `TRY_CAST(${value} AS DOUBLE) ${filter.op} $${prefix}v::DOUBLE`, params: { ...params, [`${prefix}v`]: Number(filter.value) } };
  }
}
