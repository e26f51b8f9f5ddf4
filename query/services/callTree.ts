/**
 * Rebuilds a trace's call tree from its spans. Pure: no I/O.
 *
 * The tree is returned flat, in depth-first order, each span carrying its depth and its children's ids:
 * that is the order a waterfall draws, it serializes without recursion (a 100,000-deep chain would
 * overflow a nested JSON encoder), and it is cheap to re-nest on the client.
 */
import { SPAN_KIND_NAMES, STATUS_CODE_ERROR, STATUS_CODE_NAMES, type SpanRow } from '../../core/model/span.js';
import { typedAttributes, type TypedAttribute } from '../../core/otlp/anyValue.js';
import { criticalPath, selfTime, type Interval } from './criticalPath.js';
import { adjustClockSkew, dedupeSpanIds, type AdjustedSpan } from './traceAdjusters.js';

export interface SpanNode {
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  kind: string;
  /** After clock-skew adjustment, when the trace was adjusted (see `warnings`). */
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNs: string;
  /** Duration less the time covered by its children. */
  selfTimeNs: string;
  /** Time this span spends on the trace's critical path; 0 when it is off the path. */
  criticalPathNs: string;
  onCriticalPath: boolean;
  /** When this span is on the critical path, in time order; empty when it is off the path. */
  criticalPathSegments: Array<{ startTimeUnixNano: string; endTimeUnixNano: string }>;
  depth: number;
  /** True for a span whose parent is not in the trace (or whose ancestry loops): the top of a detached subtree. */
  orphan: boolean;
  childSpanIds: string[];
  /** What the adjusters changed on this span, and why. */
  warnings: string[];
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
  /** The tail-sampling policy that kept the trace; '' when tail sampling did not decide. */
  samplingPolicy: string;
}

export interface ServiceTime {
  service: string;
  spanCount: number;
  errorCount: number;
  /** Sum of the self time of the service's spans: where the trace's time went. */
  selfTimeNs: string;
}

export interface CallTree {
  traceId: string;
  spanCount: number;
  errorCount: number;
  /** Layers in the deepest call chain: 1 for a lone span. */
  depth: number;
  services: ServiceTime[];
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationNs: string;
  rootSpanIds: string[];
  orphanSpanIds: string[];
  /** The span whose end-to-end latency the critical path explains: the longest root, or orphan when there is no root. */
  criticalPathSpanId: string;
  /** Depth-first: each span is followed by its subtree, children in start-time order. */
  spans: SpanNode[];
}

export interface CallTreeOptions {
  /** Run the adjusters (clock skew, duplicate span ids). Off gives the spans exactly as stored. */
  adjust: boolean;
}

/** `spans` must all belong to one trace and be non-empty. */
export function buildCallTree(traceId: string, rows: readonly SpanRow[], options: CallTreeOptions = { adjust: true }): CallTree {
  const spans: AdjustedSpan[] = [...rows]
    .sort(byStart)
    .map((row) => ({ row, spanId: row.spanId, parentSpanId: row.parentSpanId, shiftNs: 0n, warnings: [] }));
  if (options.adjust) dedupeSpanIds(spans);

  const byId = new Map<string, number>();
  spans.forEach((span, i) => {
    if (!byId.has(span.spanId)) byId.set(span.spanId, i);
  });
  const parentOf = spans.map((span, i) => {
    const parent = span.parentSpanId === '' ? undefined : byId.get(span.parentSpanId);
    return parent === undefined || parent === i ? -1 : parent;
  });
  const children: number[][] = spans.map(() => []);
  parentOf.forEach((parent, i) => {
    if (parent >= 0) children[parent]!.push(i);
  });

  // Depth-first order from the roots and orphans; spans on a parent loop are reached last, as orphans.
  const order: number[] = [];
  const depthOf = new Int32Array(spans.length);
  const isTop = new Uint8Array(spans.length);
  const visited = new Uint8Array(spans.length);
  const visit = (top: number): void => {
    isTop[top] = 1;
    const stack: Array<[number, number]> = [[top, 0]];
    while (stack.length > 0) {
      const [i, depth] = stack.pop()!;
      if (visited[i]) continue;
      visited[i] = 1;
      depthOf[i] = depth;
      order.push(i);
      for (let c = children[i]!.length - 1; c >= 0; c--) stack.push([children[i]![c]!, depth + 1]);
    }
  };
  parentOf.forEach((parent, i) => {
    if (parent < 0) visit(i);
  });
  for (let i = 0; i < spans.length; i++) if (!visited[i]) visit(i);
  const treeParent = parentOf.map((parent, i) => (isTop[i] ? -1 : parent));

  if (options.adjust) adjustClockSkew(spans, order, treeParent);

  const intervals: Interval[] = spans.map((s) => {
    const start = s.row.startTimeUnixNano + s.shiftNs;
    return { start, end: start + s.row.durationNs };
  });
  const treeChildren = children.map((kids) => kids.filter((k) => !isTop[k]));
  const tops = order.filter((i) => isTop[i]);
  const roots = tops.filter((i) => spans[i]!.parentSpanId === '');
  const pathTop = longest(roots.length > 0 ? roots : tops, intervals);
  const path = criticalPath(intervals, treeChildren, pathTop);

  const nodes = order.map((i) => {
    const span = spans[i]!;
    return toNode(span, intervals[i]!, {
      depth: depthOf[i]!,
      orphan: isTop[i] === 1 && span.parentSpanId !== '',
      childSpanIds: treeChildren[i]!.map((c) => spans[c]!.spanId),
      selfTimeNs: selfTime(intervals[i]!, treeChildren[i]!.map((c) => intervals[c]!)),
      criticalPathNs: path.ns[i]!,
      criticalPathSegments: path.segments[i]!,
    });
  });

  let start = intervals[0]!.start;
  let end = intervals[0]!.end;
  for (const interval of intervals) {
    if (interval.start < start) start = interval.start;
    if (interval.end > end) end = interval.end;
  }
  return {
    traceId,
    spanCount: nodes.length,
    errorCount: rows.filter((s) => s.statusCode === STATUS_CODE_ERROR).length,
    depth: nodes.reduce((max, n) => Math.max(max, n.depth + 1), 0),
    services: serviceTimes(nodes),
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    durationNs: (end - start).toString(),
    rootSpanIds: nodes.filter((n) => n.depth === 0 && !n.orphan).map((n) => n.spanId),
    orphanSpanIds: nodes.filter((n) => n.orphan).map((n) => n.spanId),
    criticalPathSpanId: spans[pathTop]!.spanId,
    spans: nodes,
  };
}

function byStart(a: SpanRow, b: SpanRow): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}

function longest(candidates: number[], intervals: Interval[]): number {
  let best = candidates[0]!;
  for (const i of candidates) {
    if (intervals[i]!.end - intervals[i]!.start > intervals[best]!.end - intervals[best]!.start) best = i;
  }
  return best;
}

function serviceTimes(nodes: SpanNode[]): ServiceTime[] {
  const byService = new Map<string, { spanCount: number; errorCount: number; selfTimeNs: bigint }>();
  for (const node of nodes) {
    const entry = byService.get(node.service) ?? { spanCount: 0, errorCount: 0, selfTimeNs: 0n };
    entry.spanCount++;
    if (node.status.code === 'ERROR') entry.errorCount++;
    entry.selfTimeNs += BigInt(node.selfTimeNs);
    byService.set(node.service, entry);
  }
  return [...byService]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([service, e]) => ({ service, spanCount: e.spanCount, errorCount: e.errorCount, selfTimeNs: e.selfTimeNs.toString() }));
}

interface Placement {
  depth: number;
  orphan: boolean;
  childSpanIds: string[];
  selfTimeNs: bigint;
  criticalPathNs: bigint;
  criticalPathSegments: readonly Interval[];
}

function toNode({ row: span, spanId, parentSpanId, shiftNs, warnings }: AdjustedSpan, interval: Interval, placement: Placement): SpanNode {
  return {
    spanId,
    parentSpanId,
    service: span.serviceName,
    name: span.name,
    kind: SPAN_KIND_NAMES[span.kind] ?? String(span.kind),
    startTimeUnixNano: interval.start.toString(),
    endTimeUnixNano: interval.end.toString(),
    durationNs: span.durationNs.toString(),
    selfTimeNs: placement.selfTimeNs.toString(),
    criticalPathNs: placement.criticalPathNs.toString(),
    onCriticalPath: placement.criticalPathNs > 0n,
    criticalPathSegments: placement.criticalPathSegments.map((s) => ({ startTimeUnixNano: s.start.toString(), endTimeUnixNano: s.end.toString() })),
    depth: placement.depth,
    orphan: placement.orphan,
    childSpanIds: placement.childSpanIds,
    warnings,
    status: { code: STATUS_CODE_NAMES[span.statusCode] ?? String(span.statusCode), message: span.statusMessage },
    attributes: typedAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((e) => ({
      timeUnixNano: (e.timeUnixNano + shiftNs).toString(),
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
    samplingPolicy: span.samplingPolicy,
  };
}
