/**
 * ExportTraceServiceRequest in OTLP/JSON into span rows. OTLP/JSON is proto3 JSON with OTLP's rules:
 * lowerCamelCase keys, hex trace and span ids, enums as integers (names accepted too), 64-bit integers
 * as decimal strings or numbers, unknown fields ignored.
 */
import type { Attributes, SpanEvent, SpanLink } from '../model/span.js';
import {
  AttributesBuilder,
  doubleToJson,
  maxValueEntries,
  storedValueOfJson,
  tooManyValueEntries,
  type AnyValueJson,
  type KeyValueJson,
} from './anyValue.js';
import { flawError, MAX_NUMBER_CHARS, parsePiece, scanExportTraceRequest, type Piece, type ScanBounds } from './jsonScanner.js';
import { InvalidSpanError, MalformedRequestError, type SpanLimits } from './limits.js';
import { runToEnd, type Pauser, type Steps } from './slices.js';
import { SpanAssembler, type DecodeResult, type RawSpan, type ResourceContext, type ScopeContext } from './spanAssembler.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const HEX = /^[0-9a-fA-F]*$/;
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;
const INTEGER = /^-?\d+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Bodies up to this size are parsed whole, the fastest way, and cannot hold the event loop long; larger
 * ones are scanned and parsed a piece (a span, a resource, a scope) at a time.
 */
export const WHOLE_PARSE_MAX_BYTES = 1024 * 1024;

export function decodeExportTraceRequestJson(body: Buffer, limits: SpanLimits): DecodeResult {
  return runToEnd((pauser) => jsonRequestSteps(body, limits, pauser));
}

/** The decoder as steps (see slices.ts): it pauses after each span, and while it scans a large body. */
export function* jsonRequestSteps(body: Buffer, limits: SpanLimits, pauser: Pauser, wholeParseMaxBytes = WHOLE_PARSE_MAX_BYTES): Steps<DecodeResult> {
  const assembler = new SpanAssembler(limits);
  // An empty body is the empty request, as it is in protobuf.
  if (body.length === 0) return assembler.result();
  if (body.length <= wholeParseMaxBytes) yield* decodeWhole(body, assembler, limits, pauser);
  else yield* decodeInPieces(body, assembler, limits, pauser);
  return assembler.result();
}

function* decodeWhole(body: Buffer, assembler: SpanAssembler, limits: SpanLimits, pauser: Pauser): Steps<void> {
  let request: Json;
  try {
    request = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new MalformedRequestError(`json: ${(error as Error).message}`);
  }
  const root = object(request, 'ExportTraceServiceRequest');
  const resourceSpansList = array(root.resourceSpans, 'resourceSpans').map((json) => object(json, 'resourceSpans[]'));
  // Counted before any span is decoded, as a large body is while it is scanned.
  for (const resourceSpans of resourceSpansList) {
    assembler.countFound('resourceSpans');
    for (const scopeSpans of array(resourceSpans.scopeSpans, 'scopeSpans')) {
      assembler.countFound('scopeSpans');
      assembler.countFound('spans', array(object(scopeSpans, 'scopeSpans[]').spans, 'spans').length);
    }
  }
  for (const resourceSpans of resourceSpansList) {
    const resource = resourceContext(optionalObject(resourceSpans.resource, 'resource'), resourceSpans.schemaUrl, limits);
    for (const scopeSpansJson of array(resourceSpans.scopeSpans, 'scopeSpans')) {
      const scopeSpans = object(scopeSpansJson, 'scopeSpans[]');
      const scope = scopeContext(optionalObject(scopeSpans.scope, 'scope'), scopeSpans.schemaUrl, limits);
      for (const spanJson of array(scopeSpans.spans, 'spans')) {
        const span = object(spanJson, 'spans[]');
        assembler.add(resource, scope, () => decodeSpan(span, limits));
        if (pauser.due()) yield;
      }
    }
  }
}

function* decodeInPieces(body: Buffer, assembler: SpanAssembler, limits: SpanLimits, pauser: Pauser): Steps<void> {
  const index = yield* scanExportTraceRequest(body, scanBoundsOf(limits, assembler), pauser);
  for (const resourceSpans of index) {
    const schemaUrl = resourceSpans.schemaUrl ? parsePiece(body, resourceSpans.schemaUrl) : undefined;
    const resource = fromPiece(body, resourceSpans.resource, 'resource', (json) => resourceContext(json, schemaUrl, limits));
    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scopeSchemaUrl = scopeSpans.schemaUrl ? parsePiece(body, scopeSpans.schemaUrl) : undefined;
      const scope = fromPiece(body, scopeSpans.scope, 'scope', (json) => scopeContext(json, scopeSchemaUrl, limits));
      for (const piece of scopeSpans.spans) {
        const flaw = flawError(piece);
        if (flaw) assembler.reject(flaw.message);
        else {
          const span = object(parsePiece(body, piece), 'spans[]');
          assembler.add(resource, scope, () => decodeSpan(span, limits));
        }
        if (pauser.due()) yield;
      }
    }
  }
}

/** A resource or scope from its piece; a flawed piece rejects the spans under it, unparsed. */
function fromPiece<T extends { error: InvalidSpanError | null }>(body: Buffer, piece: Piece | null, what: string, build: (json: JsonObject | undefined) => T): T {
  const flaw = piece && flawError(piece);
  const context = build(piece && !flaw ? optionalObject(parsePiece(body, piece), what) : undefined);
  context.error ??= flaw;
  return context;
}

/** What a large body's pieces may hold before they are rejected unparsed: more than any limit lets a span keep. */
function scanBoundsOf(limits: SpanLimits, assembler: SpanAssembler): ScanBounds {
  const maxEntries = Math.max(limits.maxAttributes, limits.maxEventsPerSpan, limits.maxLinksPerSpan, maxValueEntries(limits));
  return {
    maxEntries,
    tooManyEntries: `a span, or its resource or scope, holds more than ${maxEntries} entries in one JSON array or object`,
    // A span, its events, their attributes and value: 6 levels, then 3 per level of nested array or kvlist.
    maxDepth: 8 + 3 * (limits.maxValueDepth + 1),
    tooDeep: `attribute value nests arrays or kvlists deeper than ${limits.maxValueDepth} levels`,
    found: (part) => assembler.countFound(part),
  };
}

function resourceContext(json: JsonObject | undefined, schemaUrl: Json, limits: SpanLimits): ResourceContext {
  const resource: ResourceContext = {
    attributes: null,
    droppedAttributesCount: uint32(json?.droppedAttributesCount, 'resource.droppedAttributesCount'),
    schemaUrl: string(schemaUrl, 'resourceSpans.schemaUrl'),
    error: null,
  };
  resource.attributes = guarded(resource, () => attributes(json?.attributes, limits, 'resource'));
  return resource;
}

function scopeContext(json: JsonObject | undefined, schemaUrl: Json, limits: SpanLimits): ScopeContext {
  const scope: ScopeContext = {
    name: string(json?.name, 'scope.name'),
    version: string(json?.version, 'scope.version'),
    attributes: null,
    droppedAttributesCount: uint32(json?.droppedAttributesCount, 'scope.droppedAttributesCount'),
    schemaUrl: string(schemaUrl, 'scopeSpans.schemaUrl'),
    error: null,
  };
  scope.attributes = guarded(scope, () => attributes(json?.attributes, limits, 'instrumentation scope'));
  return scope;
}

/** A limit broken by a resource or scope rejects its spans; the rest of the request still decodes. */
function guarded(context: { error: InvalidSpanError | null }, build: () => Attributes): Attributes | null {
  try {
    return build();
  } catch (error) {
    if (!(error instanceof InvalidSpanError)) throw error;
    context.error = error;
    return null;
  }
}

function decodeSpan(json: JsonObject, limits: SpanLimits): RawSpan {
  const events = array(json.events, 'span.events');
  const links = array(json.links, 'span.links');
  const status = optionalObject(json.status, 'span.status');
  // Decode everything first: a malformed field fails the request even when a limit would reject the span.
  const span: RawSpan = {
    traceId: id(json.traceId, 'span.traceId'),
    spanId: id(json.spanId, 'span.spanId'),
    parentSpanId: id(json.parentSpanId, 'span.parentSpanId'),
    traceState: string(json.traceState, 'span.traceState'),
    flags: uint32(json.flags, 'span.flags'),
    name: string(json.name, 'span.name'),
    kind: enumValue(json.kind, SPAN_KINDS, 'span.kind'),
    startTimeUnixNano: uint64(json.startTimeUnixNano, 'span.startTimeUnixNano'),
    endTimeUnixNano: uint64(json.endTimeUnixNano, 'span.endTimeUnixNano'),
    attributes: null,
    droppedAttributesCount: uint32(json.droppedAttributesCount, 'span.droppedAttributesCount'),
    events: [],
    droppedEventsCount: uint32(json.droppedEventsCount, 'span.droppedEventsCount'),
    links: [],
    droppedLinksCount: uint32(json.droppedLinksCount, 'span.droppedLinksCount'),
    statusCode: enumValue(status?.code, STATUS_CODES, 'status.code'),
    statusMessage: string(status?.message, 'status.message'),
  };
  const attributeErrors: InvalidSpanError[] = [];
  const collect = <T>(build: () => T): T | null => {
    try {
      return build();
    } catch (error) {
      if (!(error instanceof InvalidSpanError)) throw error;
      attributeErrors.push(error);
      return null;
    }
  };
  span.attributes = collect(() => attributes(json.attributes, limits, 'span'));
  for (const eventJson of events) {
    const event = collect(() => decodeEvent(object(eventJson, 'span.events[]'), limits));
    if (event) span.events.push(event);
  }
  for (const linkJson of links) {
    const link = collect(() => decodeLink(object(linkJson, 'span.links[]'), limits));
    if (link) span.links.push(link);
  }
  if (attributeErrors.length > 0) throw attributeErrors[0];
  if (events.length > limits.maxEventsPerSpan) throw new InvalidSpanError(`span has more than ${limits.maxEventsPerSpan} events`);
  if (links.length > limits.maxLinksPerSpan) throw new InvalidSpanError(`span has more than ${limits.maxLinksPerSpan} links`);
  return span;
}

function decodeEvent(json: JsonObject, limits: SpanLimits): SpanEvent {
  return {
    timeUnixNano: uint64(json.timeUnixNano, 'event.timeUnixNano'),
    name: string(json.name, 'event.name'),
    droppedAttributesCount: uint32(json.droppedAttributesCount, 'event.droppedAttributesCount'),
    attributes: attributes(json.attributes, limits, 'span event'),
  };
}

function decodeLink(json: JsonObject, limits: SpanLimits): SpanLink {
  return {
    traceId: id(json.traceId, 'link.traceId'),
    spanId: id(json.spanId, 'link.spanId'),
    traceState: string(json.traceState, 'link.traceState'),
    flags: uint32(json.flags, 'link.flags'),
    droppedAttributesCount: uint32(json.droppedAttributesCount, 'link.droppedAttributesCount'),
    attributes: attributes(json.attributes, limits, 'span link'),
  };
}

function attributes(json: Json, limits: SpanLimits, where: string): Attributes {
  const builder = new AttributesBuilder(limits, where);
  const list = array(json, `${where} attributes`);
  const decoded = list.map((kv) => keyValue(kv, 1, limits));
  for (const kv of decoded) builder.add(kv.key, storedValueOfJson(kv.value));
  return builder.build();
}

function keyValue(json: Json, depth: number, limits: SpanLimits): KeyValueJson {
  const kv = object(json, 'attribute');
  return { key: string(kv.key, 'attribute.key'), value: anyValue(kv.value, depth, limits) };
}

/** Canonical AnyValue; nesting deeper than the limit rejects the span, without recursing further. */
function anyValue(json: Json, depth: number, limits: SpanLimits): AnyValueJson {
  if (json === undefined || json === null) return {};
  const value = object(json, 'AnyValue');
  if (value.stringValue !== undefined && value.stringValue !== null) return { stringValue: string(value.stringValue, 'stringValue') };
  if (value.boolValue !== undefined && value.boolValue !== null) {
    if (typeof value.boolValue !== 'boolean') throw new MalformedRequestError('json: boolValue must be true or false');
    return { boolValue: value.boolValue };
  }
  if (value.intValue !== undefined && value.intValue !== null) return { intValue: int64(value.intValue, 'intValue') };
  if (value.doubleValue !== undefined && value.doubleValue !== null) return { doubleValue: doubleToJson(double(value.doubleValue)) };
  if (value.bytesValue !== undefined && value.bytesValue !== null) return { bytesValue: base64(value.bytesValue) };
  if (value.arrayValue !== undefined && value.arrayValue !== null) {
    nestingAllowed(depth, limits);
    const values = entries(array(object(value.arrayValue, 'arrayValue').values, 'arrayValue.values'), limits);
    return { arrayValue: { values: values.map((item) => anyValue(item, depth + 1, limits)) } };
  }
  if (value.kvlistValue !== undefined && value.kvlistValue !== null) {
    nestingAllowed(depth, limits);
    const values = entries(array(object(value.kvlistValue, 'kvlistValue').values, 'kvlistValue.values'), limits);
    return { kvlistValue: { values: values.map((item) => keyValue(item, depth + 1, limits)) } };
  }
  return {};
}

function nestingAllowed(depth: number, limits: SpanLimits): void {
  if (depth > limits.maxValueDepth) {
    throw new InvalidSpanError(`attribute value nests arrays or kvlists deeper than ${limits.maxValueDepth} levels`);
  }
}

function entries(values: Json[], limits: SpanLimits): Json[] {
  if (values.length > maxValueEntries(limits)) throw tooManyValueEntries(limits);
  return values;
}

function object(json: Json, what: string): JsonObject {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new MalformedRequestError(`json: ${what} must be an object`);
  return json as JsonObject;
}

function optionalObject(json: Json, what: string): JsonObject | undefined {
  return json === undefined || json === null ? undefined : object(json, what);
}

function array(json: Json, what: string): Json[] {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) throw new MalformedRequestError(`json: ${what} must be an array`);
  return json;
}

function string(json: Json, what: string): string {
  if (json === undefined || json === null) return '';
  if (typeof json !== 'string') throw new MalformedRequestError(`json: ${what} must be a string`);
  return json;
}

/** Ids are hex in OTLP/JSON; a wrong length is a span error, a non-hex character too. */
function id(json: Json, what: string): string {
  const text = string(json, what);
  if (!HEX.test(text) || text.length % 2 !== 0) throw new InvalidSpanError(`${what} is not an even-length hex string`);
  return text.toLowerCase();
}

function integer(json: Json, what: string): bigint {
  if (typeof json === 'number') {
    if (!Number.isInteger(json)) throw new MalformedRequestError(`json: ${what} must be an integer`);
    return BigInt(json);
  }
  if (typeof json === 'string' && INTEGER.test(json)) {
    // BigInt() of a long digit string takes time quadratic in its length; no int64 needs more than 20 digits.
    if (json.length > MAX_NUMBER_CHARS) throw new MalformedRequestError(`json: ${what} is longer than ${MAX_NUMBER_CHARS} characters`);
    return BigInt(json);
  }
  throw new MalformedRequestError(`json: ${what} must be an integer or a decimal string`);
}

function uint32(json: Json, what: string): number {
  if (json === undefined || json === null) return 0;
  const value = integer(json, what);
  if (value < 0n || value > 0xffffffffn) throw new MalformedRequestError(`json: ${what} is out of range for uint32`);
  return Number(value);
}

function uint64(json: Json, what: string): bigint {
  if (json === undefined || json === null) return 0n;
  const value = integer(json, what);
  if (value < 0n || value > UINT64_MAX) throw new MalformedRequestError(`json: ${what} is out of range for uint64`);
  return value;
}

function int64(json: Json, what: string): string {
  const value = integer(json, what);
  if (value < INT64_MIN || value > INT64_MAX) throw new MalformedRequestError(`json: ${what} is out of range for int64`);
  return value.toString();
}

function double(json: Json): number {
  if (typeof json === 'number') return json;
  if (json === 'NaN' || json === 'Infinity' || json === '-Infinity') return Number(json);
  if (typeof json === 'string' && json.trim() !== '' && Number.isFinite(Number(json))) return Number(json);
  throw new MalformedRequestError('json: doubleValue must be a number, "NaN", "Infinity" or "-Infinity"');
}

function base64(json: Json): string {
  const text = string(json, 'bytesValue');
  if (!BASE64.test(text)) throw new MalformedRequestError('json: bytesValue must be base64');
  // Re-encode so that url-safe or unpadded input is stored in one standard form.
  return Buffer.from(text, 'base64').toString('base64');
}

function enumValue(json: Json, names: Record<string, number>, what: string): number {
  if (json === undefined || json === null) return 0;
  if (typeof json === 'string' && json in names) return names[json]!;
  const value = integer(json, what);
  if (value < -(2n ** 31n) || value >= 2n ** 31n) throw new MalformedRequestError(`json: ${what} is out of range for an enum`);
  return Number(value);
}
