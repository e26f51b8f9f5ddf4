/**
 * A call tree's spans back as span rows, so that api_v3 can return the adjusted trace (clock skew
 * shifted, duplicate span ids renamed) through the same OTLP/JSON writer as the stored one. Pure and
 * lossless: typed values carry every digit of big ints and the non-finite doubles as strings.
 */
import { SPAN_KIND_NAMES, STATUS_CODE_NAMES, type Attributes, type SpanRow } from '../../core/model/span.js';
import { storedValueOfJson, type AnyValueJson, type TypedAttribute, type TypedValue } from '../../core/otlp/anyValue.js';
import type { CallTree } from '../services/callTree.js';

export function adjustedRows(tree: CallTree): SpanRow[] {
  return tree.spans.map((node) => ({
    traceId: tree.traceId,
    spanId: node.spanId,
    parentSpanId: node.parentSpanId,
    traceState: node.traceState,
    flags: node.flags,
    name: node.name,
    kind: enumNumber(SPAN_KIND_NAMES, node.kind),
    serviceName: node.service,
    startTimeUnixNano: BigInt(node.startTimeUnixNano),
    durationNs: BigInt(node.durationNs),
    statusCode: enumNumber(STATUS_CODE_NAMES, node.status.code),
    statusMessage: node.status.message,
    attributes: storedAttributes(node.attributes),
    droppedAttributesCount: node.droppedAttributesCount,
    events: node.events.map((e) => ({
      timeUnixNano: BigInt(e.timeUnixNano),
      name: e.name,
      attributes: storedAttributes(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: node.droppedEventsCount,
    links: node.links.map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      traceState: l.traceState,
      flags: l.flags,
      attributes: storedAttributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
    })),
    droppedLinksCount: node.droppedLinksCount,
    resourceAttributes: storedAttributes(node.resource.attributes),
    resourceDroppedAttributesCount: node.resource.droppedAttributesCount,
    resourceSchemaUrl: node.resource.schemaUrl,
    scopeName: node.scope.name,
    scopeVersion: node.scope.version,
    scopeAttributes: storedAttributes(node.scope.attributes),
    scopeDroppedAttributesCount: node.scope.droppedAttributesCount,
    scopeSchemaUrl: node.scope.schemaUrl,
    sampleWeight: node.sampleWeight,
    samplingPolicy: node.samplingPolicy,
  }));
}

/** The call tree names enums, or gives the number as text when it has no name. */
function enumNumber(names: readonly string[], name: string): number {
  const index = names.indexOf(name);
  return index >= 0 ? index : Number(name);
}

function storedAttributes(attributes: TypedAttribute[]): Attributes {
  const result: Attributes = { keys: [], values: [], types: '' };
  for (const attribute of attributes) {
    const stored = storedValueOfJson(anyValueJson(attribute));
    result.keys.push(attribute.key);
    result.values.push(stored.text);
    result.types += stored.type;
  }
  return result;
}

export function anyValueJson(value: TypedValue): AnyValueJson {
  switch (value.type) {
    case 'string':
      return { stringValue: value.value };
    case 'bool':
      return { boolValue: value.value };
    case 'int':
      return { intValue: String(value.value) };
    case 'double':
      return { doubleValue: value.value };
    case 'bytes':
      return { bytesValue: value.value };
    case 'array':
      return { arrayValue: { values: value.value.map(anyValueJson) } };
    case 'kvlist':
      return { kvlistValue: { values: value.value.map((kv) => ({ key: kv.key, value: anyValueJson(kv) })) } };
    default:
      return {};
  }
}
