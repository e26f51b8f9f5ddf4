/**
 * Synthetic but realistic traces, encoded once into OTLP requests so that sending is all the load
 * generator does: 20 services, 200 operations, 6-15 semantic-convention attributes per span, events on
 * some spans, ~1.5% errors, log-normal latency per operation, traces of 1-50 spans and depth 1-10.
 * Traces start in time order across the window, as a live system exports them (a span is exported
 * seconds after it ends, so arrival order follows time).
 */
import { SpanKind, SpanStatusCode, TraceFlags, type HrTime } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { random } from '../test/fixtures/random.js';

const SERVICES = Array.from({ length: 20 }, (_, i) => `service-${String(i).padStart(2, '0')}`);
const ROUTES = ['/api/orders/{id}', '/api/cart', '/api/users/{id}', '/api/search', '/api/checkout', '/healthz', '/api/items/{sku}', '/api/payments', '/api/shipping/quote', '/api/recommendations'];

export interface Workload {
  requests: Buffer[];
  spans: number;
  traces: number;
  /** About 100 trace ids, spread over the workload's time window, for query cases. */
  traceIds: string[];
}

/** The deepest call chain generated. */
export const MAX_DEPTH = 10;

export interface WorkloadOptions {
  spans: number;
  batchSize: number;
  encoding: 'protobuf' | 'json';
  seed?: number;
  /** Trace start times spread in order over [startMs, endMs); default the hour before now. */
  window?: { startMs: number; endMs: number };
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const rand = random(options.seed ?? 42);
  const hex = (bytes: number): string => {
    let out = '';
    for (let i = 0; i < bytes; i++) out += Math.floor(rand() * 256).toString(16).padStart(2, '0');
    return out;
  };
  const gaussian = (): number => Math.sqrt(-2 * Math.log(rand() || 1e-12)) * Math.cos(2 * Math.PI * rand());
  const resources = SERVICES.map((name, i) =>
    resourceFromAttributes({
      'service.name': name,
      'service.version': `1.${i}.0`,
      'service.instance.id': `${name}-${hex(4)}`,
      'host.name': `host-${i % 7}`,
      'deployment.environment.name': 'production',
      'telemetry.sdk.language': 'nodejs',
    }),
  );
  const operations = Array.from({ length: 200 }, (_, i) => ({
    service: i % SERVICES.length,
    name: `${['GET', 'POST', 'PUT', 'DELETE'][i % 4]} ${ROUTES[i % ROUTES.length]}#${i}`,
    medianMs: Math.exp(rand() * 5),
  }));
  const window = options.window ?? { startMs: Date.now() - 3_600_000, endMs: Date.now() };
  const windowStartNs = BigInt(Math.floor(window.startMs)) * 1_000_000n;
  const windowNs = (window.endMs - window.startMs) * 1e6;
  const spans: ReadableSpan[] = [];
  let traces = 0;
  const traceIds: string[] = [];
  // Traces hold 25.5 spans on average.
  const sampleEvery = Math.max(1, Math.round(options.spans / 25.5 / 100));
  while (spans.length < options.spans) {
    const traceId = hex(16);
    if (traces++ % sampleEvery === 0) traceIds.push(traceId);
    const size = Math.min(options.spans - spans.length, 1 + Math.floor(rand() * 50));
    const isError = rand() < 0.015;
    const traceStart = windowStartNs + BigInt(Math.floor((spans.length / options.spans) * windowNs));
    const ids: string[] = [];
    const depths: number[] = [];
    for (let i = 0; i < size; i++) {
      const spanId = hex(8);
      // A random earlier span is the parent; the root instead when that chain is already MAX_DEPTH deep.
      let parentIndex = i === 0 ? -1 : Math.floor(rand() * i);
      if (parentIndex > 0 && depths[parentIndex]! >= MAX_DEPTH) parentIndex = 0;
      const parent = parentIndex < 0 ? undefined : ids[parentIndex];
      ids.push(spanId);
      depths.push(parentIndex < 0 ? 1 : depths[parentIndex]! + 1);
      const op = operations[Math.floor(rand() * operations.length)]!;
      const durationNs = BigInt(Math.max(1000, Math.round(op.medianMs * Math.exp(0.6 * gaussian()) * 1e6)));
      const start = traceStart + BigInt(i) * 1000n;
      const attributes: Record<string, string | number | boolean> = {
        'http.request.method': op.name.split(' ')[0]!,
        'http.route': ROUTES[op.service % ROUTES.length]!,
        'http.response.status_code': isError && i === 0 ? 500 : 200,
        'url.scheme': 'https',
        'server.address': `${SERVICES[op.service]}.internal`,
        'server.port': 8080,
      };
      const extra = Math.floor(rand() * 10);
      for (let a = 0; a < extra; a++) attributes[`app.attribute_${a}`] = a % 3 === 0 ? Math.floor(rand() * 1000) : a % 3 === 1 ? `value-${Math.floor(rand() * 50)}` : rand() < 0.5;
      const events: TimedEvent[] = rand() < 0.2 ? [{ name: 'cache.miss', time: hr(start + 500n), attributes: { 'cache.key': `k-${Math.floor(rand() * 100)}` } }] : [];
      spans.push(readableSpan(traceId, spanId, parent, op.name, i === 0 ? SpanKind.SERVER : SpanKind.CLIENT, start, durationNs, attributes, events, resources[op.service]!, isError && i === 0));
    }
  }
  const requests: Buffer[] = [];
  const serializer = options.encoding === 'json' ? JsonTraceSerializer : ProtobufTraceSerializer;
  for (let i = 0; i < spans.length; i += options.batchSize) {
    requests.push(Buffer.from(serializer.serializeRequest(spans.slice(i, i + options.batchSize))!));
  }
  return { requests, spans: spans.length, traces, traceIds };
}

function hr(ns: bigint): HrTime {
  return [Number(ns / 1_000_000_000n), Number(ns % 1_000_000_000n)];
}

function readableSpan(
  traceId: string,
  spanId: string,
  parentSpanId: string | undefined,
  name: string,
  kind: SpanKind,
  start: bigint,
  durationNs: bigint,
  attributes: Record<string, string | number | boolean>,
  events: TimedEvent[],
  resource: Resource,
  isError: boolean,
): ReadableSpan {
  return {
    name,
    kind,
    spanContext: () => ({ traceId, spanId, traceFlags: TraceFlags.SAMPLED }),
    parentSpanContext: parentSpanId ? { traceId, spanId: parentSpanId, traceFlags: TraceFlags.SAMPLED } : undefined,
    startTime: hr(start),
    endTime: hr(start + durationNs),
    duration: hr(durationNs),
    status: isError ? { code: SpanStatusCode.ERROR, message: 'internal error' } : { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events,
    ended: true,
    resource,
    instrumentationScope: { name: '@opentelemetry/instrumentation-http', version: '0.57.0' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
