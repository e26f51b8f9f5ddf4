/** Turns decoded resource, scope and span parts into validated span rows; shared by both decoders. */
import { MAX_TIMESTAMP_NS, isAllZeroHex } from '../model/ids.js';
import { UNKNOWN_SERVICE, type Attributes, type SpanEvent, type SpanLink, type SpanRow } from '../model/span.js';
import { InvalidSpanError, RequestTooLargeError, type SpanLimits } from './limits.js';

export interface ResourceContext {
  attributes: Attributes | null;
  droppedAttributesCount: number;
  schemaUrl: string;
  /** A limit broken by the resource: every span under it is rejected with this. */
  error: InvalidSpanError | null;
}

export interface ScopeContext {
  name: string;
  version: string;
  attributes: Attributes | null;
  droppedAttributesCount: number;
  schemaUrl: string;
  error: InvalidSpanError | null;
}

/** A span as decoded, before validation; ids are lowercase hex of whatever length was sent. */
export interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: Attributes | null;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  statusCode: number;
  statusMessage: string;
}

export interface DecodeResult {
  spans: SpanRow[];
  rejectedSpans: number;
  /** Why spans were rejected: the first few distinct reasons, for the partial-success message. */
  rejectionReasons: string[];
}

export type FoundPart = 'spans' | 'resourceSpans' | 'scopeSpans';

const MAX_REASONS = 5;
const EMPTY_ATTRIBUTES: Attributes = { keys: [], values: [], types: '' };

export class SpanAssembler {
  private readonly spans: SpanRow[] = [];
  private readonly found: Record<FoundPart, number> = { spans: 0, resourceSpans: 0, scopeSpans: 0 };
  private rejected = 0;
  private readonly reasons = new Set<string>();
  private readonly serviceNames = new WeakMap<Attributes, string>();

  constructor(readonly limits: SpanLimits) {}

  /**
   * Counts a span (or a resourceSpans or scopeSpans, each bounded alike) that the decoder has found,
   * before it decodes it: past maxSpansPerRequest the request is refused.
   */
  countFound(part: FoundPart, n = 1): void {
    if ((this.found[part] += n) > this.limits.maxSpansPerRequest) {
      throw new RequestTooLargeError(`the request holds more than ${this.limits.maxSpansPerRequest} ${part}`);
    }
  }

  /** Decodes one span with `decode` and keeps it, or counts it as rejected with the reason. */
  add(resource: ResourceContext, scope: ScopeContext, decode: () => RawSpan): void {
    let reason: string | null;
    try {
      const raw = decode();
      reason = resource.error?.message ?? scope.error?.message ?? invalidityOf(raw);
      if (reason === null) this.spans.push(this.toRow(resource, scope, raw));
    } catch (error) {
      if (!(error instanceof InvalidSpanError)) throw error;
      reason = error.message;
    }
    if (reason !== null) this.reject(reason);
  }

  /** Counts a span rejected without being decoded. */
  reject(reason: string): void {
    this.rejected++;
    if (this.reasons.size < MAX_REASONS) this.reasons.add(reason);
  }

  result(): DecodeResult {
    return { spans: this.spans, rejectedSpans: this.rejected, rejectionReasons: [...this.reasons] };
  }

  private toRow(resource: ResourceContext, scope: ScopeContext, raw: RawSpan): SpanRow {
    const resourceAttributes = resource.attributes ?? EMPTY_ATTRIBUTES;
    return {
      traceId: raw.traceId,
      spanId: raw.spanId,
      parentSpanId: raw.parentSpanId,
      traceState: raw.traceState,
      flags: raw.flags,
      name: raw.name,
      kind: raw.kind,
      serviceName: this.serviceName(resourceAttributes),
      startTimeUnixNano: raw.startTimeUnixNano,
      durationNs: raw.endTimeUnixNano - raw.startTimeUnixNano,
      statusCode: raw.statusCode,
      statusMessage: raw.statusMessage,
      attributes: raw.attributes ?? EMPTY_ATTRIBUTES,
      droppedAttributesCount: raw.droppedAttributesCount,
      events: raw.events,
      droppedEventsCount: raw.droppedEventsCount,
      links: raw.links,
      droppedLinksCount: raw.droppedLinksCount,
      resourceAttributes,
      resourceDroppedAttributesCount: resource.droppedAttributesCount,
      resourceSchemaUrl: resource.schemaUrl,
      scopeName: scope.name,
      scopeVersion: scope.version,
      scopeAttributes: scope.attributes ?? EMPTY_ATTRIBUTES,
      scopeDroppedAttributesCount: scope.droppedAttributesCount,
      scopeSchemaUrl: scope.schemaUrl,
      sampleWeight: 1,
      samplingPolicy: '',
    };
  }

  private serviceName(resourceAttributes: Attributes): string {
    let name = this.serviceNames.get(resourceAttributes);
    if (name === undefined) {
      const i = resourceAttributes.keys.indexOf('service.name');
      name = i >= 0 && resourceAttributes.types[i] === 's' && resourceAttributes.values[i] ? resourceAttributes.values[i]! : UNKNOWN_SERVICE;
      this.serviceNames.set(resourceAttributes, name);
    }
    return name;
  }
}

/**
 * Why a decoded span cannot be stored, or null. Returned rather than thrown: a request of many invalid
 * spans (empty ones, say) is cheap to answer only if rejecting a span is.
 * OTLP: trace ids are 16 bytes, span ids 8, neither all zero; the parent is empty for a root.
 */
function invalidityOf(raw: RawSpan): string | null {
  if (raw.traceId.length !== 32) return `span trace id must be 16 bytes, got ${raw.traceId.length / 2}`;
  if (isAllZeroHex(raw.traceId)) return 'span trace id is all zeros';
  if (raw.spanId.length !== 16) return `span id must be 8 bytes, got ${raw.spanId.length / 2}`;
  if (isAllZeroHex(raw.spanId)) return 'span id is all zeros';
  if (raw.parentSpanId.length !== 0 && raw.parentSpanId.length !== 16) {
    return `span parent id must be empty or 8 bytes, got ${raw.parentSpanId.length / 2}`;
  }
  // An all-zero parent is how some SDKs write "no parent".
  if (raw.parentSpanId.length !== 0 && isAllZeroHex(raw.parentSpanId)) raw.parentSpanId = '';
  for (const link of raw.links) {
    if (link.traceId.length !== 32 || link.spanId.length !== 16) return 'span link must have a 16-byte trace id and an 8-byte span id';
  }
  if (raw.startTimeUnixNano > MAX_TIMESTAMP_NS || raw.endTimeUnixNano > MAX_TIMESTAMP_NS) return 'span start or end time is beyond the year 2262';
  for (const event of raw.events) {
    if (event.timeUnixNano > MAX_TIMESTAMP_NS) return 'span event time is beyond the year 2262';
  }
  return null;
}
