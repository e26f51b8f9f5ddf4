/**
 * Jaeger's JSON model (the classic `/api/*` API that Jaeger UI 1.x and Grafana's Jaeger data source
 * read), built from a ducktrace call tree. Pure. OTel fields become tags the way Jaeger's OTLP
 * translator makes them: `otel.scope.name`/`otel.scope.version` first, then the span attributes,
 * then `span.kind`, `otel.status_code`, `error`, `otel.status_description` and `w3c.tracestate`;
 * the parent becomes the first CHILD_OF reference, links FOLLOWS_FROM references, events logs.
 */
import type { TypedAttribute, TypedValue } from '../../core/otlp/anyValue.js';
import type { CallTree, SpanNode } from '../services/callTree.js';

export type JaegerTagType = 'string' | 'bool' | 'int64' | 'float64' | 'binary';

export interface JaegerTag {
  key: string;
  type: JaegerTagType;
  /** int64 beyond 2^53 and non-finite float64 are strings, so that no digit is lost. */
  value: string | number | boolean;
}

export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

export interface JaegerLog {
  timestamp: number;
  fields: JaegerTag[];
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: JaegerReference[];
  /** Unix microseconds. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerTag[];
  logs: JaegerLog[];
  processID: string;
  warnings: string[] | null;
  /** The W3C trace flags (bit 0: sampled, which is also Jaeger's sampled bit). */
  flags: number;
}

export interface JaegerProcess {
  serviceName: string;
  tags: JaegerTag[];
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, JaegerProcess>;
  warnings: string[] | null;
}

export interface JaegerError {
  code?: number;
  msg: string;
  traceID?: string;
}

/** The envelope every classic Jaeger endpoint answers with. */
export interface JaegerEnvelope<T> {
  data: T;
  total: number;
  limit: number;
  offset: number;
  errors: JaegerError[] | null;
}

export function envelope<T>(data: T, errors: JaegerError[] = []): JaegerEnvelope<T> {
  return { data, total: Array.isArray(data) ? data.length : 0, limit: 0, offset: 0, errors: errors.length > 0 ? errors : null };
}

export function errorEnvelope(code: number, msg: string): JaegerEnvelope<null> {
  return { data: null, total: 0, limit: 0, offset: 0, errors: [{ code, msg }] };
}

/** OTLP span kind names (as the call tree gives them) to Jaeger's lower-case `span.kind` values; '' for UNSPECIFIED. */
export function jaegerSpanKind(kind: string): string {
  return ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'].includes(kind) ? kind.toLowerCase() : '';
}

const NS_PER_US = 1000n;

/** Nanoseconds to whole microseconds, truncating toward zero as Go's Duration.Microseconds does. */
export function micros(ns: bigint | string): number {
  return Number(BigInt(ns) / NS_PER_US);
}

export function toJaegerTrace(tree: CallTree): JaegerTrace {
  const processes: Record<string, JaegerProcess> = {};
  const processIds = new Map<string, string>();
  const spans = tree.spans.map((node) => {
    const processKey = JSON.stringify([node.service, node.resource.attributes]);
    let processID = processIds.get(processKey);
    if (processID === undefined) {
      processID = `p${processIds.size + 1}`;
      processIds.set(processKey, processID);
      processes[processID] = {
        serviceName: node.service,
        tags: node.resource.attributes.filter((a) => a.key !== 'service.name').map(toJaegerTag),
      };
    }
    return toJaegerSpan(tree.traceId, node, processID);
  });
  return { traceID: tree.traceId, spans, processes, warnings: null };
}

export function toJaegerSpan(traceId: string, node: SpanNode, processID: string): JaegerSpan {
  const references: JaegerReference[] = [];
  if (node.parentSpanId !== '') references.push({ refType: 'CHILD_OF', traceID: traceId, spanID: node.parentSpanId });
  for (const link of node.links) {
    const refType = link.attributes.find((a) => a.key === 'opentracing.ref_type')?.value === 'child_of' ? 'CHILD_OF' : 'FOLLOWS_FROM';
    references.push({ refType, traceID: link.traceId, spanID: link.spanId });
  }

  const tags: JaegerTag[] = [];
  if (node.scope.name !== '') tags.push({ key: 'otel.scope.name', type: 'string', value: node.scope.name });
  if (node.scope.version !== '') tags.push({ key: 'otel.scope.version', type: 'string', value: node.scope.version });
  tags.push(...node.attributes.map(toJaegerTag));
  const kind = jaegerSpanKind(node.kind);
  if (kind !== '') tags.push({ key: 'span.kind', type: 'string', value: kind });
  if (node.status.code === 'OK' || node.status.code === 'ERROR') tags.push({ key: 'otel.status_code', type: 'string', value: node.status.code });
  if (node.status.code === 'ERROR') tags.push({ key: 'error', type: 'bool', value: true });
  if (node.status.message !== '') tags.push({ key: 'otel.status_description', type: 'string', value: node.status.message });
  if (node.traceState !== '') tags.push({ key: 'w3c.tracestate', type: 'string', value: node.traceState });

  return {
    traceID: traceId,
    spanID: node.spanId,
    operationName: node.name,
    references,
    startTime: micros(node.startTimeUnixNano),
    duration: micros(node.durationNs),
    tags,
    logs: node.events.map((event) => ({
      timestamp: micros(event.timeUnixNano),
      fields: [
        // As Jaeger's translator: the event name as an `event` field, unless an attribute already is one.
        ...(event.name !== '' && !event.attributes.some((a) => a.key === 'event') ? [{ key: 'event', type: 'string' as const, value: event.name }] : []),
        ...event.attributes.map(toJaegerTag),
      ],
    })),
    processID,
    warnings: node.warnings.length > 0 ? node.warnings : null,
    flags: node.flags & 0xff,
  };
}

/** One attribute as a Jaeger tag; arrays and kvlists become strings holding their JSON, as pcommon's AsString writes them. */
export function toJaegerTag(attribute: TypedAttribute): JaegerTag {
  const { key } = attribute;
  switch (attribute.type) {
    case 'string':
      return { key, type: 'string', value: attribute.value };
    case 'bool':
      return { key, type: 'bool', value: attribute.value };
    case 'int':
      return { key, type: 'int64', value: attribute.value };
    case 'double':
      return { key, type: 'float64', value: attribute.value };
    case 'bytes':
      return { key, type: 'binary', value: attribute.value };
    case 'array':
    case 'kvlist':
      return { key, type: 'string', value: plainJson(attribute) };
    default:
      return { key, type: 'string', value: '' };
  }
}

/** A typed value as plain JSON text: ints with every digit, bytes as base64, kvlist keys sorted (Go marshals maps so). */
export function plainJson(value: TypedValue): string {
  switch (value.type) {
    case 'string':
    case 'bytes':
      return JSON.stringify(value.value);
    case 'bool':
      return value.value ? 'true' : 'false';
    case 'int':
      return String(value.value);
    case 'double':
      // Non-finite doubles are the strings "NaN", "Infinity", "-Infinity".
      return JSON.stringify(value.value);
    case 'array':
      return `[${value.value.map(plainJson).join(',')}]`;
    case 'kvlist':
      return `{${[...value.value]
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
        .map((kv) => `${JSON.stringify(kv.key)}:${plainJson(kv)}`)
        .join(',')}}`;
    default:
      return 'null';
  }
}
