/** Parsing of query parameters shared by the native and Jaeger APIs. Every error names the parameter. */
import { DucktraceError } from '../../core/errors.js';

const NS_PER_MS = 1_000_000n;
const HOUR_NS = 3_600_000_000_000n;
/** Times and durations are 64-bit nanoseconds in storage: up to 2262-04-11, or about 292 years. */
const MAX_NS = 2n ** 63n - 1n;

export function invalid(parameter: string, message: string): DucktraceError {
  return new DucktraceError('invalid_argument', `parameter "${parameter}": ${message}`);
}

/** Unix nanoseconds as a decimal string, or an ISO 8601 / RFC 3339 date-time, from 1970 to 2262. */
export function parseTime(value: string, parameter: string): bigint {
  if (/^\d{1,19}$/.test(value)) return withinStorage(BigInt(value), value, parameter, 'a time');
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) {
      // Date keeps milliseconds only; take the sub-millisecond digits from the text.
      const fraction = /\.(\d+)/.exec(value)?.[1] ?? '';
      const subMs = BigInt((fraction.slice(3, 9) || '0').padEnd(6, '0'));
      const ns = BigInt(ms) * NS_PER_MS + (fraction.length > 3 ? subMs : 0n);
      if (ns < 0n) throw invalid(parameter, `"${value.slice(0, 64)}" is before 1970`);
      return withinStorage(ns, value, parameter, 'a time');
    }
  }
  throw invalid(parameter, `"${value.slice(0, 64)}" is neither unix nanoseconds nor an ISO 8601 time`);
}

/** `ns` when storage's 64-bit nanoseconds hold it; else a 400 naming the parameter. */
function withinStorage(ns: bigint, text: string, parameter: string, what: 'a time' | 'a duration'): bigint {
  if (ns > MAX_NS) throw tooLarge(text, parameter, what);
  return ns;
}

function tooLarge(text: string, parameter: string, what: 'a time' | 'a duration'): DucktraceError {
  const bound = what === 'a time' ? '2262-04-11 (2^63-1 ns after 1970)' : 'about 292 years (2^63-1 ns)';
  return invalid(parameter, `"${text.slice(0, 64)}" is too large: ${what} goes up to ${bound}`);
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go-style durations ("250us", "100ms", "1.5s", "1m30s") or plain nanoseconds. */
export function parseDuration(value: string, parameter: string): bigint {
  if (/^\d{1,19}$/.test(value)) return withinStorage(BigInt(value), value, parameter, 'a duration');
  const parts = value.match(/(\d+(?:\.\d+)?)(ns|us|µs|μs|ms|s|m|h)/g);
  if (!parts || parts.join('') !== value) {
    throw invalid(parameter, `"${value.slice(0, 64)}" is not a duration such as 250us, 100ms, 1.5s, 2m or 1h (or nanoseconds)`);
  }
  let total = 0;
  for (const part of parts) {
    const [, number, unit] = /(\d+(?:\.\d+)?)(.+)/.exec(part)!;
    total += Number(number) * DURATION_UNITS[unit!]!;
  }
  if (!Number.isFinite(total) || total >= Number(MAX_NS)) throw tooLarge(value, parameter, 'a duration');
  return BigInt(Math.round(total));
}

export function parseInteger(value: string, parameter: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalid(parameter, `"${value.slice(0, 64)}" must be a whole number from ${min} to ${max}`);
  return n;
}

export interface TimeRange {
  startNs: bigint;
  endNs: bigint;
}

/** `start`/`end` (any accepted time form), defaulting to the last `defaultHours`, at most `maxHours` wide. */
export function parseTimeRange(
  start: string | undefined,
  end: string | undefined,
  options: { nowNs: bigint; defaultHours: number; maxHours: number; startName?: string; endName?: string },
): TimeRange {
  const startName = options.startName ?? 'start';
  const endName = options.endName ?? 'end';
  const endNs = end !== undefined ? parseTime(end, endName) : options.nowNs;
  const startNs = start !== undefined ? parseTime(start, startName) : endNs - BigInt(options.defaultHours) * HOUR_NS;
  if (startNs >= endNs) throw invalid(startName, `must be before ${endName}`);
  if (endNs - startNs > BigInt(options.maxHours) * HOUR_NS) {
    throw invalid(startName, `the time range is wider than the limit of ${options.maxHours} hours (maxQueryRangeHours)`);
  }
  return { startNs, endNs };
}

/** A query-string value that may repeat: fastify gives a string or an array. */
export function list(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function single(value: string | string[] | undefined, parameter: string): string | undefined {
  if (Array.isArray(value)) {
    if (value.length > 1) throw invalid(parameter, 'may be given only once');
    return value[0];
  }
  return value === '' ? undefined : value;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * NS_PER_MS;
}
