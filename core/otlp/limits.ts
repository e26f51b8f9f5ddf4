/**
 * Bounds on what one request and each span in it may carry. A span over a span bound is rejected and the
 * rest of its request kept; a request over maxSpansPerRequest is refused whole.
 */
export interface SpanLimits {
  /** Spans in one request, valid or not: counted as they are found, before they are decoded. */
  maxSpansPerRequest: number;
  /** Per attribute set (span, resource, scope, event, link). */
  maxAttributes: number;
  maxAttributeKeyLength: number;
  /** Length of a value's stored text: characters of a string, base64 of bytes, JSON of an array or kvlist. */
  maxAttributeValueLength: number;
  /** Nesting of arrays and kvlists inside one attribute value. */
  maxValueDepth: number;
  maxEventsPerSpan: number;
  maxLinksPerSpan: number;
}

export const DEFAULT_SPAN_LIMITS: SpanLimits = {
  maxSpansPerRequest: 100_000,
  maxAttributes: 1024,
  maxAttributeKeyLength: 1024,
  maxAttributeValueLength: 64 * 1024,
  maxValueDepth: 8,
  maxEventsPerSpan: 1024,
  maxLinksPerSpan: 1024,
};

/** A span broke a limit or a validity rule: reject that span only. */
export class InvalidSpanError extends Error {}

/** The request body itself cannot be decoded: reject the whole request. */
export class MalformedRequestError extends Error {}

/** The request holds more than a request may (maxSpansPerRequest): refuse it whole, as too large. */
export class RequestTooLargeError extends Error {}
