/** Bounds on what one span may carry; a span over any of them is rejected, the rest of its request kept. */
export interface SpanLimits {
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
