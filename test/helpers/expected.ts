/**
 * The call tree the query API must return for a set of OpenTelemetry ReadableSpans, computed from the
 * spans alone (not from any server code): the oracle of the end-to-end tests.
 */
import type { HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import assert from 'node:assert/strict';
import type { CallTree, SpanNode } from '../../query/services/callTree.js';
import { expectedAttributes } from '../fixtures/sdkSpans.js';

export type { CallTree, SpanNode };

/** What the spans alone determine of a node; the critical path is checked for consistency instead. */
export type ExpectedNode = Omit<SpanNode, 'criticalPathNs' | 'onCriticalPath' | 'criticalPathSegments'>;
export type ExpectedTree = Omit<CallTree, 'spans'> & { spans: ExpectedNode[] };

/** API SpanKind (INTERNAL = 0 …) to the OTLP enum name (SPAN_KIND_INTERNAL = 1 …). */
const KIND_NAMES = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];

export function ns(time: HrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** OTLP span flags: W3C trace flags in the low byte, then the "has is-remote" and "is remote" bits. */
function flagsOf(context: SpanContext | undefined, isRemote: boolean | undefined): number {
  return ((context?.traceFlags ?? 0) & 0xff) | 0x100 | (isRemote ? 0x200 : 0);
}

export function expectedLink(link: Link): SpanNode['links'][number] {
  return {
    traceId: link.context.traceId,
    spanId: link.context.spanId,
    traceState: link.context.traceState?.serialize() ?? '',
    flags: flagsOf(link.context, link.context.isRemote),
    attributes: expectedAttributes(link.attributes),
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
  };
}

export function expectedNode(span: ReadableSpan, depth: number, childSpanIds: string[], orphan: boolean, selfTimeNs: bigint): ExpectedNode {
  const context = span.spanContext();
  const start = ns(span.startTime);
  const end = ns(span.endTime);
  const serviceName = span.resource.attributes['service.name'];
  return {
    spanId: context.spanId,
    parentSpanId: span.parentSpanContext?.spanId ?? '',
    service: typeof serviceName === 'string' && serviceName !== '' ? serviceName : 'unknown_service',
    name: span.name,
    kind: KIND_NAMES[span.kind]!,
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    durationNs: (end - start).toString(),
    selfTimeNs: selfTimeNs.toString(),
    depth,
    orphan,
    childSpanIds,
    // Well-formed spans from one clock: nothing for the adjusters to repair.
    warnings: [],
    status: { code: STATUS_NAMES[span.status.code]!, message: span.status.message ?? '' },
    attributes: expectedAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: ns(event.time).toString(),
      name: event.name,
      attributes: expectedAttributes(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map(expectedLink),
    droppedLinksCount: span.droppedLinksCount,
    resource: {
      attributes: expectedAttributes(span.resource.attributes),
      droppedAttributesCount: 0,
      schemaUrl: span.resource.schemaUrl ?? '',
    },
    scope: {
      name: span.instrumentationScope.name,
      version: span.instrumentationScope.version ?? '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: span.instrumentationScope.schemaUrl ?? '',
    },
    traceState: context.traceState?.serialize() ?? '',
    flags: flagsOf(context, span.parentSpanContext?.isRemote),
    sampleWeight: 1,
    samplingPolicy: '',
  };
}

/** Duration less the union of the children's intervals clipped to the span. */
function selfTime(span: ReadableSpan, children: readonly ReadableSpan[]): bigint {
  const start = ns(span.startTime);
  const end = ns(span.endTime);
  const clipped = children
    .map((c) => [ns(c.startTime) > start ? ns(c.startTime) : start, ns(c.endTime) < end ? ns(c.endTime) : end] as const)
    .filter(([a, b]) => b > a)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  let covered = 0n;
  let cursor = start;
  for (const [a, b] of clipped) {
    const from = a > cursor ? a : cursor;
    if (b > from) covered += b - from;
    if (b > cursor) cursor = b;
  }
  return end - start - covered;
}

/**
 * The call tree of one trace: spans depth-first, children (and tops) in start-time order with ties
 * broken by span id; a span whose parent is absent is an orphan at depth 0.
 */
export function expectedCallTree(traceId: string, spans: readonly ReadableSpan[]): ExpectedTree {
  const mine = spans.filter((s) => s.spanContext().traceId === traceId);
  if (mine.length === 0) throw new Error(`no span of trace ${traceId} among the ${spans.length} given`);
  const byStart = (a: ReadableSpan, b: ReadableSpan): number => {
    const d = ns(a.startTime) - ns(b.startTime);
    if (d !== 0n) return d < 0n ? -1 : 1;
    return a.spanContext().spanId < b.spanContext().spanId ? -1 : 1;
  };
  const ids = new Set(mine.map((s) => s.spanContext().spanId));
  const parentOf = (s: ReadableSpan): string | undefined => {
    const parent = s.parentSpanContext?.spanId;
    return parent && ids.has(parent) ? parent : undefined;
  };
  const childrenOf = (id: string): ReadableSpan[] => mine.filter((s) => parentOf(s) === id).sort(byStart);
  const tops = mine.filter((s) => parentOf(s) === undefined).sort(byStart);

  const nodes: ExpectedNode[] = [];
  const visit = (span: ReadableSpan, depth: number): void => {
    const children = childrenOf(span.spanContext().spanId);
    const orphan = depth === 0 && (span.parentSpanContext?.spanId ?? '') !== '';
    nodes.push(expectedNode(span, depth, children.map((c) => c.spanContext().spanId), orphan, selfTime(span, children)));
    for (const child of children) visit(child, depth + 1);
  };
  for (const top of tops) visit(top, 0);

  const start = mine.reduce((min, s) => (ns(s.startTime) < min ? ns(s.startTime) : min), ns(mine[0]!.startTime));
  const end = mine.reduce((max, s) => (ns(s.endTime) > max ? ns(s.endTime) : max), ns(mine[0]!.endTime));
  const services = new Map<string, { spanCount: number; errorCount: number; selfTimeNs: bigint }>();
  for (const node of nodes) {
    const entry = services.get(node.service) ?? { spanCount: 0, errorCount: 0, selfTimeNs: 0n };
    entry.spanCount++;
    if (node.status.code === 'ERROR') entry.errorCount++;
    entry.selfTimeNs += BigInt(node.selfTimeNs);
    services.set(node.service, entry);
  }
  const roots = nodes.filter((n) => n.depth === 0 && !n.orphan);
  const candidates = roots.length > 0 ? roots : nodes.filter((n) => n.depth === 0);
  const longest = candidates.reduce((best, n) => (BigInt(n.durationNs) > BigInt(best.durationNs) ? n : best));
  return {
    traceId,
    spanCount: mine.length,
    errorCount: mine.filter((s) => s.status.code === 2).length,
    depth: Math.max(...nodes.map((n) => n.depth)) + 1,
    services: [...services.keys()].sort().map((service) => {
      const e = services.get(service)!;
      return { service, spanCount: e.spanCount, errorCount: e.errorCount, selfTimeNs: e.selfTimeNs.toString() };
    }),
    startTimeUnixNano: start.toString(),
    endTimeUnixNano: end.toString(),
    durationNs: (end - start).toString(),
    rootSpanIds: roots.map((n) => n.spanId),
    orphanSpanIds: nodes.filter((n) => n.orphan).map((n) => n.spanId),
    criticalPathSpanId: longest.spanId,
    spans: nodes,
  };
}

/** `actual` restricted to the keys `template` has, recursively: fields the test does not know are ignored, missing ones show. */
function restrictTo(actual: unknown, template: unknown): unknown {
  if (Array.isArray(actual) && Array.isArray(template)) return actual.map((a, i) => (i < template.length ? restrictTo(a, template[i]) : a));
  if (actual && template && typeof actual === 'object' && typeof template === 'object' && !Array.isArray(actual) && !Array.isArray(template)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(template)) out[key] = restrictTo((actual as Record<string, unknown>)[key], (template as Record<string, unknown>)[key]);
    return out;
  }
  return actual;
}

/**
 * Asserts that `actual` (the query API's answer) says exactly what the spans say: every field the
 * spans determine, compared exactly, plus the critical path's consistency (it covers its top span).
 */
export function assertCallTree(actual: CallTree, spans: readonly ReadableSpan[], traceId: string): void {
  const expected = expectedCallTree(traceId, spans);
  const { spans: actualSpans, ...actualSummary } = actual;
  const { spans: expectedSpans, ...expectedSummary } = expected;
  assert.deepEqual(restrictTo(actualSummary, expectedSummary), expectedSummary, 'trace summary');
  assert.deepEqual(
    actualSpans.map((s) => s.spanId),
    expectedSpans.map((s) => s.spanId),
    'spans depth-first, children in start order',
  );
  for (let i = 0; i < expectedSpans.length; i++) {
    assert.deepEqual(restrictTo(actualSpans[i], expectedSpans[i]), expectedSpans[i], `span "${expectedSpans[i]!.name}"`);
  }
  let onPath = 0n;
  for (const node of actualSpans) {
    assert.match(node.criticalPathNs, /^\d+$/, `criticalPathNs of "${node.name}"`);
    assert.equal(node.onCriticalPath, BigInt(node.criticalPathNs) > 0n, `onCriticalPath of "${node.name}"`);
    onPath += BigInt(node.criticalPathNs);
  }
  const top = actualSpans.find((s) => s.spanId === actual.criticalPathSpanId)!;
  assert.equal(onPath, BigInt(top.durationNs), 'the critical path covers its top span exactly');
}
