/** Stored spans as an OTLP/JSON TracesData document, grouped by resource and scope as an SDK sends them. */
import type { SpanRow } from '../../core/model/span.js';
import { otlpJsonAttributes, type KeyValueJson } from '../../core/otlp/anyValue.js';

export interface OtlpJsonTraces {
  resourceSpans: Array<{
    resource: { attributes: KeyValueJson[]; droppedAttributesCount: number };
    schemaUrl: string;
    scopeSpans: Array<{
      scope: { name: string; version: string; attributes: KeyValueJson[]; droppedAttributesCount: number };
      schemaUrl: string;
      spans: unknown[];
    }>;
  }>;
}

export function toOtlpJson(rows: readonly SpanRow[]): OtlpJsonTraces {
  const resources = new Map<string, OtlpJsonTraces['resourceSpans'][number]>();
  const scopes = new Map<string, OtlpJsonTraces['resourceSpans'][number]['scopeSpans'][number]>();
  for (const row of rows) {
    const resourceKey = JSON.stringify([row.resourceAttributes, row.resourceDroppedAttributesCount, row.resourceSchemaUrl]);
    let resource = resources.get(resourceKey);
    if (!resource) {
      resource = {
        resource: { attributes: otlpJsonAttributes(row.resourceAttributes), droppedAttributesCount: row.resourceDroppedAttributesCount },
        schemaUrl: row.resourceSchemaUrl,
        scopeSpans: [],
      };
      resources.set(resourceKey, resource);
    }
    const scopeKey = JSON.stringify([resourceKey, row.scopeName, row.scopeVersion, row.scopeAttributes, row.scopeDroppedAttributesCount, row.scopeSchemaUrl]);
    let scope = scopes.get(scopeKey);
    if (!scope) {
      scope = {
        scope: { name: row.scopeName, version: row.scopeVersion, attributes: otlpJsonAttributes(row.scopeAttributes), droppedAttributesCount: row.scopeDroppedAttributesCount },
        schemaUrl: row.scopeSchemaUrl,
        spans: [],
      };
      scopes.set(scopeKey, scope);
      resource.scopeSpans.push(scope);
    }
    scope.spans.push(spanJson(row));
  }
  return { resourceSpans: [...resources.values()] };
}

function spanJson(row: SpanRow): unknown {
  return {
    traceId: row.traceId,
    spanId: row.spanId,
    parentSpanId: row.parentSpanId,
    traceState: row.traceState,
    flags: row.flags,
    name: row.name,
    kind: row.kind,
    startTimeUnixNano: row.startTimeUnixNano.toString(),
    endTimeUnixNano: (row.startTimeUnixNano + row.durationNs).toString(),
    attributes: otlpJsonAttributes(row.attributes),
    droppedAttributesCount: row.droppedAttributesCount,
    events: row.events.map((e) => ({
      timeUnixNano: e.timeUnixNano.toString(),
      name: e.name,
      attributes: otlpJsonAttributes(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: row.droppedEventsCount,
    links: row.links.map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      traceState: l.traceState,
      flags: l.flags,
      attributes: otlpJsonAttributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
    })),
    droppedLinksCount: row.droppedLinksCount,
    status: { code: row.statusCode, message: row.statusMessage },
  };
}
