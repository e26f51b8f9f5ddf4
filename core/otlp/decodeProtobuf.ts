/**
 * ExportTraceServiceRequest (protobuf) straight into span rows, without building the OTLP object graph.
 * Field numbers: opentelemetry/proto/trace/v1/trace.proto and common/v1/common.proto.
 */
import { ATTRIBUTE_TYPE, type Attributes, type SpanEvent, type SpanLink } from '../model/span.js';
import {
  AttributesBuilder,
  doubleToJson,
  formatDouble,
  maxValueEntries,
  tooManyValueEntries,
  type AnyValueJson,
  type KeyValueJson,
  type StoredValue,
} from './anyValue.js';
import { InvalidSpanError, MalformedRequestError, type SpanLimits } from './limits.js';
import {
  ProtobufReader,
  WIRE_FIXED32,
  WIRE_FIXED64,
  WIRE_LENGTH_DELIMITED,
  WIRE_VARINT,
} from './protobufReader.js';
import { runToEnd, type Pauser, type Steps } from './slices.js';
import { SpanAssembler, type DecodeResult, type ResourceContext, type ScopeContext, type RawSpan } from './spanAssembler.js';

export function decodeExportTraceRequestProtobuf(body: Buffer, limits: SpanLimits): DecodeResult {
  return runToEnd((pauser) => protobufRequestSteps(body, limits, pauser));
}

/** Spans decoded, or fields indexed, between two questions whether to pause. */
const SPANS_PER_STEP = 16;
const FIELDS_PER_STEP = 1024;

/**
 * The decoder as steps (see slices.ts). The request is indexed first, in steps: where each resourceSpans,
 * scopeSpans and span lies, counted as found, so that a request of too many is refused before any span
 * is decoded. Then its spans are decoded SPANS_PER_STEP at a time; a single span, resource or scope is
 * read at once.
 */
export function* protobufRequestSteps(body: Buffer, limits: SpanLimits, pauser: Pauser): Steps<DecodeResult> {
  const assembler = new SpanAssembler(limits);
  const r = new ProtobufReader(body);
  const index = new RequestIndex(r, assembler);
  while (!index.step()) if (pauser.due()) yield;
  for (const resourceSpans of index.resourceSpans) {
    const resource: ResourceContext = { attributes: null, droppedAttributesCount: 0, schemaUrl: '', error: null };
    // The resource may follow its spans on the wire, hence the index.
    eachRange(resourceSpans.resources, (start, end) => decodeResource(r, start, end, resource, limits));
    eachRange(resourceSpans.schemaUrls, (start, end) => (resource.schemaUrl = body.toString('utf8', start, end)));
    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scope: ScopeContext = { name: '', version: '', attributes: null, droppedAttributesCount: 0, schemaUrl: '', error: null };
      const scopeAttributes = new AttributesBuilder(limits, 'instrumentation scope');
      eachRange(scopeSpans.scopes, (start, end) => decodeScope(r, start, end, scope, scopeAttributes, limits));
      eachRange(scopeSpans.schemaUrls, (start, end) => (scope.schemaUrl = body.toString('utf8', start, end)));
      scope.attributes ??= scopeAttributes.build();
      const spans = scopeSpans.spans;
      for (let i = 0; i < spans.length; i += 2 * SPANS_PER_STEP) {
        decodeSpans(r, spans, i, Math.min(i + 2 * SPANS_PER_STEP, spans.length), resource, scope, assembler, limits);
        if (pauser.due()) yield;
      }
    }
  }
  return assembler.result();
}

/** Byte ranges of fields, [start, end) pairs one after the other. */
type Ranges = number[];

interface ScopeSpansAt {
  scopes: Ranges;
  schemaUrls: Ranges;
  spans: Ranges;
}

interface ResourceSpansAt {
  resources: Ranges;
  schemaUrls: Ranges;
  scopeSpans: ScopeSpansAt[];
}

/**
 * Where the parts of an ExportTraceServiceRequest lie, read a tag and a length at a time and
 * FIELDS_PER_STEP fields per step, so that no level above the spans is read at once, however many
 * fields it holds. Counts resourceSpans, scopeSpans and spans as it finds them.
 */
class RequestIndex {
  readonly resourceSpans: ResourceSpansAt[] = [];
  private current: ResourceSpansAt | null = null;
  private currentScope: ScopeSpansAt | null = null;
  private resourceSpansEnd = 0;

  constructor(
    private readonly r: ProtobufReader,
    private readonly assembler: SpanAssembler,
  ) {}

  /** Indexes up to FIELDS_PER_STEP more fields; true once the whole request is indexed. */
  step(): boolean {
    const r = this.r;
    let spans = 0;
    let done = false;
    for (let i = 0; i < FIELDS_PER_STEP && !done; i++) {
      if (this.currentScope) {
        if (r.done()) {
          r.end = this.resourceSpansEnd;
          this.currentScope = null;
          continue;
        }
        const tag = r.readTag();
        const field = tag >>> 3;
        if (field < 1 || field > 3) {
          r.skip(tag & 7);
          continue;
        }
        r.expect(tag, WIRE_LENGTH_DELIMITED);
        const end = r.readLengthDelimitedEnd();
        const scope = this.currentScope;
        (field === 1 ? scope.scopes : field === 2 ? scope.spans : scope.schemaUrls).push(r.pos, end);
        if (field === 2) spans++;
        r.pos = end;
      } else if (this.current) {
        if (r.done()) {
          r.end = r.buf.length;
          this.current = null;
          continue;
        }
        const tag = r.readTag();
        const field = tag >>> 3;
        if (field < 1 || field > 3) {
          r.skip(tag & 7);
          continue;
        }
        r.expect(tag, WIRE_LENGTH_DELIMITED);
        const end = r.readLengthDelimitedEnd();
        if (field === 2) {
          this.assembler.countFound('scopeSpans');
          this.currentScope = { scopes: [], schemaUrls: [], spans: [] };
          this.current.scopeSpans.push(this.currentScope);
          r.end = end;
        } else {
          (field === 1 ? this.current.resources : this.current.schemaUrls).push(r.pos, end);
          r.pos = end;
        }
      } else if (r.done()) done = true;
      else {
        const tag = r.readTag();
        if (tag >>> 3 !== 1) {
          r.skip(tag & 7);
          continue;
        }
        r.expect(tag, WIRE_LENGTH_DELIMITED);
        const end = r.readLengthDelimitedEnd();
        this.assembler.countFound('resourceSpans');
        this.current = { resources: [], schemaUrls: [], scopeSpans: [] };
        this.resourceSpans.push(this.current);
        this.resourceSpansEnd = end;
        r.end = end;
      }
    }
    this.assembler.countFound('spans', spans);
    return done;
  }
}

function eachRange(ranges: Ranges, read: (start: number, end: number) => void): void {
  for (let i = 0; i < ranges.length; i += 2) read(ranges[i]!, ranges[i + 1]!);
}

/**
 * Attribute-limit errors in a resource or scope reject all of its spans, so they are kept, not thrown;
 * the rest of a rejected resource or scope is skipped, not read.
 */
function decodeResource(r: ProtobufReader, start: number, end: number, resource: ResourceContext, limits: SpanLimits): void {
  const attributes = new AttributesBuilder(limits, 'resource');
  r.pos = start;
  withEnd(r, end, () => {
    while (!r.done() && !resource.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          addKeyValue(r, attributes, limits, resource);
          break;
        case 2:
          r.expect(tag, WIRE_VARINT);
          resource.droppedAttributesCount = r.readVarint32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
  resource.attributes = attributes.build();
}

function decodeScope(r: ProtobufReader, start: number, end: number, scope: ScopeContext, attributes: AttributesBuilder, limits: SpanLimits): void {
  r.pos = start;
  withEnd(r, end, () => {
    while (!r.done() && !scope.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          scope.name = r.readString();
          break;
        case 2:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          scope.version = r.readString();
          break;
        case 3:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          addKeyValue(r, attributes, limits, scope);
          break;
        case 4:
          r.expect(tag, WIRE_VARINT);
          scope.droppedAttributesCount = r.readVarint32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
}

/** Decodes the spans at ranges [from, to) of `spans`: a plain function, so that its loop runs at full speed. */
function decodeSpans(
  r: ProtobufReader,
  spans: Ranges,
  from: number,
  to: number,
  resource: ResourceContext,
  scope: ScopeContext,
  assembler: SpanAssembler,
  limits: SpanLimits,
): void {
  for (let i = from; i < to; i += 2) {
    r.pos = spans[i]!;
    const end = spans[i + 1]!;
    assembler.add(resource, scope, () => decodeSpan(r, end, limits));
  }
}

function decodeSpan(r: ProtobufReader, end: number, limits: SpanLimits): RawSpan {
  const span: RawSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: 0n,
    endTimeUnixNano: 0n,
    attributes: null,
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    statusCode: 0,
    statusMessage: '',
  };
  const attributes = new AttributesBuilder(limits, 'span');
  let failure: ErrorHolder = { error: null };
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          span.traceId = r.readHex();
          break;
        case 2:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          span.spanId = r.readHex();
          break;
        case 3:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          span.traceState = r.readString();
          break;
        case 4:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          span.parentSpanId = r.readHex();
          break;
        case 5:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          span.name = r.readString();
          break;
        case 6:
          r.expect(tag, WIRE_VARINT);
          span.kind = r.readVarint32() | 0;
          break;
        case 7:
          r.expect(tag, WIRE_FIXED64);
          span.startTimeUnixNano = r.readFixed64();
          break;
        case 8:
          r.expect(tag, WIRE_FIXED64);
          span.endTimeUnixNano = r.readFixed64();
          break;
        case 9:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          addKeyValue(r, attributes, limits, failure);
          break;
        case 10:
          r.expect(tag, WIRE_VARINT);
          span.droppedAttributesCount = r.readVarint32();
          break;
        case 11: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const eventEnd = r.readLengthDelimitedEnd();
          if (span.events.length >= limits.maxEventsPerSpan) {
            failure.error ??= new InvalidSpanError(`span has more than ${limits.maxEventsPerSpan} events`);
          } else span.events.push(decodeEvent(r, eventEnd, limits, failure));
          r.pos = eventEnd;
          break;
        }
        case 12:
          r.expect(tag, WIRE_VARINT);
          span.droppedEventsCount = r.readVarint32();
          break;
        case 13: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const linkEnd = r.readLengthDelimitedEnd();
          if (span.links.length >= limits.maxLinksPerSpan) {
            failure.error ??= new InvalidSpanError(`span has more than ${limits.maxLinksPerSpan} links`);
          } else span.links.push(decodeLink(r, linkEnd, limits, failure));
          r.pos = linkEnd;
          break;
        }
        case 14:
          r.expect(tag, WIRE_VARINT);
          span.droppedLinksCount = r.readVarint32();
          break;
        case 15: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const statusEnd = r.readLengthDelimitedEnd();
          decodeStatus(r, statusEnd, span);
          r.pos = statusEnd;
          break;
        }
        case 16:
          r.expect(tag, WIRE_FIXED32);
          span.flags = r.readFixed32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
  if (failure.error) throw failure.error;
  span.attributes = attributes.build();
  return span;
}

function decodeStatus(r: ProtobufReader, end: number, span: RawSpan): void {
  withEnd(r, end, () => {
    while (!r.done()) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 2:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          span.statusMessage = r.readString();
          break;
        case 3:
          r.expect(tag, WIRE_VARINT);
          span.statusCode = r.readVarint32() | 0;
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
}

function decodeEvent(r: ProtobufReader, end: number, limits: SpanLimits, failure: ErrorHolder): SpanEvent {
  const event: SpanEvent = { timeUnixNano: 0n, name: '', attributes: EMPTY, droppedAttributesCount: 0 };
  const attributes = new AttributesBuilder(limits, 'span event');
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_FIXED64);
          event.timeUnixNano = r.readFixed64();
          break;
        case 2:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          event.name = r.readString();
          break;
        case 3:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          addKeyValue(r, attributes, limits, failure);
          break;
        case 4:
          r.expect(tag, WIRE_VARINT);
          event.droppedAttributesCount = r.readVarint32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
  event.attributes = attributes.build();
  return event;
}

function decodeLink(r: ProtobufReader, end: number, limits: SpanLimits, failure: ErrorHolder): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', flags: 0, attributes: EMPTY, droppedAttributesCount: 0 };
  const attributes = new AttributesBuilder(limits, 'span link');
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          link.traceId = r.readHex();
          break;
        case 2:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          link.spanId = r.readHex();
          break;
        case 3:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          link.traceState = r.readString();
          break;
        case 4:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          addKeyValue(r, attributes, limits, failure);
          break;
        case 5:
          r.expect(tag, WIRE_VARINT);
          link.droppedAttributesCount = r.readVarint32();
          break;
        case 6:
          r.expect(tag, WIRE_FIXED32);
          link.flags = r.readFixed32();
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
  link.attributes = attributes.build();
  return link;
}

interface ErrorHolder {
  error: InvalidSpanError | null;
}

/**
 * Reads one KeyValue into `attributes`. A limit broken here is recorded in `failure` rather than thrown,
 * and the rest of the span is then skipped, not read: it is rejected whatever follows.
 */
function addKeyValue(r: ProtobufReader, attributes: AttributesBuilder, limits: SpanLimits, failure: ErrorHolder): void {
  const end = r.readLengthDelimitedEnd();
  let key = '';
  let value: StoredValue = { type: ATTRIBUTE_TYPE.empty, text: '' };
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          key = r.readString();
          break;
        case 2: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const valueEnd = r.readLengthDelimitedEnd();
          value = decodeStoredValue(r, valueEnd, limits, failure);
          r.pos = valueEnd;
          break;
        }
        default:
          r.skip(tag & 7);
      }
    }
  });
  r.pos = end;
  if (failure.error) return;
  try {
    attributes.add(key, value);
  } catch (error) {
    if (!(error instanceof InvalidSpanError)) throw error;
    failure.error = error;
  }
}

/** A top-level AnyValue: scalars go straight to their stored text; arrays and kvlists via their JSON form. */
function decodeStoredValue(r: ProtobufReader, end: number, limits: SpanLimits, failure: ErrorHolder): StoredValue {
  let value: StoredValue = { type: ATTRIBUTE_TYPE.empty, text: '' };
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          value = { type: ATTRIBUTE_TYPE.string, text: r.readString() };
          break;
        case 2:
          r.expect(tag, WIRE_VARINT);
          value = { type: ATTRIBUTE_TYPE.bool, text: r.readVarint32() !== 0 ? 'true' : 'false' };
          break;
        case 3:
          r.expect(tag, WIRE_VARINT);
          value = { type: ATTRIBUTE_TYPE.int, text: r.readInt64String() };
          break;
        case 4:
          r.expect(tag, WIRE_FIXED64);
          value = { type: ATTRIBUTE_TYPE.double, text: formatDouble(r.readDouble()) };
          break;
        case 5:
        case 6: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const nestedEnd = r.readLengthDelimitedEnd();
          const values = (tag >>> 3 === 5 ? decodeArrayValues : decodeKeyValueList)(r, nestedEnd, 1, limits, failure);
          value = { type: tag >>> 3 === 5 ? ATTRIBUTE_TYPE.array : ATTRIBUTE_TYPE.kvlist, text: failure.error ? '' : JSON.stringify(values) };
          r.pos = nestedEnd;
          break;
        }
        case 7:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          value = { type: ATTRIBUTE_TYPE.bytes, text: r.readBase64() };
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
  return value;
}

function decodeAnyValueJson(r: ProtobufReader, end: number, depth: number, limits: SpanLimits, failure: ErrorHolder): AnyValueJson {
  let value: AnyValueJson = {};
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      switch (tag >>> 3) {
        case 1:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          value = { stringValue: r.readString() };
          break;
        case 2:
          r.expect(tag, WIRE_VARINT);
          value = { boolValue: r.readVarint32() !== 0 };
          break;
        case 3:
          r.expect(tag, WIRE_VARINT);
          value = { intValue: r.readInt64String() };
          break;
        case 4:
          r.expect(tag, WIRE_FIXED64);
          value = { doubleValue: doubleToJson(r.readDouble()) };
          break;
        case 5: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const nestedEnd = r.readLengthDelimitedEnd();
          value = { arrayValue: { values: decodeArrayValues(r, nestedEnd, depth + 1, limits, failure) } };
          r.pos = nestedEnd;
          break;
        }
        case 6: {
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          const nestedEnd = r.readLengthDelimitedEnd();
          value = { kvlistValue: { values: decodeKeyValueList(r, nestedEnd, depth + 1, limits, failure) } };
          r.pos = nestedEnd;
          break;
        }
        case 7:
          r.expect(tag, WIRE_LENGTH_DELIMITED);
          value = { bytesValue: r.readBase64() };
          break;
        default:
          r.skip(tag & 7);
      }
    }
  });
  return value;
}

function checkDepth(depth: number, limits: SpanLimits, failure: ErrorHolder): boolean {
  if (depth <= limits.maxValueDepth) return true;
  failure.error ??= new InvalidSpanError(`attribute value nests arrays or kvlists deeper than ${limits.maxValueDepth} levels`);
  return false;
}

function decodeArrayValues(r: ProtobufReader, end: number, depth: number, limits: SpanLimits, failure: ErrorHolder): AnyValueJson[] {
  const values: AnyValueJson[] = [];
  if (!checkDepth(depth, limits, failure)) return values;
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      if (tag >>> 3 === 1) {
        r.expect(tag, WIRE_LENGTH_DELIMITED);
        const itemEnd = r.readLengthDelimitedEnd();
        values.push(decodeAnyValueJson(r, itemEnd, depth, limits, failure));
        if (values.length > maxValueEntries(limits)) failure.error ??= tooManyValueEntries(limits);
        r.pos = itemEnd;
      } else r.skip(tag & 7);
    }
  });
  return values;
}

function decodeKeyValueList(r: ProtobufReader, end: number, depth: number, limits: SpanLimits, failure: ErrorHolder): KeyValueJson[] {
  const values: KeyValueJson[] = [];
  if (!checkDepth(depth, limits, failure)) return values;
  withEnd(r, end, () => {
    while (!r.done() && !failure.error) {
      const tag = r.readTag();
      if (tag >>> 3 !== 1) {
        r.skip(tag & 7);
        continue;
      }
      r.expect(tag, WIRE_LENGTH_DELIMITED);
      const kvEnd = r.readLengthDelimitedEnd();
      const kv: KeyValueJson = { key: '', value: {} };
      withEnd(r, kvEnd, () => {
        while (!r.done() && !failure.error) {
          const kvTag = r.readTag();
          if (kvTag >>> 3 === 1) {
            r.expect(kvTag, WIRE_LENGTH_DELIMITED);
            kv.key = r.readString();
          } else if (kvTag >>> 3 === 2) {
            r.expect(kvTag, WIRE_LENGTH_DELIMITED);
            const valueEnd = r.readLengthDelimitedEnd();
            kv.value = decodeAnyValueJson(r, valueEnd, depth, limits, failure);
            r.pos = valueEnd;
          } else r.skip(kvTag & 7);
        }
      });
      r.pos = kvEnd;
      values.push(kv);
      if (values.length > maxValueEntries(limits)) failure.error ??= tooManyValueEntries(limits);
    }
  });
  return values;
}

const EMPTY: Attributes = { keys: [], values: [], types: '' };

/** Runs `read` with the reader bounded to `end`, then restores the outer bound. */
function withEnd(r: ProtobufReader, end: number, read: () => void): void {
  const outer = r.end;
  if (end > outer) throw new MalformedRequestError('protobuf: nested message runs past its parent');
  r.end = end;
  read();
  r.end = outer;
}
