/** Test-only helpers: span rows of small traces for the sampling unit tests. */
import { ATTRIBUTE_TYPE, emptyAttributes, type Attributes, type SpanRow } from '../../core/model/span.js';
import { spanRow } from '../../test/fixtures/generatedTraces.js';
import { traceView, type TraceView } from './policies/policy.js';

export const hex = (n: number | bigint, width: number) => n.toString(16).padStart(width, '0');

export function attrs(entries: Record<string, string | number | boolean>, doubles: string[] = []): Attributes {
  const a = emptyAttributes();
  for (const [key, value] of Object.entries(entries)) {
    a.keys.push(key);
    a.values.push(String(value));
    a.types += typeof value === 'string' ? ATTRIBUTE_TYPE.string : typeof value === 'boolean' ? ATTRIBUTE_TYPE.bool : doubles.includes(key) ? ATTRIBUTE_TYPE.double : ATTRIBUTE_TYPE.int;
  }
  return a;
}

/** A span of trace `trace` (a number or a 32-hex id); span n=1 is the root unless `parent` is given. */
export function span(trace: number | string, n: number, fields: Partial<SpanRow> = {}): SpanRow {
  const traceId = typeof trace === 'string' ? trace : hex(trace, 32);
  return spanRow({
    traceId,
    spanId: hex(n, 16),
    parentSpanId: n === 1 ? '' : hex(1, 16),
    serviceName: 'svc',
    name: `op${n}`,
    startTimeUnixNano: 1_000_000_000n,
    durationNs: 1_000_000n,
    ...fields,
  });
}

export function view(spans: SpanRow[]): TraceView {
  return traceView(spans[0]!.traceId, spans);
}
