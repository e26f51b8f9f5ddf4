/**
 * Jaeger's query parameters translated to ducktrace's search: microsecond and millisecond times,
 * Go durations, lookbacks such as `2d`, tags as a JSON map or repeated `tag=key:value`, and the
 * tags that are not attributes in OTel (`error`, `span.kind`, `otel.status_code`). Pure; every error
 * names its parameter.
 */
import { normalizeTraceId } from '../../core/model/ids.js';
import { STATUS_CODE_ERROR } from '../../core/model/span.js';
import type { AttributeFilter } from '../services/attributeFilter.js';
import { parseSpanKind } from '../services/catalog.js';
import { invalid, list, parseDuration, parseTimeRange, type TimeRange } from '../services/queryParams.js';

const NS_PER_US = 1000n;
const NS_PER_MS = 1_000_000n;
const HOUR_NS = 3_600_000_000_000n;
const DAY_NS = 24n * HOUR_NS;
/** As search's attribute filters. */
const MAX_TAGS = 32;

export type QueryValue = string | string[] | undefined;

/** A single-valued parameter: empty (`maxDuration=` or a bare `maxDuration`, as Jaeger UI sends) is absent. */
export function optional(value: QueryValue, parameter: string): string | undefined {
  const values = list(value).filter((v) => v !== '');
  if (new Set(values).size > 1) throw invalid(parameter, 'may be given only once');
  return values[0];
}

/** api_v3 accepts a parameter in its proto (snake_case) and its JSON (camelCase) spelling. */
export function eitherSpelling(query: Record<string, QueryValue>, names: readonly string[]): { name: string; value: string | undefined } {
  const given = names.map((name) => ({ name, value: optional(query[name], name) })).filter((p) => p.value !== undefined);
  if (given.length > 1) throw invalid(given[0]!.name, `is also given as "${given[1]!.name}"; give one of them`);
  return given[0] ?? { name: names[0]!, value: undefined };
}

/** Unix microseconds (Jaeger's `start`/`end`) to nanoseconds. */
export function parseMicros(value: string, parameter: string): bigint {
  if (!/^\d{1,16}$/.test(value)) throw invalid(parameter, `"${value.slice(0, 64)}" is not a time in unix microseconds`);
  return BigInt(value) * NS_PER_US;
}

/** Milliseconds (Jaeger's dependencies `endTs`/`lookback`) to nanoseconds. */
export function parseMillis(value: string, parameter: string): bigint {
  if (!/^\d{1,13}$/.test(value)) throw invalid(parameter, `"${value.slice(0, 64)}" is not a whole number of milliseconds`);
  return BigInt(value) * NS_PER_MS;
}

/** Jaeger UI's lookback: a Go duration (`1h`, `30m`), whole days (`2d`), or `custom` (the range is in start/end). */
export function parseLookback(value: string, parameter = 'lookback'): bigint | undefined {
  if (value === 'custom') return undefined;
  const days = /^(\d{1,5})d$/.exec(value);
  const ns = days ? BigInt(days[1]!) * DAY_NS : parseDuration(value, parameter);
  if (ns <= 0n) throw invalid(parameter, 'must be longer than zero');
  return ns;
}

/** strconv.ParseBool's spellings, which Jaeger and grpc-gateway accept for bool parameters; absent is false. */
export function parseGoBool(value: string | undefined, parameter: string): boolean {
  if (value === undefined) return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw invalid(parameter, `"${value.slice(0, 64)}" is not true or false`);
}

/** A Go (or protobuf JSON) duration, `100ms`, `1.5s`, `0.1s`. */
export function parseGoDuration(value: string, parameter: string): bigint {
  return parseDuration(value, parameter);
}

/** The classic API's time range: `start`/`end` in microseconds, else `end` less `lookback`, else the default. */
export function classicTimeRange(
  params: { start?: string; end?: string; lookback?: string },
  options: { nowNs: bigint; defaultHours: number; maxHours: number },
): TimeRange {
  const endNs = params.end !== undefined ? parseMicros(params.end, 'end') : options.nowNs;
  let startNs: bigint;
  let startName = 'start';
  const lookbackNs = params.lookback !== undefined ? parseLookback(params.lookback) : undefined;
  if (params.start !== undefined) startNs = parseMicros(params.start, 'start');
  else if (lookbackNs !== undefined) {
    startNs = endNs - lookbackNs;
    startName = 'lookback';
  } else startNs = endNs - BigInt(Math.min(48, options.maxHours)) * HOUR_NS;
  return parseTimeRange(String(startNs < 0n ? 0n : startNs), String(endNs), { ...options, startName, endName: 'end' });
}

/** Dependencies: `endTs` and `lookback` in milliseconds (default now and a day), clamped to the widest allowed range. */
export function dependenciesTimeRange(params: { endTs?: string; lookback?: string }, options: { nowNs: bigint; maxHours: number }): TimeRange {
  const endNs = params.endTs !== undefined ? parseMillis(params.endTs, 'endTs') : options.nowNs;
  const lookbackNs = params.lookback !== undefined ? parseMillis(params.lookback, 'lookback') : 24n * HOUR_NS;
  if (lookbackNs <= 0n) throw invalid('lookback', 'must be longer than zero');
  const maxNs = BigInt(options.maxHours) * HOUR_NS;
  const startNs = endNs - (lookbackNs < maxNs ? lookbackNs : maxNs);
  return { startNs: startNs < 0n ? 0n : startNs, endNs };
}

/** A `limit`: 0 or absent is the default; more than the maximum is the maximum (Jaeger UI offers up to 1500). */
export function parseLimit(value: string | undefined, parameter: string, options: { defaultLimit: number; max: number }): number {
  if (value === undefined) return Math.min(options.defaultLimit, options.max);
  if (!/^\d{1,9}$/.test(value)) throw invalid(parameter, `"${value.slice(0, 64)}" is not a whole number`);
  const n = Number(value);
  return Math.min(n === 0 ? options.defaultLimit : n, options.max);
}

/** Jaeger trace ids may be 64-bit (16 hex digits) or written without leading zeros: padded to 32. */
export function parseJaegerTraceId(text: string, parameter: string): string {
  const id = /^[0-9a-fA-F]{1,32}$/.test(text) ? normalizeTraceId(text.padStart(32, '0')) : null;
  if (!id) throw invalid(parameter, `"${text.slice(0, 64)}" is not a trace id (1 to 32 hex digits, not all zeros)`);
  return id;
}

/** Tags as Jaeger takes them: a JSON object of strings (`tags`, api_v3's `query.attributes`). */
export function parseTagsJson(text: string, parameter: string): Array<[string, string]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid(parameter, `is not JSON; expected an object such as {"http.status_code":"500"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid(parameter, 'must be a JSON object such as {"http.status_code":"500"}');
  }
  return Object.entries(parsed).map(([key, value]) => {
    if (typeof value === 'string') return [key, value];
    if (typeof value === 'number' || typeof value === 'boolean') return [key, String(value)];
    throw invalid(parameter, `the value of "${key.slice(0, 100)}" must be a string`);
  });
}

/** Repeated `tag=key:value`; the first colon ends the key, so values may hold colons. */
export function parseTagList(values: string[], parameter = 'tag'): Array<[string, string]> {
  return values
    .filter((v) => v !== '')
    .map((text) => {
      const at = text.indexOf(':');
      if (at <= 0) throw invalid(parameter, `"${text.slice(0, 100)}" is not key:value`);
      return [text.slice(0, at), text.slice(at + 1)];
    });
}

/** Span-level conditions that are fields, not attributes, in OTel. */
export interface SpanFilters {
  /** OTLP span kind number. */
  kind?: number;
  /** The matching span's status code is one of these. */
  statusCodes?: number[];
}

export interface TagSearch {
  attributes: AttributeFilter[];
  spanFilters: SpanFilters;
}

const STATUS_CODES: Record<string, number> = { UNSET: 0, OK: 1, ERROR: STATUS_CODE_ERROR };

/**
 * Tags to search filters. `error=true` is a span with status ERROR (`false`: any other status),
 * `span.kind=server` the span kind, `otel.status_code=OK` the status; every other tag is an attribute
 * equality filter (span attributes, else resource attributes), all on the same span.
 */
export function translateTags(tags: Array<[string, string]>, parameter: string): TagSearch {
  if (tags.length > MAX_TAGS) throw invalid(parameter, `at most ${MAX_TAGS} tags`);
  const attributes: AttributeFilter[] = [];
  const spanFilters: SpanFilters = {};
  const narrowStatus = (codes: number[]): void => {
    spanFilters.statusCodes = spanFilters.statusCodes ? spanFilters.statusCodes.filter((c) => codes.includes(c)) : codes;
  };
  for (const [rawKey, value] of tags) {
    const key = rawKey.trim();
    if (key === '') throw invalid(parameter, 'a tag needs a key');
    if (key === 'error') {
      if (value !== 'true' && value !== 'false') throw invalid(parameter, `tag "error" must be true or false, not "${value.slice(0, 64)}"`);
      narrowStatus(value === 'true' ? [STATUS_CODE_ERROR] : [0, 1]);
    } else if (key === 'span.kind') {
      const kind = parseSpanKind(value);
      if (kind === undefined) throw invalid(parameter, `tag "span.kind" must be server, client, producer, consumer or internal, not "${value.slice(0, 64)}"`);
      // Two different kinds on one span match nothing: say so with an empty status set.
      if (spanFilters.kind !== undefined && spanFilters.kind !== kind) narrowStatus([]);
      spanFilters.kind = kind;
    } else if (key === 'otel.status_code') {
      const code = STATUS_CODES[value.toUpperCase().replace(/^STATUS_CODE_/, '')];
      if (code === undefined) throw invalid(parameter, `tag "otel.status_code" must be OK, ERROR or UNSET, not "${value.slice(0, 64)}"`);
      narrowStatus([code]);
    } else {
      attributes.push({ key, op: '=', value });
    }
  }
  return { attributes, spanFilters };
}

