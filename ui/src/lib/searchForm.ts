/**
 * The trace search form as it lives in the URL (`/search?service=…&attr=…&range=…`) and as the query
 * API takes it. The URL is the source of truth: the form reads it, a submit writes it. Pure.
 */
import type { Params } from '../api.js';
import { apiRange, parseRange, rangeParams, type RangeChoice } from './timeRange.js';

/** The API's attribute operators; `exists` and `absent` take no value. */
export const ATTR_OPERATORS = ['=', '!=', '>', '>=', '<', '<=', '=~', '!~', 'exists', 'absent'] as const;
export type AttrOperator = (typeof ATTR_OPERATORS)[number];

export interface AttrFilterRow {
  key: string;
  op: AttrOperator;
  value: string;
}

export type StatusChoice = 'any' | 'error' | 'ok';

export interface SearchForm {
  service: string;
  operation: string;
  attrs: AttrFilterRow[];
  /** The trace's end-to-end duration, as Go-style durations typed (`100ms`); the server checks them. */
  minDuration: string;
  maxDuration: string;
  /** The duration of a span that matches the service, operation and attribute filters. */
  spanMinDuration: string;
  spanMaxDuration: string;
  status: StatusChoice;
  limit: string;
  range: RangeChoice;
}

export const DEFAULT_LIMIT = '20';

export const emptyAttr = (): AttrFilterRow => ({ key: '', op: '=', value: '' });

/** `key=value`, `key>=n`, `key=~re`, `key` (exists), `!key` (absent); null for a row without key. */
export function attrParam(row: AttrFilterRow): string | null {
  const key = row.key.trim();
  if (key === '') return null;
  if (row.op === 'exists') return key;
  if (row.op === 'absent') return `!${key}`;
  return `${key}${row.op}${row.value}`;
}

/** The operator found first wins; two-character operators before their one-character prefixes. */
const OPERATOR = /^(.+?)(=~|!~|!=|>=|<=|=|<|>)(.*)$/s;

export function parseAttrParam(text: string): AttrFilterRow {
  const match = OPERATOR.exec(text);
  if (match) return { key: match[1]!, op: match[2] as AttrOperator, value: match[3]! };
  if (text.startsWith('!')) return { key: text.slice(1), op: 'absent', value: '' };
  return { key: text, op: 'exists', value: '' };
}

export function formFromQuery(query: URLSearchParams): SearchForm {
  const status = query.get('status');
  return {
    service: query.get('service') ?? '',
    operation: query.get('operation') ?? '',
    attrs: query.getAll('attr').map(parseAttrParam),
    minDuration: query.get('minDuration') ?? '',
    maxDuration: query.get('maxDuration') ?? '',
    spanMinDuration: query.get('spanMinDuration') ?? '',
    spanMaxDuration: query.get('spanMaxDuration') ?? '',
    status: status === 'error' || status === 'ok' ? status : 'any',
    limit: query.get('limit') ?? DEFAULT_LIMIT,
    range: parseRange(query),
  };
}

/** The URL parameters of a form (defaults and empty fields left out), for `hrefOf('/search', …)`. */
export function formParams(form: SearchForm): Record<string, string | string[] | undefined> {
  return {
    service: form.service,
    operation: form.service === '' ? undefined : form.operation,
    attr: form.attrs.map(attrParam).filter((p): p is string => p !== null),
    minDuration: form.minDuration.trim(),
    maxDuration: form.maxDuration.trim(),
    spanMinDuration: form.spanMinDuration.trim(),
    spanMaxDuration: form.spanMaxDuration.trim(),
    status: form.status === 'any' ? undefined : form.status,
    limit: form.limit.trim() === DEFAULT_LIMIT ? undefined : form.limit.trim(),
    ...rangeParams(form.range),
  };
}

/** The `GET /api/v1/traces` parameters of a form, relative ranges ending at `nowMs`. */
export function searchApiParams(form: SearchForm, nowMs: number, cursor?: string): Params {
  const { range: _range, start: _start, end: _end, ...rest } = formParams(form);
  return { ...rest, limit: form.limit.trim() || DEFAULT_LIMIT, ...apiRange(form.range, nowMs), cursor };
}
