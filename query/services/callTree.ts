/**
 * Rebuilds a trace's call tree from its spans. Pure: no I/O.
 *
 * The tree is returned flat, in depth-first order, each span carrying its depth and its children's ids:
 * that is the order a waterfall draws, it serializes without recursion (a 100,000-deep chain would
 * overflow a nested JSON encoder), and it is cheap to re-nest on the client.
 */
import { SPAN_KIND_NAMES, STATUS_CODE_ERROR, STATUS_CODE_NAMES, type SpanRow } from '../../core/model/span.js';
import { typedAttributes, type TypedAttribute } from '../../core/otlp/anyValue.js';

export interface SpanNode {
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  kind: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNs: string;
  depth: number;
  /** True for a span whose parent is not in the trace (or whose ancestry loops): the top of a detached subtree. */
  orphan: boolean;
  childSpanIds: string[];
  status: { code: string; message: string };
  attributes: TypedAttribute[];
  droppedAttributesCount: number;
  events: Array<{ timeUnixNano: string; name: string; attributes: TypedAttribute[]; droppedAttributesCount: number }>;
  droppedEventsCount: number;
  links: Array<{ traceId: string; spanId: string; traceState: string; flags: number; attributes: TypedAttribute[]; droppedAttributesCount: number }>;
  droppedLinksCount: number;
  resource: { attributes: TypedAttribute[]; droppedAttributesCount: number; schemaUrl: string };
  scope: { name: string; version: string; attributes: TypedAttribute[]; droppedAttributesCount: number; schemaUrl: string };
  traceState: string;
  flags: number;
  sampleWeight: number;
}

export interface CallTree {
  traceId: string;
  spanCount: number;
  errorCount: number;
  /** Layers in the deepest call chain: 1 for a lone span. */
  depth: number;
  services: string[];
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNs: string;
  rootSpanIds: string[];
  orphanSpanIds: string[];
  /** Depth-first: each span is followed by its subtree, children in start-time order. */
  spans: SpanNode[];
}

/** `spans` must all belong to one trace and be non-empty. */
export function buildCallTree(traceId: string, spans: readonly SpanRow[]): CallTree {
  const ordered = [...spans].sort(byStart);
  const byId = new Map<string, number>();
  ordered.forEach((span, i) => {
    if (!byId.has(span.spanId)) byId.set(span.spanId, i);
  });
  const children: number[][] = ordered.map(() => []);
  const tops: number[] = [];
  ordered.forEach((span, i) => {
    const parent = span.parentSpanId === '' ? undefined : byId.get(span.parentSpanId);
    if (parent === undefined || parent === i) tops.push(i);
    else children[parent]!.push(i);
  });

  const nodes: SpanNode[] = [];
  const visited = new Uint8Array(ordered.length);
  const visit = (top: number): void => {
    const stack: Array<[number, number]> = [[top, 0]];
    while (stack.length > 0) {
      const [i, depth] = stack.pop()!;
      if (visited[i]) continue;
      visited[i] = 1;
      const span = ordered[i]!;
      nodes.push(toNode(span, depth, i === top && span.parentSpanId !== '', children[i]!.map((c) => ordered[c]!.spanId)));
      for (let c = children[i]!.length - 1; c >= 0; c--) stack.push([children[i]![c]!, depth + 1]);
    }
  };
  for (const top of tops) visit(top);
  // Spans left unvisited sit on a parent loop (a is b's parent, b is a's); the earliest becomes an orphan.
  for (let i = 0; i < ordered.length; i++) if (!visited[i]) visit(i);

  let start = ordered[0]!.startTimeUnixNano;
  let end = start;
  for (const span of ordered) {
    if (span.startTimeUnixNano < start) start = span.startTimeUnixNano;
    const spanEnd = span.startTimeUnixNano + span.durationNs;
    if (spanEnd > end) end = spanEnd;
  }
  return {
    traceId,
    spanCount: nodes.length,
    errorCount: ordered.filter((s) => s.statusCode === STATUS_CODE_ERROR).length,
    depth: nodes.reduce((max, n) => Math.max(max, n.depth + 1), 0),
    services: [...new Set(ordered.map((s) => s.serviceName))].sort(),
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    durationNs: (end - start).toString(),
    rootSpanIds: nodes.filter((n) => n.depth === 0 && !n.orphan).map((n) => n.spanId),
    orphanSpanIds: nodes.filter((n) => n.orphan).map((n) => n.spanId),
    spans: nodes,
  };
}

function byStart(a: SpanRow, b: SpanRow): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function toNode(span: SpanRow, depth: number, orphan: boolean, childSpanIds: string[]): SpanNode {
  return {
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    service: span.serviceName,
    name: span.name,
    kind: SPAN_KIND_NAMES[span.kind] ?? String(span.kind),
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: (span.startTimeUnixNano + span.durationNs).toString(),
    durationNs: span.durationNs.toString(),
    depth,
    orphan,
    childSpanIds,
    status: { code: STATUS_CODE_NAMES[span.statusCode] ?? String(span.statusCode), message: span.statusMessage },
    attributes: typedAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => ({
      timeUnixNano: e.timeUnixNano.toString(),
      name: e.name,
      attributes: typedAttributes(e.attributes),
      droppedAttributesCount: e.droppedAttributesCount,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((l) => ({
      traceId: l.traceId,
      spanId: l.spanId,
      traceState: l.traceState,
      flags: l.flags,
      attributes: typedAttributes(l.attributes),
      droppedAttributesCount: l.droppedAttributesCount,
    })),
    droppedLinksCount: span.droppedLinksCount,
    resource: {
      attributes: typedAttributes(span.resourceAttributes),
      droppedAttributesCount: span.resourceDroppedAttributesCount,
      schemaUrl: span.resourceSchemaUrl,
    },
    scope: {
      name: span.scopeName,
      version: span.scopeVersion,
      attributes: typedAttributes(span.scopeAttributes),
      droppedAttributesCount: span.scopeDroppedAttributesCount,
      schemaUrl: span.scopeSchemaUrl,
    },
    traceState: span.traceState,
    flags: span.flags,
    sampleWeight: span.sampleWeight,
  };
}
