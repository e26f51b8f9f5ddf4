/**
 * The one span row: what the decoders produce, the writer stores and the reader returns.
 * Attributes are kept as parallel key/value-text arrays plus one type letter per attribute,
 * the same layout as the storage columns, so decoding goes straight to storable rows.
 */

/** One letter per attribute type; see `AttributeType`. */
export const ATTRIBUTE_TYPE = {
  string: 's',
  bool: 'b',
  int: 'i',
  double: 'd',
  bytes: 'y',
  array: 'a',
  kvlist: 'k',
  empty: 'n',
} as const;

export type AttributeTypeName = keyof typeof ATTRIBUTE_TYPE;
export type AttributeTypeLetter = (typeof ATTRIBUTE_TYPE)[AttributeTypeName];

/**
 * Attributes in storage form. `values[i]` is the text form of the value (see core/otlp/anyValue.ts);
 * `types[i]` is its type letter, so the type survives the round trip through a text column.
 */
export interface Attributes {
  keys: string[];
  values: string[];
  types: string;
}

export interface SpanEvent {
  timeUnixNano: bigint;
  name: string;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export interface SpanLink {
  traceId: string;
  spanId: string;
  traceState: string;
  flags: number;
  attributes: Attributes;
  droppedAttributesCount: number;
}

export const SPAN_KIND_NAMES = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'] as const;
export const SPAN_KIND_SERVER = 2;
export const SPAN_KIND_CLIENT = 3;
export const STATUS_CODE_NAMES = ['UNSET', 'OK', 'ERROR'] as const;
export const STATUS_CODE_ERROR = 2;

export interface SpanRow {
  /** 32 lowercase hex characters. */
  traceId: string;
  /** 16 lowercase hex characters. */
  spanId: string;
  /** 16 lowercase hex characters, or '' for a root span. */
  parentSpanId: string;
  traceState: string;
  flags: number;
  name: string;
  kind: number;
  serviceName: string;
  startTimeUnixNano: bigint;
  /** end - start; may be negative when a client sent an end before its start (stored as sent). */
  durationNs: bigint;
  statusCode: number;
  statusMessage: string;
  attributes: Attributes;
  droppedAttributesCount: number;
  events: SpanEvent[];
  droppedEventsCount: number;
  links: SpanLink[];
  droppedLinksCount: number;
  resourceAttributes: Attributes;
  resourceDroppedAttributesCount: number;
  resourceSchemaUrl: string;
  scopeName: string;
  scopeVersion: string;
  scopeAttributes: Attributes;
  scopeDroppedAttributesCount: number;
  scopeSchemaUrl: string;
  /** 1 / the probability that this span was kept. */
  sampleWeight: number;
  /** The tail-sampling policy that kept the span's trace; '' when tail sampling did not decide. */
  samplingPolicy: string;
}

export const UNKNOWN_SERVICE = 'unknown_service';

export function emptyAttributes(): Attributes {
  return { keys: [], values: [], types: '' };
}
