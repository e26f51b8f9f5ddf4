/** The find box of the trace view: which spans a query matches, and moving between matches. Pure. */
import { formatAttributeValue, type TypedValue } from './attributeValue.js';

export interface FindableSpan {
  spanId: string;
  name: string;
  service: string;
  attributes: ReadonlyArray<{ key: string } & TypedValue>;
}

/**
 * Indices of the spans that match `query`, case-insensitively: a substring of the span's name,
 * service, span id, or of an attribute's key or value; `key=value` matches an attribute with exactly
 * that key whose value contains `value`. An empty query matches nothing.
 */
export function findSpans(spans: readonly FindableSpan[], query: string): number[] {
  const needle = query.trim().toLowerCase();
  if (needle === '') return [];
  const equals = needle.indexOf('=');
  const pair = equals > 0 ? { key: needle.slice(0, equals).trim(), value: needle.slice(equals + 1).trim() } : null;
  const matches: number[] = [];
  for (let i = 0; i < spans.length; i++) {
    const span = spans[i]!;
    const hit =
      span.name.toLowerCase().includes(needle) ||
      span.service.toLowerCase().includes(needle) ||
      span.spanId.toLowerCase().includes(needle) ||
      span.attributes.some((attribute) => {
        const key = attribute.key.toLowerCase();
        const value = formatAttributeValue(attribute).toLowerCase();
        if (pair !== null && key === pair.key && value.includes(pair.value)) return true;
        return key.includes(needle) || value.includes(needle);
      });
    if (hit) matches.push(i);
  }
  return matches;
}

/**
 * The match to jump to from span index `from` (null: from nowhere), forwards or backwards, wrapping
 * around; null when there are no matches. `matches` is sorted.
 */
export function nextMatch(matches: readonly number[], from: number | null, direction: 1 | -1): number | null {
  if (matches.length === 0) return null;
  if (from === null) return direction === 1 ? matches[0]! : matches[matches.length - 1]!;
  if (direction === 1) return matches.find((m) => m > from) ?? matches[0]!;
  for (let i = matches.length - 1; i >= 0; i--) if (matches[i]! < from) return matches[i]!;
  return matches[matches.length - 1]!;
}
